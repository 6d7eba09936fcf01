"""The console's 通訳を よぶ: whom the call's agent may invite (on the counter for the town, connected, speaking the
resident's language, not in the call; free first), and what the invitation tells the invitee and the resident.
Fake clock: floats."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from madoguchi.signaling import server_events as se
from madoguchi.signaling.consultation import Role
from madoguchi.signaling.counter import CounterError
from madoguchi.signaling.dispatch import dispatch
from madoguchi.signaling.staffing import interpreter_options, transfer_options
from madoguchi.signaling.turn import TurnIssuer
from madoguchi.signaling.views import Facts
from tests.support import make_settings


def _nepali_call(desk: Any) -> None:
    desk.agent("a1", now=0.0, languages=("ja",))
    desk.active_call("c1", "a1", now=0.0, language="ja")
    desk.c("c1").language = "ne"  # the resident chose Nepali; nobody who speaks it took the call


def test_only_staff_on_duty_for_the_town_who_speak_the_language_are_listed_free_first(desk: Any) -> None:
    _nepali_call(desk)
    desk.agent("busy_ne", now=0.0, languages=("ne", "ja"))
    desk.active_call("c2", "busy_ne", now=1.0)
    desk.agent("free_ne", now=2.0, languages=("ne",))
    desk.agent("away_ne", now=2.0, languages=("ne",), available=False)
    desk.agent("ja_only", now=2.0, languages=("ja",))
    desk.agent("other_town_ne", now=2.0, towns=(desk.OTHER_TOWN,), languages=("ne",))
    desk.agent("gone_ne", now=2.0, languages=("ne",))
    desk.a("gone_ne").connected = False
    rows = interpreter_options(desk.counter, "a1", "c1", 3.0)
    assert [(r.staff_id, r.activity) for r in rows] == [
        ("free_ne", "available"),
        ("away_ne", "away"),
        ("busy_ne", "busy"),
    ]
    assert all(r.invited_until is None for r in rows)


def test_an_invited_or_joined_interpreter_is_shown_as_such(desk: Any) -> None:
    _nepali_call(desk)
    desk.agent("ne1", now=0.0, languages=("ne",))
    desk.agent("ne2", now=0.0, languages=("ne",))
    expires = desk.counter.invite_interpreter(
        "c1", inviter="a1", inviter_municipalities=(desk.TOWN,), staff_id="ne1", now=5.0
    )
    [first, _] = interpreter_options(desk.counter, "a1", "c1", 6.0)
    assert first.staff_id == "ne1" and first.invited_until == expires
    assert interpreter_options(desk.counter, "a1", "c1", expires + 1)[0].invited_until is None  # it ran out
    desk.counter.join("c1", participant="agent:ne1", role=Role.INTERPRETER, now=7.0)
    assert [r.staff_id for r in interpreter_options(desk.counter, "a1", "c1", 8.0)] == ["ne2"]


def test_only_the_agent_of_a_running_call_may_ask(desk: Any) -> None:
    _nepali_call(desk)
    desk.agent("a2", now=0.0, languages=("ne",))
    with pytest.raises(CounterError) as refused:
        interpreter_options(desk.counter, "a2", "c1", 1.0)
    assert refused.value.code == "invalid_state"
    with pytest.raises(CounterError):
        interpreter_options(desk.counter, "a1", "nope", 1.0)


def test_the_invitee_hears_who_asks_in_which_language_and_the_resident_hears_an_interpreter_is_called(
    desk: Any, tmp_path: Path
) -> None:
    _nepali_call(desk)
    desk.agent("ne1", now=0.0, languages=("ne",))
    desk.take()
    expires = desk.counter.invite_interpreter(
        "c1", inviter="a1", inviter_municipalities=(desk.TOWN,), staff_id="ne1", now=5.0
    )
    out = dispatch(desk.take(), desk.counter, Facts(now=5.0, turn=TurnIssuer(make_settings(tmp_path))))
    [(to_guest, invite)] = [(who, e) for who, e in out if isinstance(e, se.InterpreterInvite)]
    assert to_guest == "agent:ne1"
    assert (invite.by, invite.by_name, invite.language, invite.route) == ("a1", "Agent a1", "ne", "tax")
    [(to_resident, called)] = [(who, e) for who, e in out if isinstance(e, se.InterpreterCalled)]
    assert to_resident == "booth:c1" and called.expires_at == expires


def test_the_transfer_form_counts_who_the_interpreter_overflow_would_ring(make_desk: Any) -> None:
    """A Nepali case sent to a route whose agents on duty speak no Nepali is rung there at once (with an
    interpreter), so the form must not say 「いま 0人」; a route with a Nepali speaker counts only the speaker."""
    desk = make_desk(interpreter_after_s=300.0)
    desk.agent("a1", now=0.0, routes=("tax",), languages=("ja",))
    desk.active_call("c1", "a1", now=0.0)
    desk.c("c1").language = "ne"
    desk.agent("ja_welfare", now=0.0, routes=("welfare",), languages=("ja",))
    desk.agent("ne_water", now=0.0, routes=("water_sewer",), languages=("ne",))
    desk.agent("ja_water", now=0.0, routes=("water_sewer",), languages=("ja",))
    rows = {r.route: r.on_duty for r in transfer_options(desk.counter, "a1", "c1", ["welfare", "water_sewer"], None)}
    assert rows == {"welfare": 1, "water_sewer": 1}
    strict = make_desk()
    strict.agent("a1", now=0.0, routes=("tax",), languages=("ja",))
    strict.active_call("c1", "a1", now=0.0)
    strict.c("c1").language = "ne"
    strict.agent("ja_welfare", now=0.0, routes=("welfare",), languages=("ja",))
    assert [r.on_duty for r in transfer_options(strict.counter, "a1", "c1", ["welfare"], None)] == [0]


def test_a_supervisor_who_invited_from_outside_the_call_is_told_by_name_and_each_invitation_stands_apart(
    desk: Any, tmp_path: Path
) -> None:
    """The supervisor who invited was not told of a decline (only the call's others were), and with two invitations
    out one decline told the resident's screen nobody was being called any more."""
    _nepali_call(desk)
    desk.agent("boss", now=0.0, available=False)
    desk.agent("ne1", now=0.0, languages=("ne",))
    desk.agent("ne2", now=0.0, languages=("ne",))
    desk.counter.invite_interpreter(
        "c1", inviter="boss", inviter_municipalities=(desk.TOWN,), staff_id="ne1", now=5.0, supervises=True
    )
    second = desk.counter.invite_interpreter(
        "c1", inviter="a1", inviter_municipalities=(desk.TOWN,), staff_id="ne2", now=6.0
    )
    desk.take()
    facts = Facts(now=7.0, turn=TurnIssuer(make_settings(tmp_path)))
    desk.counter.decline_interpreter("c1", staff_id="ne1", now=7.0)
    out = dispatch(desk.take(), desk.counter, facts)
    told = {str(who): e for who, e in out if isinstance(e, se.InterpreterDeclined)}
    assert set(told) == {"agent:boss", "agent:a1", "booth:c1"}  # the inviter too, though not in the call
    assert told["agent:boss"].name == "Agent ne1" and told["agent:boss"].by == "boss"
    assert told["booth:c1"].still_until == second  # ne2 is still being asked: the resident's note stays
    desk.counter.decline_interpreter("c1", staff_id="ne2", now=8.0)
    out = dispatch(desk.take(), desk.counter, facts)
    told = {str(who): e for who, e in out if isinstance(e, se.InterpreterDeclined)}
    assert set(told) == {"agent:a1", "booth:c1"} and told["booth:c1"].still_until is None  # none open now
    assert desk.c("c1").interpreter_invites == {}
