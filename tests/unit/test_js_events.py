"""The pages' event names (``static/js/events.js``) against the server's, and no page spelling its own.

Why: in JavaScript a misspelt event name is not an error. ``socket.on("queue.positon", ...)`` waits for ever and
``RECEIVE.QUEUE_POSITON`` is ``undefined``; the page just stops reacting. The names live in one module so that this
test can hold every one of them to the protocol (docs/protocol.md) and to the server's code, and every use of
them to the module.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
JS = ROOT / "madoguchi" / "static" / "js"
EVENTS_JS = JS / "events.js"
PROTOCOL = ROOT / "docs" / "protocol.md"
SOCKET_IO_OWN = {"connect", "disconnect", "connect_error"}  # the client library's events, not the protocol's
# The Manager's (``socket.io.on(...)``): its transport opening and reconnecting, not the protocol's either.
SOCKET_IO_OWN |= {"open", "close", "error", "reconnect", "reconnect_attempt", "reconnect_error", "reconnect_failed"}

GROUP = re.compile(r"export const (\w+) = Object\.freeze\(\{(.*?)\}\);", re.S)
ENTRY = re.compile(r'^\s*([A-Z_]+): "([a-z_.]+)",\s*$', re.M)
# Where a page names an event: socket.on("x"), request(socket, "x"), emit("x"), an Outbox's event = "x".
SPELLED = re.compile(
    r'\.on\(\s*"([^"]+)"|\brequest\(\s*[\w.]+,\s*"([^"]+)"|\bemit(?:WithAck)?\(\s*"([^"]+)"|\bevent\s*[=:]\s*"([^"]+)"'
)
REFERENCE = re.compile(r"\b(SEND|RECEIVE)\.(\w+)")


def event_groups(source: str) -> dict[str, dict[str, str]]:
    return {name: dict(ENTRY.findall(body)) for name, body in GROUP.findall(source)}


def spelled_events(source: str) -> set[str]:
    return {next(g for g in match if g) for match in SPELLED.findall(source)} - SOCKET_IO_OWN


def page_scripts() -> list[Path]:
    return sorted(p for p in JS.glob("*.js") if p != EVENTS_JS)


def server_source() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted((ROOT / "madoguchi").rglob("*.py")))


def test_events_module_lists_both_directions_without_repeats() -> None:
    groups = event_groups(EVENTS_JS.read_text(encoding="utf-8"))
    assert set(groups) == {"SEND", "RECEIVE"}
    for name, entries in groups.items():
        assert entries, f"{name} lists no events"
        values = list(entries.values())
        assert len(values) == len(set(values)), f"{name} names an event twice"
        for key, value in entries.items():
            assert key == value.replace(".", "_").upper(), f"{name}.{key} should be named after {value!r}"


def test_every_event_name_is_in_the_protocol_and_the_server() -> None:
    documented = set(re.findall(r"`([a-z_]+(?:\.[a-z_]+)*)`", PROTOCOL.read_text(encoding="utf-8")))
    server = server_source()
    for name, entries in event_groups(EVENTS_JS.read_text(encoding="utf-8")).items():
        for event in entries.values():
            assert event in documented, f"{name} {event!r} is not in docs/protocol.md"
            assert f'"{event}"' in server, f"{name} {event!r} appears nowhere in the server's code"


@pytest.mark.parametrize("script", page_scripts(), ids=lambda p: p.name)
def test_page_scripts_take_event_names_from_the_module(script: Path) -> None:
    source = script.read_text(encoding="utf-8")
    assert spelled_events(source) == set(), f"{script.name} spells event names itself; use events.js"
    groups = event_groups(EVENTS_JS.read_text(encoding="utf-8"))
    for group, key in REFERENCE.findall(source):
        assert key in groups[group], f"{script.name} uses {group}.{key}, which events.js does not define"


def test_the_checks_catch_a_spelled_name_and_a_misspelt_key() -> None:
    page = 'socket.on("connect", f);\nsocket.on("queue.position", g);\nawait request(this.socket, "signal", {});'
    assert spelled_events(page) == {"queue.position", "signal"}
    assert spelled_events('new Outbox({ socket, event: "chat.send" })') == {"chat.send"}
    groups = event_groups('export const RECEIVE = Object.freeze({\n  QUEUE_POSITION: "queue.position",\n});')
    assert REFERENCE.findall("socket.on(RECEIVE.QUEUE_POSITON, f)") == [("RECEIVE", "QUEUE_POSITON")]
    assert "QUEUE_POSITON" not in groups["RECEIVE"]
