"""Revocation's pure parts: which reason ends a credential (time passed in), the counter's revoke operation, and
one round of the watch over fake namespaces and a fake database (no sleeps)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from madoguchi.signaling.consultation import State
from madoguchi.signaling.counter import CallEnded, OfferWithdrawn, ResidentReleased
from madoguchi.signaling.revocation import Credential, CredentialKind, Reason, Standing, reason_to_end
from madoguchi.signaling.revocation_watch import RevocationWatch

SESSION = Credential(CredentialKind.SESSION, "staff-1", "hash-1")
BOOTH = Credential(CredentialKind.BOOTH, "booth-1", "hash-b")


@pytest.mark.parametrize(
    ("credential", "standing", "now", "expected"),
    [
        (SESSION, Standing(sessions={"hash-1": 100.0}), 99.9, None),
        (SESSION, Standing(sessions={"hash-1": 100.0}), 100.0, Reason.SESSION_EXPIRED),
        (SESSION, Standing(sessions={}), 0.0, Reason.SESSION_ENDED),  # logout, password change
        (
            SESSION,
            Standing(sessions={"hash-1": 100.0}, disabled_staff=frozenset({"staff-1"})),
            0.0,
            Reason.ACCOUNT_DISABLED,
        ),
        (SESSION, Standing(sessions={}, disabled_staff=frozenset({"staff-1"})), 0.0, Reason.ACCOUNT_DISABLED),
        (SESSION, Standing(sessions={"hash-1": 100.0}, disabled_staff=frozenset({"staff-2"})), 0.0, None),
        (BOOTH, Standing(booth_tokens={"booth-1": "hash-b"}), 0.0, None),
        (BOOTH, Standing(booth_tokens={"booth-1": None}), 0.0, Reason.BOOTH_REVOKED),
        (BOOTH, Standing(booth_tokens={}), 0.0, Reason.BOOTH_REVOKED),  # deleted
        (BOOTH, Standing(booth_tokens={"booth-1": "hash-new"}), 0.0, Reason.TOKEN_ROTATED),
    ],
)
def test_reason_to_end(credential: Credential, standing: Standing, now: float, expected: Reason | None) -> None:
    assert reason_to_end(credential, standing, now) == expected


def test_revoking_a_booth_in_a_call_ends_it_with_reason_revoked(desk: Any) -> None:
    desk.active_call("c1", "a1", now=0.0)
    desk.take()
    desk.counter.revoke_resident("booth:c1", now=50.0)
    c = desk.c("c1")
    assert (c.state, c.ended_at, c.end_reason) == (State.WRAP_UP, 50.0, "revoked")
    effects = desk.take()
    assert CallEnded("c1", "booth:c1", "a1", "revoked") in effects
    assert ResidentReleased("c1", "booth:c1", "revoked") in effects


def test_revoking_a_booth_withdraws_its_offered_case_and_leaves_others_alone(desk: Any) -> None:
    desk.agent("a1", now=0.0)
    desk.request("c1", now=1.0)  # offered to a1
    desk.request("c2", now=2.0)  # another booth, waiting
    desk.take()
    desk.counter.revoke_resident("booth:c1", now=5.0)
    effects = desk.take()
    assert desk.transitions(effects)[0] == ("c1", "offered", "cancel", "abandoned")
    assert "c1" not in desk.counter.state.consultations
    assert OfferWithdrawn("a1", "c1", "revoked") in effects
    assert desk.c("c2").state == State.OFFERED  # the freed agent is offered the next case at once


@dataclass
class FakeConnection:
    credential: Credential | None


@dataclass
class FakeNamespace:
    connections: dict[str, FakeConnection]
    revoked: list[tuple[str, Reason]] = field(default_factory=list)

    async def revoke(self, sid: str, reason: Reason) -> None:
        self.revoked.append((sid, reason))
        self.connections.pop(sid)


@dataclass
class FakeDatabase:
    sessions: dict[str, datetime]
    disabled: set[str]
    booths: dict[str, str | None]
    asked: list[str] = field(default_factory=list)

    async def session_expiry(self, token_hashes: Collection[str]) -> dict[str, datetime]:
        self.asked.append("sessions")
        return {h: at for h, at in self.sessions.items() if h in token_hashes}

    async def disabled_staff(self, staff_ids: Collection[str]) -> set[str]:
        self.asked.append("staff")
        return self.disabled & set(staff_ids)

    async def booth_tokens(self, booth_ids: Collection[str]) -> dict[str, str | None]:
        self.asked.append("booths")
        return {b: t for b, t in self.booths.items() if b in booth_ids}


async def test_one_round_closes_exactly_the_ended_credentials() -> None:
    expires = datetime.fromtimestamp(1000.0, tz=UTC)
    db = FakeDatabase(sessions={"hash-1": expires, "hash-2": expires}, disabled=set(), booths={"booth-1": "hash-b"})
    agents = FakeNamespace(
        {
            "a": FakeConnection(SESSION),
            "b": FakeConnection(Credential(CredentialKind.SESSION, "staff-2", "hash-2")),
        }
    )
    booths = FakeNamespace({"k": FakeConnection(BOOTH)})
    residents = FakeNamespace({"r": FakeConnection(None)})  # anonymous: never asked about
    now = [10.0]
    watch = RevocationWatch(namespaces=[agents, booths, residents], credentials=db, clock=lambda: now[0])

    assert await watch.check_once() == 0
    del db.sessions["hash-1"]  # a logout
    db.booths["booth-1"] = "hash-rotated"
    assert await watch.check_once() == 2
    assert agents.revoked == [("a", Reason.SESSION_ENDED)] and booths.revoked == [("k", Reason.TOKEN_ROTATED)]
    now[0] = 1000.0  # the other session runs out while connected
    assert await watch.check_once() == 1
    assert agents.revoked[-1] == ("b", Reason.SESSION_EXPIRED)
    db.asked.clear()
    assert await watch.check_once() == 0 and db.asked == []  # nothing held: no query
    assert residents.revoked == []
