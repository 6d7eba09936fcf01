"""An urgent case must reach a person: any on-duty agent of its town may take it whatever its language and route
(the offer names the language); a speaker who serves it still goes first; non-urgent cases keep the language
rule; a stranded non-urgent case names its language as the reason. Fake clock: plain floats."""

from __future__ import annotations

from typing import Any

from madoguchi.signaling.consultation import State
from madoguchi.signaling.counter import AgentStatus
from madoguchi.signaling.no_answer import no_answer
from madoguchi.signaling.supervision import alarms, supervisor_view


def test_urgent_case_in_a_language_nobody_speaks_is_offered_to_an_agent_of_the_town(desk: Any) -> None:
    desk.agent("agent1", now=0.0, languages=("ja", "en"), routes=("welfare",))
    desk.agent("outsider", now=0.0, towns=(desk.OTHER_TOWN,), languages=("vi",))
    desk.request("grandma", now=1.0, language="vi", urgent=True, route="general_inquiry")
    assert desk.c("grandma").state == State.OFFERED and desk.c("grandma").agent_id == "agent1"
    assert desk.c("grandma").language == "vi"  # the offer carries it: the console shows ベトナム語
    assert no_answer(desk.counter, desk.c("grandma"), 2.0) is None


def test_urgent_case_shows_in_the_queue_of_a_busy_agent_and_is_not_stranded(desk: Any) -> None:
    desk.agent("agent1", now=0.0, languages=("ja", "en"))
    desk.active_call("c0", "agent1", now=0.0)
    desk.request("grandma", now=1.0, language="vi", urgent=True)
    assert "grandma" in [c.id for c in desk.counter.queue_for_agent("agent1")]
    assert no_answer(desk.counter, desk.c("grandma"), 2.0) is None
    assert [a.kind for a in alarms(desk.counter, desk.TOWN, 2.0)] == []
    assert desk.counter.position("grandma").agents_on_duty == 1


def test_a_free_speaker_who_serves_the_urgent_case_goes_before_a_longer_idle_agent(desk: Any) -> None:
    desk.agent("ja_only", now=0.0, languages=("ja",))
    desk.agent("vi_speaker", now=5.0, languages=("ja", "vi"))
    desk.request("urgent_vi", now=10.0, language="vi", urgent=True)
    assert desk.c("urgent_vi").agent_id == "vi_speaker"


def test_a_non_urgent_case_keeps_the_language_rule_and_its_alarm_names_the_language(desk: Any) -> None:
    desk.agent("agent1", now=0.0, languages=("ja", "en"))
    desk.request("plain_vi", now=1.0, language="vi")
    assert desk.c("plain_vi").state == State.WAITING
    assert desk.counter.queue_for_agent("agent1") == []
    assert no_answer(desk.counter, desk.c("plain_vi"), 2.0) == "nobody"
    found = alarms(desk.counter, desk.TOWN, 2.0)
    assert [(a.kind, a.reason, a.action, a.language) for a in found] == [
        ("stranded", "language", "sv.do.stranded_language", "vi")
    ]
    view = supervisor_view(desk.counter, desk.TOWN, 2.0)
    assert view.queue[0].stranded


def test_a_stranded_case_for_want_of_its_route_is_not_called_a_language_gap(desk: Any) -> None:
    desk.agent("tax_only", now=0.0, routes=("tax",), languages=("ja", "vi"))
    desk.request("ferry_vi", now=1.0, route="transport_ferry", language="vi")
    found = alarms(desk.counter, desk.TOWN, 2.0)
    assert [(a.kind, a.reason, a.action) for a in found] == [("stranded", None, "sv.do.stranded")]


def test_with_nobody_of_the_town_on_duty_an_urgent_case_is_still_stranded(desk: Any) -> None:
    desk.agent("away", now=0.0, available=False)
    desk.request("grandma", now=1.0, language="vi", urgent=True)
    assert no_answer(desk.counter, desk.c("grandma"), 2.0) == "nobody"
    desk.counter.set_status("away", AgentStatus.AVAILABLE, now=3.0)
    assert desk.c("grandma").agent_id == "away"


def test_handoff_takes_the_language_the_resident_writes_in_over_the_page_language(desk: Any) -> None:
    desk.agent("ja_only", now=0.0, languages=("ja",))
    desk.request("english", now=1.0, to_person=False, resident="chat:r1", language="ja")
    desk.counter.handoff("english", resident="chat:r1", route="tax", urgent=False, now=2.0, language="en")
    assert desk.c("english").language == "en" and desk.c("english").state == State.WAITING
    desk.request("easy", now=3.0, to_person=False, resident="chat:r2", language="ja")
    desk.counter.handoff("easy", resident="chat:r2", route="tax", urgent=False, now=4.0, language="easy-ja")
    assert desk.c("easy").language == "ja" and desk.c("easy").agent_id == "ja_only"  # a ja speaker serves it
