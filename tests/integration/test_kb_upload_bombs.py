"""Knowledge-base uploads an attacker with an admin session (or a careless copy and paste) could send: a YAML
"billion laughs" that multiplies one long text by aliases, and an answer too long for the Japanese tokenizer.
Both must come back as a 400 with a file:line sentence at once, never tie up the server (red team, issue 9).
So must a zip whose headers understate a file's size (outside attack F6)."""

from __future__ import annotations

import io
import struct
import time
import zipfile

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


def lying_zip(real: int, said: int) -> bytes:
    """A zip of the town's folder whose ``municipality.yaml`` unpacks to ``real`` bytes though both headers say
    ``said`` (the local header's size at offset 22, the central directory's at +24)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("shiomi/municipality.yaml", b"a" * real)
    data = bytearray(buffer.getvalue())
    data[22:26] = struct.pack("<I", said)
    central = data.rfind(b"PK\x01\x02")
    data[central + 24 : central + 28] = struct.pack("<I", said)
    return bytes(data)


async def test_a_zip_that_understates_its_sizes_is_a_400_not_a_500(kb_server: LiveServer) -> None:  # noqa: F811
    before = kb_server.app[keys.TRIAGES]["shiomi"]
    started = time.monotonic()
    status, body = await upload(
        kb_server, "admin-a", lying_zip(30 * 1024 * 1024, 100), file=None, content_type="application/zip"
    )
    assert time.monotonic() - started < 5
    assert status == 400, body
    assert body["error"]["code"] == "kb_invalid"
    assert body["error"]["message"].startswith("shiomi/municipality.yaml: the zip file is damaged"), body
    assert kb_server.app[keys.TRIAGES]["shiomi"] is before


async def test_yaml_nested_thousands_deep_is_a_400_naming_the_file(kb_server: LiveServer) -> None:  # noqa: F811
    """Session 21: 5,000 nested ``[`` in one file gave a 500 and a 3,000-line RecursionError traceback."""
    before = kb_server.app[keys.TRIAGES]["shiomi"]
    for deep in (b"a: " + b"[" * 5000 + b"]" * 5000 + b"\n", b"a: " + b"{b: " * 5000 + b"}" * 5000 + b"\n"):
        status, body = await upload(kb_server, "admin-a", deep, file="kb/tax.yaml")
        assert status == 400, body
        assert body["error"]["code"] == "kb_invalid"
        assert body["error"]["message"].startswith("kb/tax.yaml:1: not valid YAML: nested more than"), body
    assert kb_server.app[keys.TRIAGES]["shiomi"] is before
