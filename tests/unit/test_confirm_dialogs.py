"""The "are you sure?" dialogs (the chat's 「待つのを やめる」 and call-back withdrawal, the kiosk's 「やめる」 and
hang-up) come from one macro, ``_confirm.html``: each page wrote its own out by hand, one shape twice."""

from __future__ import annotations

import re
from pathlib import Path

import jinja2
import pytest

from madoguchi.ui import translate

TEMPLATES = Path(__file__).parents[2] / "madoguchi" / "templates"
ASKS = {
    "chat.html": ("cancel-waiting-ask", "callback-withdraw-ask"),
    "booth.html": ("cancel-confirm", "hangup-confirm"),
}


@pytest.mark.parametrize("page", sorted(ASKS))
def test_the_pages_ask_through_the_one_macro(page: str) -> None:
    source = (TEMPLATES / page).read_text(encoding="utf-8")
    assert not re.search(r'class="(confirm-ask|hangup-confirm)', source), "a confirm dialog written out by hand"
    for box in ASKS[page]:
        assert re.search(rf'confirm\.ask\(\s*"{box}"', source), box


@pytest.mark.parametrize(
    ("kind", "box", "name", "keys"),
    [
        (
            "chat",
            "callback-withdraw-ask",
            "callback-withdraw",
            ("resident.callback.withdraw_ask", "resident.callback.withdraw_yes", "resident.callback.withdraw_no"),
        ),
        ("kiosk", "hangup-confirm", "hangup", ("booth.hangup.question", "booth.hangup.yes", "booth.hangup.no")),
    ],
)
def test_the_macro_asks_with_the_catalogs_words_and_the_same_ids(
    kind: str, box: str, name: str, keys: tuple[str, str, str]
) -> None:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, undefined=jinja2.StrictUndefined
    )
    template = environment.from_string(
        '{% import "_confirm.html" as confirm with context %}{{ confirm.ask(box, name, keys, kind=kind) }}'
    )
    html = template.render(box=box, name=name, keys=keys, kind=kind, t=lambda key: translate("ja", key))
    assert f'id="{box}" data-testid="{box}" role="alertdialog"' in html
    assert f'aria-labelledby="{name}-question"' in html and (kind == "kiosk") == ('aria-modal="true"' in html)
    for part, key in zip(("question", "yes", "no"), keys, strict=True):
        assert f'id="{name}-{part}"' in html and f'data-i18n="{key}">{translate("ja", key)}<' in html
    for part in ("yes", "no"):
        assert f'data-testid="{name}-{part}"' in html
