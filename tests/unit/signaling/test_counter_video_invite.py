"""A web chat becomes a video call: the agent invites, the resident accepts with one tap (or declines)."""

from __future__ import annotations

from typing import Any

import pytest

from madoguchi.signaling.counter import CallStarted, CounterError, VideoAnswered, VideoInvited
from madoguchi.signaling.views import call_start

RESIDENT = "resident:r1"


def chat_in_progress(desk: Any, agent_id: str = "a1") -> None:
    desk.agent(agent_id, now=0.0)
    desk.request("c1", now=0.0, to_person=False, resident=RESIDENT)
    desk.counter.handoff("c1", resident=RESIDENT, route="tax", urgent=False, now=1.0)
    desk.counter.accept(agent_id, "c1", now=2.0)
    desk.take()


def test_invite_then_accept_starts_the_call_again_with_media(desk: Any) -> None:
    chat_in_progress(desk)
    desk.counter.invite_video("a1", "c1", now=3.0)
    assert desk.take() == [VideoInvited("c1", RESIDENT)]
    assert desk.c("c1").video_invited and not desk.c("c1").video
    desk.counter.answer_video("c1", resident=RESIDENT, accepted=True, now=4.0)
    assert desk.take() == [VideoAnswered("c1", "a1", True), CallStarted("c1", RESIDENT, "a1")]
    assert desk.c("c1").video and not desk.c("c1").video_invited
    with pytest.raises(CounterError) as again:
        desk.counter.invite_video("a1", "c1", now=5.0)
    assert again.value.code == "invalid_state"  # already on video


def test_a_declined_invitation_leaves_the_chat_as_it_was(desk: Any) -> None:
    chat_in_progress(desk)
    desk.counter.invite_video("a1", "c1", now=3.0)
    desk.take()
    desk.counter.answer_video("c1", resident=RESIDENT, accepted=False, now=4.0)
    assert desk.take() == [VideoAnswered("c1", "a1", False)]
    assert not desk.c("c1").video and not desk.c("c1").video_invited
    with pytest.raises(CounterError) as twice:
        desk.counter.answer_video("c1", resident=RESIDENT, accepted=True, now=5.0)
    assert twice.value.code == "not_invited"  # nothing to answer any more
    desk.counter.invite_video("a1", "c1", now=6.0)  # the agent may ask again
    assert desk.take() == [VideoInvited("c1", RESIDENT)]


def test_only_the_agent_of_an_active_web_chat_may_invite_and_only_its_resident_answer(desk: Any) -> None:
    chat_in_progress(desk)
    desk.agent("a2", now=0.0)
    with pytest.raises(CounterError) as other_agent:
        desk.counter.invite_video("a2", "c1", now=3.0)
    assert other_agent.value.code == "forbidden"
    with pytest.raises(CounterError) as no_invitation:
        desk.counter.answer_video("c1", resident=RESIDENT, accepted=True, now=3.0)
    assert no_invitation.value.code == "not_invited"
    desk.counter.invite_video("a1", "c1", now=3.0)
    with pytest.raises(CounterError) as stranger:
        desk.counter.answer_video("c1", resident="resident:someone-else", accepted=True, now=4.0)
    assert stranger.value.code == "forbidden"


def test_a_booth_call_cannot_be_invited_to_video(desk: Any) -> None:
    desk.active_call("b1", "a1", now=0.0)
    with pytest.raises(CounterError) as booth:
        desk.counter.invite_video("a1", "b1", now=1.0)
    assert booth.value.code == "invalid_state"


def test_the_call_view_says_media_once_the_chat_is_on_video(desk: Any) -> None:
    from madoguchi.signaling.consultation import Role

    chat_in_progress(desk)
    facts: Any = _Facts()
    assert call_start(desk.counter, desk.c("c1"), Role.RESIDENT, facts).media is False
    desk.counter.invite_video("a1", "c1", now=3.0)
    desk.counter.answer_video("c1", resident=RESIDENT, accepted=True, now=4.0)
    assert call_start(desk.counter, desk.c("c1"), Role.RESIDENT, facts).media is True
    assert call_start(desk.counter, desk.c("c1"), Role.AGENT, facts).media is True


class _Turn:
    def ice_servers(self, *_: object, **__: object) -> list[Any]:
        return []


class _Facts:
    booths: dict[str, Any] = {}  # noqa: RUF012
    turn = _Turn()
    now = 4.0
