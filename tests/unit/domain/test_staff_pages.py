"""Which staff pages each role is offered in the navigation, and where it lands after logging in (office8b)."""

from __future__ import annotations

import pytest

from madoguchi.domain.staff_pages import landing_for, pages_for
from madoguchi.storage.models import ROLES


@pytest.mark.parametrize(
    ("role", "pages", "landing"),
    [
        ("agent", ["/console"], "/console"),
        ("supervisor", ["/console", "/supervisor", "/reports"], "/supervisor"),
        ("admin", ["/console", "/supervisor", "/reports", "/admin"], "/console"),
        ("nobody", [], "/console"),
    ],
)
def test_each_role_is_offered_only_the_pages_that_open_for_it(role: str, pages: list[str], landing: str) -> None:
    assert [page.path for page in pages_for(role)] == pages
    assert landing_for(role) == landing


def test_every_role_lands_on_a_page_it_may_open() -> None:
    for role in ROLES:
        assert landing_for(role) in {page.path for page in pages_for(role)}
