"""docs/protocol.md against the models: every socket event name of both directions and every field of every event
model must appear on the page, so the page cannot fall behind the code."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from madoguchi.signaling import events
from madoguchi.signaling.agent_socket import AgentNamespace
from madoguchi.signaling.booth_socket import BoothNamespace
from madoguchi.signaling.server_events import (
    SERVER_EVENTS,
    ServerEvent,
    SupervisorAgent,
    SupervisorAlert,
    SupervisorBooth,
    SupervisorCase,
    SupervisorToday,
)
from madoguchi.signaling.supervisor_socket import SupervisorNamespace
from tests.support import make_settings

DOC = (Path(__file__).parents[3] / "docs" / "protocol.md").read_text(encoding="utf-8")
QUOTED = set(re.findall(r"`([^`]+)`", DOC)) | set(re.findall(r'"([A-Za-z_.]+)"', DOC))

CLIENT_MODELS = [
    m for m in vars(events).values() if isinstance(m, type) and issubclass(m, events.Event) and m is not events.Event
]


def fields_of(model: type[BaseModel]) -> set[str]:
    return {info.alias or name for name, info in model.model_fields.items()}


def client_event_names(tmp_path: Path) -> set[str]:
    settings = make_settings(tmp_path)
    none: Any = None
    booth = BoothNamespace(booths=none, triage=none, service=none, settings=settings, clock=lambda: 0.0)
    agent = AgentNamespace(accounts=none, service=none, settings=settings, clock=lambda: 0.0)
    supervisor = SupervisorNamespace(
        accounts=none, audit=none, feed=none, service=none, settings=settings, clock=lambda: 0.0
    )
    return set(booth.routes) | set(agent.routes) | set(supervisor.routes)


def test_every_server_event_model_is_listed_and_named_once() -> None:
    declared = {
        m
        for m in vars(__import__("madoguchi.signaling.server_events", fromlist=["x"])).values()
        if isinstance(m, type) and issubclass(m, ServerEvent) and m is not ServerEvent
    }
    assert declared == set(SERVER_EVENTS)
    names = [m.NAME for m in SERVER_EVENTS]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("model", SERVER_EVENTS, ids=lambda m: m.NAME)
def test_server_event_name_and_fields_are_documented(model: type[ServerEvent]) -> None:
    assert model.NAME in QUOTED, f"{model.NAME} is not in docs/protocol.md"
    missing = fields_of(model) - QUOTED
    assert not missing, f"{model.NAME}: fields {sorted(missing)} are not in docs/protocol.md"


@pytest.mark.parametrize("model", CLIENT_MODELS, ids=lambda m: m.__name__)
def test_client_event_fields_are_documented(model: type[BaseModel]) -> None:
    missing = fields_of(model) - QUOTED
    assert not missing, f"{model.__name__}: fields {sorted(missing)} are not in docs/protocol.md"


def test_client_event_names_are_documented(tmp_path: Path) -> None:
    names = client_event_names(tmp_path)
    assert {"signal", "consultation.join", "consultation.leave"} <= names
    assert not names - QUOTED, f"not in docs/protocol.md: {sorted(names - QUOTED)}"


def test_the_check_fails_for_an_undocumented_field() -> None:
    class Invented(ServerEvent):
        NAME = "invented.event"
        surely_not_documented_anywhere: int

    assert Invented.NAME not in QUOTED
    assert fields_of(Invented) - QUOTED == {"surely_not_documented_anywhere"}


@pytest.mark.parametrize(
    "part", [SupervisorCase, SupervisorAgent, SupervisorBooth, SupervisorToday, SupervisorAlert], ids=str
)
def test_supervisor_snapshot_parts_are_documented(part: type[BaseModel]) -> None:
    missing = fields_of(part) - QUOTED
    assert not missing, f"{part.__name__}: fields {sorted(missing)} are not in docs/protocol.md"
