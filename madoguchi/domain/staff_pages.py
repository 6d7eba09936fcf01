"""Which staff pages a role may open, in the order the pages' navigation lists them, and where a role lands after
logging in.

Why one table: the four staff pages (/console, /supervisor, /reports, /admin) each check the role on the server; the
navigation on top of each page must offer exactly the ones that would open, not a link that ends in 403.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True, slots=True)
class StaffPage:
    id: str
    path: str
    label_key: str
    roles: frozenset[str]


STAFF_PAGES: Final[tuple[StaffPage, ...]] = (
    StaffPage("console", "/console", "nav.console", frozenset({"agent", "supervisor", "admin"})),
    StaffPage("supervisor", "/supervisor", "nav.supervisor", frozenset({"supervisor", "admin"})),
    StaffPage("reports", "/reports", "nav.reports", frozenset({"supervisor", "admin"})),
    StaffPage("admin", "/admin", "nav.admin", frozenset({"admin"})),
)

LANDING: Final[Mapping[str, str]] = {"supervisor": "/supervisor"}
"""Where a role goes after logging in, when not the console: a supervisor's work is the live view (they can still
open /console to take calls); agents and admins land on the console (admins answer calls in small towns)."""


def pages_for(role: str) -> tuple[StaffPage, ...]:
    """The staff pages ``role`` may open; an unknown role opens none."""
    return tuple(page for page in STAFF_PAGES if role in page.roles)


def landing_for(role: str) -> str:
    return LANDING.get(role, "/console")
