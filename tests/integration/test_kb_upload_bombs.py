"""Knowledge-base uploads an attacker with an admin session (or a careless copy and paste) could send: a YAML
"billion laughs" that multiplies one long text by aliases, and an answer too long for the Japanese tokenizer.
Both must come back as a 400 with a file:line sentence at once, never tie up the server (red team, issue 9)."""

from __future__ import annotations

import time

from madoguchi import keys
from tests.integration.test_admin_kb_upload import kb_server, tax_yaml, upload  # noqa: F401 (fixture)
from tests.support import LiveServer


def bomb(aliases: int, size: int) -> bytes:
    big = "住民税" * (size // 3)
    return (
        "route: tax\nentries:\n  - id: bomb\n    title: {ja: x, en: x}\n"
        f'    answer: {{ja: &a "{big}", en: x}}\n'
        f"    keywords: [{', '.join(['*a'] * aliases)}]\n"
        "    examples: [a]\n    handoff: false\n"
    ).encode()


async def test_yaml_aliases_are_refused_before_anything_is_built(kb_server: LiveServer) -> None:  # noqa: F811
    before = kb_server.app[keys.TRIAGES]["shiomi"]
    kept = tax_yaml(kb_server).read_bytes()
    started = time.monotonic()
    status, body = await upload(kb_server, "admin-a", bomb(50_000, 9_000), file="kb/tax.yaml")
    assert time.monotonic() - started < 10
    assert status == 400, body
    assert body["report"] == ["kb/tax.yaml:6: not valid YAML: aliases (*name) are not allowed in these files"]
    assert kb_server.app[keys.TRIAGES]["shiomi"] is before
    assert tax_yaml(kb_server).read_bytes() == kept


async def test_a_text_too_long_to_read_is_a_400_not_a_500(kb_server: LiveServer) -> None:  # noqa: F811
    text = (
        "route: tax\nentries:\n  - id: long\n    title: {ja: x, en: x}\n"
        f"    answer: {{ja: {'住民税' * 20_000}, en: x}}\n"
        "    keywords: [住民税]\n    examples: [a]\n    handoff: false\n"
    )
    status, body = await upload(kb_server, "admin-a", text.encode(), file="kb/tax.yaml")
    assert status == 400, body
    assert body["error"]["code"] == "kb_invalid"
    assert "kb/tax.yaml" in body["error"]["message"] and "too long" in body["error"]["message"]
