"""A small test desk around the pure counter: agents and booths in one line each, time as plain floats.

Nothing here sleeps or does I/O: every operation takes ``now`` explicitly, so a test is a script of moments.
The suite runs with ``--import-mode=importlib``, so tests get the desk through fixtures rather than imports.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from madoguchi.signaling.consultation import Channel, Consultation, Disposition
from madoguchi.signaling.counter import (
    Agent,
    AgentStatus,
    Counter,
    CounterConfig,
    CounterState,
    Effect,
    Transitioned,
    agent_participant,
)


class Desk:
    """The counter plus shorthands. ``take()`` hands over the effects recorded since the last call."""

    TOWN = "setouchi"
    OTHER_TOWN = "uguisu"

    def __init__(self, config: CounterConfig | None = None) -> None:
        self.config = config or CounterConfig(
            offer_timeout_s=20.0, grace_period_s=30.0, decline_cooldown_s=60.0, default_handle_time_s=300.0
        )
        self.counter = Counter(CounterState(), self.config)

    @staticmethod
    def booth(name: str) -> str:
        return f"booth:{name}"

    @staticmethod
    def agent_key(agent_id: str) -> str:
        return agent_participant(agent_id)

    @staticmethod
    def transitions(effects: list[Effect]) -> list[tuple[str, str | None, str, str]]:
        """(consultation id, previous state, trigger, new state) for every Transitioned effect, in order."""
        return [
            (e.consultation.id, e.previous.value if e.previous else None, e.trigger.value, e.consultation.state.value)
            for e in effects
            if isinstance(e, Transitioned)
        ]

    @staticmethod
    def of_type(effects: list[Effect], kind: type) -> list[Effect]:
        return [e for e in effects if isinstance(e, kind)]

    # --- setup ---------------------------------------------------------------------------------------------

    def agent(
        self,
        agent_id: str,
        *,
        now: float,
        towns: tuple[str, ...] = ("setouchi",),
        routes: tuple[str, ...] = ("*",),
        languages: tuple[str, ...] = ("ja",),
        available: bool = True,
    ) -> Agent:
        self.counter.agent_online(
            agent_id=agent_id,
            display_name=f"Agent {agent_id}",
            municipality_ids=towns,
            routes=routes,
            languages=languages,
            now=now,
        )
        if available:
            self.counter.set_status(agent_id, AgentStatus.AVAILABLE, now=now)
        return self.counter.state.agents[agent_id]

    def request(
        self,
        cid: str,
        *,
        now: float,
        resident: str | None = None,
        route: str = "tax",
        town: str = "setouchi",
        language: str = "ja",
        urgent: bool = False,
        to_person: bool = True,
    ) -> Consultation:
        return self.counter.open(
            consultation_id=cid,
            municipality_id=town,
            channel=Channel.BOOTH if to_person else Channel.CHAT,
            resident=resident or self.booth(cid),
            booth_id=cid if to_person else None,
            route=route,
            language=language,
            urgent=urgent,
            to_person=to_person,
            now=now,
        )

    def active_call(self, cid: str, agent_id: str, *, now: float, **request: object) -> Consultation:
        """A booth request taken by ``agent_id`` (who must be the only free matching agent)."""
        if agent_id not in self.counter.state.agents:
            self.agent(agent_id, now=now)
        c = self.request(cid, now=now, **request)  # type: ignore[arg-type]
        assert c.agent_id == agent_id, f"{cid} was offered to {c.agent_id}, not {agent_id}"
        self.counter.accept(agent_id, cid, now=now)
        return c

    def wrap_up(self, agent_id: str, cid: str, *, now: float) -> None:
        self.counter.wrap_up(agent_id, cid, disposition=Disposition.RESOLVED, note="", now=now)

    # --- inspection ----------------------------------------------------------------------------------------

    def take(self) -> list[Effect]:
        effects = list(self.counter.effects)
        self.counter.effects.clear()
        return effects

    def c(self, cid: str) -> Consultation:
        return self.counter.state.consultations[cid]

    def a(self, agent_id: str) -> Agent:
        return self.counter.state.agents[agent_id]

    def held_by(self, agent_id: str) -> str | None:
        return self.counter.state.agents[agent_id].consultation_id


@pytest.fixture
def desk() -> Desk:
    return Desk()


@pytest.fixture
def make_desk() -> Callable[..., Desk]:
    def make(**config: float) -> Desk:
        base: dict[str, float] = {
            "offer_timeout_s": 20.0,
            "grace_period_s": 30.0,
            "decline_cooldown_s": 60.0,
            "default_handle_time_s": 300.0,
        }
        base.update(config)
        return Desk(CounterConfig.model_validate(base))

    return make
