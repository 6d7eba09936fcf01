"""A server process that is slow is not taken as gone; one that stopped is (issue #11).

The heartbeat is an operation through the live store and can wait behind the process's other operations; the
liveness signal (a Redis key with a TTL, kept fresh by a task of its own) cannot. The pure core takes a process as
gone only when its heartbeat is overdue AND the edge found no signal of it (``alive``: process -> seconds the
signal stays good). Time is plain floats here; the default ``process_timeout_s`` is 15 s and the grace period 30 s.
"""

from __future__ import annotations

from typing import Any

from madoguchi.signaling.consultation import State
from madoguchi.signaling.presence import ProcessGone, ProcessLate

TIMEOUT = 15.0
GRACE = 30.0


def waiting_on_p1(desk: Any) -> str:
    """A resident waiting with their booth connected through process p1; p2 is the process that ticks."""
    desk.request("c1", now=0.0)
    resident: str = desk.c("c1").resident
    desk.counter.connection_opened(resident, "p1:s1", process_id="p1", now=0.0)
    desk.counter.heartbeat("p2", now=0.0)
    return resident


def test_an_overdue_process_whose_signal_is_present_keeps_its_residents_past_the_grace_period(desk: Any) -> None:
    """Session 13: p1's heartbeat waited behind ~40 slow operations and arrived more than 15 s late; p2 took p1 as
    gone, and after the grace period 1,840 waiting residents' cases closed. Now the signal keeps p1."""
    resident = waiting_on_p1(desk)
    assert desk.counter.overdue_processes(TIMEOUT) == ["p1", "p2"]
    assert desk.counter.tick(TIMEOUT, alive={"p1": 12.0, "p2": 14.0}) == {
        "p1": ProcessLate(silent_s=TIMEOUT),
        "p2": ProcessLate(silent_s=TIMEOUT),
    }
    assert desk.counter.state.connections == {resident: ("p1:s1",)}
    assert desk.c("c1").resident_lost_at is None
    # looked at again when the signal found would run out, not at every round
    assert desk.counter.next_deadline() == TIMEOUT + 12.0
    assert desk.counter.overdue_processes(TIMEOUT + 11.9) == []
    for now in (TIMEOUT + 12.0, TIMEOUT + 24.0, TIMEOUT + GRACE + 10.0):  # the signal renewed each time
        assert desk.counter.tick(now, alive={"p1": 12.0, "p2": 12.0}) == {}, "late: said once, not at every look"
    assert desk.c("c1").state == State.WAITING and desk.c("c1").resident_lost_at is None
    assert desk.counter.state.connections == {resident: ("p1:s1",)}


def test_an_overdue_process_whose_signal_is_gone_is_reaped_and_its_residents_go_after_the_grace_period(
    desk: Any,
) -> None:
    resident = waiting_on_p1(desk)
    desk.counter.tick(TIMEOUT, alive={"p1": 12.0, "p2": 12.0})
    desk.counter.heartbeat("p2", now=TIMEOUT + 12.0)
    # p1 killed: its key ran out, the edge finds no signal
    news = desk.counter.tick(TIMEOUT + 12.0, alive={})
    assert news == {"p1": ProcessGone(silent_s=TIMEOUT + 12.0, connections=1, residents_waiting=1)}
    assert "p1" not in desk.counter.state.processes and "p1" not in desk.counter.state.alive_until
    assert resident not in desk.counter.state.connections
    assert desk.c("c1").resident_lost_at == TIMEOUT + 12.0
    desk.take()
    desk.counter.tick(TIMEOUT + 12.0 + GRACE, alive={"p2": 14.0})
    assert "c1" not in desk.counter.state.consultations
    assert desk.transitions(desk.take()) == [("c1", "waiting", "resident_gone", "abandoned")]


def test_a_signal_that_ran_out_counts_as_none(desk: Any) -> None:
    waiting_on_p1(desk)
    news = desk.counter.tick(TIMEOUT, alive={"p1": 0.0, "p2": 5.0})
    assert set(news) == {"p1", "p2"} and isinstance(news["p1"], ProcessGone) and isinstance(news["p2"], ProcessLate)


def test_a_heartbeat_ends_the_late_episode_and_the_next_one_is_said_again(desk: Any) -> None:
    waiting_on_p1(desk)
    desk.counter.heartbeat("p2", now=TIMEOUT)
    assert desk.counter.tick(TIMEOUT, alive={"p1": 10.0}) == {"p1": ProcessLate(silent_s=TIMEOUT)}
    desk.counter.heartbeat("p1", now=20.0, held={desk.c("c1").resident: ["p1:s1"]})
    assert "p1" not in desk.counter.state.alive_until
    assert desk.counter.next_deadline() == TIMEOUT + TIMEOUT, "p2's heartbeat, then p1's, time out as before"
    desk.counter.heartbeat("p2", now=35.0)
    assert desk.counter.tick(20.0 + TIMEOUT + 3, alive={"p1": 9.0}) == {"p1": ProcessLate(silent_s=TIMEOUT + 3)}


def test_without_signals_an_overdue_process_is_reaped_as_before(desk: Any) -> None:
    """The edge could not read the signals (or there are none): the heartbeats alone decide, as before issue #11."""
    resident = waiting_on_p1(desk)
    desk.counter.heartbeat("p2", now=TIMEOUT)
    assert desk.counter.tick(TIMEOUT) == {"p1": ProcessGone(silent_s=TIMEOUT, connections=1, residents_waiting=1)}
    assert resident not in desk.counter.state.connections


def test_a_start_beside_a_slow_process_is_no_full_restart(desk: Any) -> None:
    """A process starting while the other's heartbeat is overdue but its signal present must not interrupt every
    call and drop every connection (that is for when the whole server went down)."""
    desk.active_call("c1", "a1", now=0.0)
    desk.counter.connection_opened(desk.c("c1").resident, "p1:s1", process_id="p1", now=0.0)
    assert desk.counter.recover_after_restart("p-new", now=TIMEOUT + 5, alive={"p1": 10.0}) is False
    assert desk.c("c1").state == State.ACTIVE
    assert desk.counter.state.connections == {desk.c("c1").resident: ("p1:s1",)}
    desk.take()
    later = TIMEOUT + 5 + TIMEOUT  # p-new's own heartbeat timed out too: it stopped
    assert desk.counter.recover_after_restart("p-newer", now=later, alive={}) is True, "p1 stopped"
    assert ("c1", "active", "interrupted") in [(c, p, n) for c, p, _, n in desk.transitions(desk.take())]


def test_a_process_leaving_takes_only_its_own_connections(desk: Any) -> None:
    """A clean shutdown reaps the leaving process at once; another process merely overdue waits for a tick that
    looks at its signal."""
    resident = waiting_on_p1(desk)
    desk.counter.connection_opened("booth:other", "p2:s9", process_id="p2", now=0.0)
    desk.counter.process_left("p2", now=TIMEOUT + 1)
    assert desk.counter.state.processes == {"p1": 0.0}
    assert desk.counter.state.connections == {resident: ("p1:s1",)}
    desk.counter.process_left("p2", now=TIMEOUT + 2)  # twice (a retried shutdown): nothing more happens
    assert desk.counter.state.processes == {"p1": 0.0}
