"""The counter service: runs one operation through the live store, records it, then tells the people involved.

The durability promise, in order: (1) the pure counter decides inside an atomic store transaction, and every
state change it makes is queued as a pending record in the same transaction (the live state's outbox, see
:mod:`madoguchi.signaling.counter`), so a fact is durable as soon as it commits; (2) the pending records the
operation touched are written to the database, oldest first, and removed from the outbox by key; (3) the
participants are notified and the caller acknowledged ``ok``.

When the database cannot take the write (a failover, 10-60 s), the records stay in the outbox and the operation
still notifies and acknowledges ``ok``: the live state is the truth for the live interaction and already holds
the fact durably, so telling the booth ``call.start`` is right, and an error ack would make a client retry or
give up on something that did happen. A flusher in :meth:`CounterService.run_timers` (any process) writes what
is pending, about once a second, until the database answers again. Writes are idempotent by the record's key,
so two processes writing the same record, or a retry after a lost commit reply, store it once. A process killed
between (1) and (3) loses a notification, never a fact.

This module knows nothing of Socket.IO: it talks to a :class:`Notifier`, which the socket layer implements.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import logging
import secrets
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any, Protocol, TypeVar

from madoguchi.domain.privacy import mask_pii
from madoguchi.domain.routes import FALLBACK_ROUTE
from madoguchi.settings import Settings
from madoguchi.signaling.consultation import Channel, Consultation, Disposition, State, Trigger
from madoguchi.signaling.counter import (
    AgentChanged,
    AgentStatus,
    CallEnded,
    CallStarted,
    Counter,
    CounterConfig,
    CounterError,
    Effect,
    OfferMade,
    OfferWithdrawn,
    PeerLink,
    PendingRecord,
    ResidentReleased,
    Transitioned,
    agent_participant,
)
from madoguchi.signaling.store import LiveStore
from madoguchi.storage.booths import BoothRecord, Booths
from madoguchi.storage.errors import StorageError
from madoguchi.storage.records import ConsultationRecord, ConsultationRecords, NewConsultation

log = logging.getLogger(__name__)
T = TypeVar("T")

RECORD_WRITE_TIMEOUT_S = 5.0
"""How long an operation (or a round of the flusher) waits for the database before it leaves the records in the
outbox. Once a round has failed, operations stop waiting at all and leave their records to the flusher until it
gets through again. Cutting a write short is safe: a write whose commit did land is recognised by its key when it
is retried."""
VIEW_READ_TIMEOUT_S = 2.0
"""How long building a view (an offer, call.start, agent.state) waits for a database read before going without."""
FLUSH_INTERVAL_S = 1.0
"""How often the timer loop writes pending records while there are any."""


class Clock(Protocol):
    def __call__(self) -> float: ...


class Notifier(Protocol):
    async def send(self, participant: str, event: str, data: Mapping[str, Any]) -> None:
        """Deliver ``event`` to every connection of ``participant`` (``booth:…``, ``agent:…``, ``resident:…``)."""
        ...


@dataclass(frozen=True)
class StaffIdentity:
    id: str
    username: str
    display_name: str
    role: str
    municipality_ids: tuple[str, ...]
    routes: tuple[str, ...]
    languages: tuple[str, ...]

    @property
    def participant(self) -> str:
        return agent_participant(self.id)


def booth_participant(booth_id: str) -> str:
    return f"booth:{booth_id}"


def new_consultation_id() -> str:
    return "c_" + secrets.token_hex(10)


def _utc(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, tz=UTC)


def counter_config(settings: Settings) -> CounterConfig:
    return CounterConfig(
        offer_timeout_s=settings.offer_timeout_s,
        grace_period_s=settings.grace_period_s,
        decline_cooldown_s=settings.decline_cooldown_s,
        default_handle_time_s=settings.default_handle_time_s,
        process_timeout_s=3 * settings.heartbeat_interval_s,
        wrap_up_timeout_s=settings.wrap_up_timeout_s,
    )


class CounterService:
    def __init__(
        self,
        *,
        settings: Settings,
        store: LiveStore,
        records: ConsultationRecords,
        booths: Booths,
        notifier: Notifier,
        clock: Clock,
    ) -> None:
        self._settings = settings
        self._store = store
        self._records = records
        self._booths = booths
        self._notifier = notifier
        self._clock = clock
        self._booth_cache: dict[str, BoothRecord] = {}
        self._wake = asyncio.Event()
        self.process_id = "p" + secrets.token_hex(6)
        self._held: dict[str, set[str]] = {}  # participant -> connections open on this process
        self._flushing: asyncio.Task[int] | None = None
        # The last write round could not reach the database: operations then leave their records to the flusher
        # instead of each waiting up to RECORD_WRITE_TIMEOUT_S for a database that hangs.
        self._database_away = False
        self._abandoned: set[asyncio.Task[bool]] = set()  # writes cut short, still cleaning up

    # --- operations --------------------------------------------------------------------------------------------

    async def booth_connected(self, booth: BoothRecord, connection_id: str) -> dict[str, Any]:
        self._booth_cache[booth.id] = booth
        return {
            "booth_id": booth.id,
            "name": booth.name,
            "location": booth.location,
            "place": booth.place_name,
            "consultation": await self.resident_connected(booth_participant(booth.id), connection_id),
        }

    async def resident_connected(self, participant: str, connection_id: str) -> dict[str, Any] | None:
        """A resident's (booth or home) connection is up: end their grace period, return their open case."""
        now = self._clock()
        await self._run(
            partial(
                Counter.connection_opened,
                participant=participant,
                connection_id=connection_id,
                process_id=self.process_id,
                now=now,
            )
        )
        self._held.setdefault(participant, set()).add(connection_id)
        counter = await self._store.read()
        open_cases = counter.open_for_resident(participant)
        return await self._resident_view(counter, open_cases[0]) if open_cases else None

    async def agent_connected(self, staff: StaffIdentity, connection_id: str) -> dict[str, Any]:
        now = self._clock()

        def op(c: Counter) -> None:
            c.agent_online(
                agent_id=staff.id,
                display_name=staff.display_name,
                municipality_ids=staff.municipality_ids,
                routes=staff.routes,
                languages=staff.languages,
                now=now,
            )
            c.connection_opened(staff.participant, connection_id, process_id=self.process_id, now=now)

        await self._run(op)
        self._held.setdefault(staff.participant, set()).add(connection_id)
        return await self.agent_view(staff.id)

    async def disconnected(self, participant: str, connection_id: str) -> None:
        """One connection closed; the participant's grace period starts only when it was their last anywhere."""
        held = self._held.get(participant)
        if held is not None:
            held.discard(connection_id)
            if not held:
                del self._held[participant]
        now = self._clock()
        await self._run(
            partial(Counter.connection_closed, participant=participant, connection_id=connection_id, now=now)
        )

    def connection_id(self, sid: str) -> str:
        """A connection's name across processes (Socket.IO sids are only unique within one process)."""
        return f"{self.process_id}:{sid}"

    async def request_from_booth(
        self,
        booth: BoothRecord,
        *,
        route: str,
        language: str,
        urgent: bool = False,
        triage: dict[str, Any] | None = None,
        summary: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        cid = new_consultation_id()
        now = self._clock()
        participant = booth_participant(booth.id)

        def op(c: Counter) -> None:
            c.open(
                consultation_id=cid,
                municipality_id=booth.municipality_id,
                channel=Channel.BOOTH,
                resident=participant,
                booth_id=booth.id,
                route=route,
                language=language,
                urgent=urgent,
                now=now,
            )

        await self._run(op, record={"triage": triage, "summary": summary})
        counter = await self._store.read()
        if cid not in counter.state.consultations:
            raise CounterError("internal", "consultation vanished")
        pos = counter.position(cid)
        return {"consultation_id": cid, "position": pos.position, "wait_estimate_s": pos.wait_estimate_s}

    async def cancel(self, participant: str, consultation_id: str) -> None:
        now = self._clock()
        await self._run(lambda c: c.cancel(consultation_id, resident=participant, now=now))

    async def set_status(self, staff: StaffIdentity, status: str) -> None:
        now = self._clock()
        await self._run(lambda c: c.set_status(staff.id, AgentStatus(status), now=now))

    async def accept(self, staff: StaffIdentity, consultation_id: str) -> None:
        now = self._clock()
        await self._run(lambda c: c.accept(staff.id, consultation_id, now=now))

    async def decline(self, staff: StaffIdentity, consultation_id: str) -> None:
        now = self._clock()
        await self._run(lambda c: c.decline(staff.id, consultation_id, now=now))

    async def end(self, participant: str, consultation_id: str) -> None:
        now = self._clock()
        await self._run(lambda c: c.end(consultation_id, participant=participant, now=now))

    async def wrap_up(self, staff: StaffIdentity, consultation_id: str, disposition: Disposition, note: str) -> None:
        now = self._clock()
        await self._run(lambda c: c.wrap_up(staff.id, consultation_id, disposition=disposition, note=note, now=now))

    async def transfer(self, staff: StaffIdentity, consultation_id: str, route: str) -> None:
        now = self._clock()
        await self._run(lambda c: c.transfer(staff.id, consultation_id, route=route, now=now))

    async def relay_signal(self, participant: str, consultation_id: str, payload: dict[str, Any]) -> None:
        peer = await self._peer_of(participant, consultation_id)
        await self._notifier.send(peer, "signal", payload)

    async def _peer_of(self, participant: str, consultation_id: str) -> str:
        """The relay's guard, answered from this process's recent copy of the counter (no Redis round trip per
        message). A refusal is confirmed against the latest state first: the copy may not yet show the call
        another process connected a moment ago. Relaying to a call that ended a moment ago is harmless: clients
        ignore signals for a call they have left."""
        try:
            return (await self._store.read_recent()).peer_of(participant, consultation_id)
        except CounterError:
            return (await self._store.read()).peer_of(participant, consultation_id)

    async def chat(self, participant: str, consultation_id: str, text: str, client_id: str) -> int:
        """A chat line between the two participants of an active consultation; resident text is masked."""
        peer = await self._peer_of(participant, consultation_id)
        sender = "agent" if participant.startswith("agent:") else "resident"
        if sender == "resident":
            text = mask_pii(text).text
        seq, _created = await self.post(
            consultation_id, sender=sender, text=text, client_id=client_id, to=(participant, peer)
        )
        return seq

    async def post(
        self,
        consultation_id: str,
        *,
        sender: str,
        text: str,
        client_id: str | None,
        to: tuple[str, ...],
        extra: Mapping[str, Any] | None = None,
        meta: Mapping[str, Any] | None = None,
    ) -> tuple[int, bool]:
        """Store a chat line first, then deliver it; a retried ``client_id`` is stored and delivered once."""
        now = self._clock()
        seq, created = await self._records.add_chat(
            consultation_id, seq=None, sender=sender, text=text, at=_utc(now), client_id=client_id, meta=meta
        )
        if created:
            message = {"consultation_id": consultation_id, "seq": seq, "sender": sender, "text": text, "at": now}
            if extra:
                message.update(extra)
            await asyncio.gather(*(self._notifier.send(p, "chat.message", message) for p in to))
        return seq, created

    async def open_chat(self, participant: str, *, municipality_id: str, language: str) -> str:
        """A resident at home starts talking to the bot: a consultation in triage, not yet queued."""
        cid = new_consultation_id()
        now = self._clock()
        await self._run(
            lambda c: c.open(
                consultation_id=cid,
                municipality_id=municipality_id,
                channel=Channel.CHAT,
                resident=participant,
                route=FALLBACK_ROUTE.value,
                language=language,
                now=now,
                to_person=False,
            )
        )
        return cid

    async def handoff(
        self,
        participant: str,
        consultation_id: str,
        *,
        route: str,
        urgent: bool,
        summary: dict[str, Any],
        triage: dict[str, Any],
    ) -> dict[str, Any]:
        """The bot hands the resident to a person: queue them with the summary staff will read."""
        now = self._clock()
        await self._run(
            lambda c: c.handoff(consultation_id, resident=participant, route=route, urgent=urgent, now=now),
            record={"summary": summary, "triage": triage},
        )
        counter = await self._store.read()
        pos = counter.position(consultation_id)
        return {"position": pos.position, "wait_estimate_s": pos.wait_estimate_s}

    async def open_consultation(self, participant: str) -> Consultation | None:
        counter = await self._store.read()
        found = counter.open_for_resident(participant)
        return found[0] if found else None

    # --- timers and recovery -----------------------------------------------------------------------------------

    async def run_timers(self) -> None:
        """Fire deadlines (offer timeouts, grace periods, dead processes) as they fall due, and keep this
        process's heartbeat fresh; runs for the app's lifetime.

        Nothing may end this loop but cancellation: a failed read or tick (the live store is unreachable for a
        while) is logged and retried after a second, and the timers carry on when the store is back.
        """
        interval = self._settings.heartbeat_interval_s
        next_beat = self._clock()
        next_flush = self._clock()
        try:
            while True:
                next_beat, next_flush = await self._timer_round(interval, next_beat, next_flush)
        finally:
            if self._flushing is not None:
                self._flushing.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await self._flushing

    async def _timer_round(self, interval: float, next_beat: float, next_flush: float) -> tuple[float, float]:
        """One round of :meth:`run_timers`; returns when the next heartbeat and the next flush are due."""
        try:
            if self._clock() >= next_beat:
                held = {participant: sorted(conns) for participant, conns in self._held.items()}
                await self._run(partial(Counter.heartbeat, process_id=self.process_id, now=self._clock(), held=held))
                next_beat = self._clock() + interval
            counter = await self._store.read()
            deadline = counter.next_deadline()
            now = self._clock()
            delay = min(1.0, max(0.0, next_beat - now))
            if deadline is not None:
                delay = min(delay, max(0.0, deadline - now))
            self._wake.clear()
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow a cancellation that arrives
            # as the wake-up fires, and the app's shutdown would then wait for this task for ever.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await self._wake.wait()
            # a change may have brought a deadline forward: look again, and only tick when one is due
            latest = await self._store.read()
            due = latest.next_deadline()
            if due is not None and due <= self._clock():
                await self._run(partial(Counter.tick, now=self._clock()))
            oldest = latest.state.outbox[0].at if latest.state.outbox else None
            # only records older than a round: younger ones are normally being written by their operation
            if (
                oldest is not None
                and oldest <= self._clock() - FLUSH_INTERVAL_S
                and self._clock() >= next_flush
                and self._flushing is None
            ):
                # in its own task: a database that hangs must not hold up offer timeouts and grace periods
                next_flush = self._clock() + FLUSH_INTERVAL_S
                self._flushing = asyncio.create_task(
                    self.flush_records(limit_s=RECORD_WRITE_TIMEOUT_S), name="flush-records"
                )
                self._flushing.add_done_callback(self._flushed)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("timer tick failed; retrying in a second")
            await asyncio.sleep(1.0)
        return next_beat, next_flush

    def _flushed(self, task: asyncio.Task[int]) -> None:
        self._flushing = None
        if not task.cancelled() and task.exception() is not None:
            log.warning("writing pending records failed: %s", task.exception())

    async def flush_records(self, *, limit_s: float | None = None) -> int:
        """Write every pending record of the live state's outbox to the database, in order, and remove those
        written; returns how many were written. Safe to run in any process at any time (writes are idempotent
        by key); what the database does not take (within ``limit_s``, if given) stays for the next round."""
        pending = (await self._store.read()).pending_records()
        if not pending:
            return 0
        done = await self._write_records(pending, limit_s=limit_s)
        await self._discard(done)
        if len(done) < len(pending):
            log.warning("%d record(s) still wait for the database", len(pending) - len(done))
        else:
            log.info("wrote %d pending record(s) to the database", len(done))
        return len(done)

    async def recover(self) -> int:
        """At start: if no other process is alive this is a full restart, so interrupt the calls nobody can
        rejoin and mark records the live state no longer knows (in-process state died with the process) as
        interrupted. Returns how many records were marked."""
        now = self._clock()
        full_restart = await self._run(partial(Counter.recover_after_restart, process_id=self.process_id, now=now))
        if not full_restart:
            return 0
        # Pending records first: a case that closed while the database was away is in the outbox, not in the
        # live state, and must get its own end rather than an "interrupted" one.
        await self.flush_records(limit_s=RECORD_WRITE_TIMEOUT_S)
        counter = await self._store.read()
        known = set(counter.state.consultations) | {e.consultation_id for e in counter.pending_records()}
        count = 0
        for record in await self._records.unfinished():
            if record.id in known:
                continue
            await self._records.transition(
                record.id,
                at=_utc(now),
                kind=Trigger.INTERRUPT.value,
                state=State.INTERRUPTED.value,
                closed_at=_utc(now),
                end_reason="interrupted",
            )
            count += 1
        return count

    async def leave(self) -> None:
        """Graceful shutdown: this process's connections are gone now, not after the heartbeat times out."""
        now = self._clock()

        def op(c: Counter) -> None:
            c.state.processes[self.process_id] = now - c.config.process_timeout_s
            c.tick(now)

        try:
            await self._run(op)
            try:
                # last chance for records still pending: with the in-process live state they die with the process
                await self.flush_records(limit_s=RECORD_WRITE_TIMEOUT_S)
            except Exception as exc:
                log.warning("pending records not written at shutdown: %s", exc)
        finally:
            if self._abandoned:  # writes cut short earlier may still be cleaning up: let them end
                await asyncio.wait(set(self._abandoned), timeout=RECORD_WRITE_TIMEOUT_S)

    # --- views -------------------------------------------------------------------------------------------------

    async def agent_view(self, agent_id: str) -> dict[str, Any]:
        counter = await self._store.read()
        agent = counter.state.agents.get(agent_id)
        current = counter.current_for_agent(agent_id)
        consultation = None
        offer = None
        if current is not None and current.state == State.OFFERED:
            offer = await self._offer_view(current)
        elif current is not None:
            consultation = await self._agent_consultation_view(current)
        return {
            "agent_id": agent_id,
            "display_name": agent.display_name if agent else "",
            "status": counter.activity(agent_id).value if agent else "offline",
            "consultation": consultation,
            "offer": offer,
        }

    async def queue_view(self, agent_id: str) -> list[dict[str, Any]]:
        counter = await self._store.read()
        if agent_id not in counter.state.agents:
            return []
        now = self._clock()
        items = []
        for c in counter.queue_for_agent(agent_id):
            item = await self._case_view(c, now)
            item.update(state=c.state.value, waiting_since=c.enqueued_at)
            items.append(item)
        return items

    async def _case_view(self, c: Consultation, now: float) -> dict[str, Any]:
        """What staff see of a case in the queue, in an offer and in a call."""
        booth = await self._booth(c.booth_id)
        return {
            "consultation_id": c.id,
            "route": c.route,
            "channel": c.channel.value,
            "booth_name": booth.name if booth else None,
            "place": booth.place_name if booth else None,
            "language": c.language,
            "urgent": c.urgent,
            "waited_s": round(now - c.enqueued_at, 1),
        }

    async def _offer_view(self, c: Consultation) -> dict[str, Any]:
        view = await self._case_view(c, self._clock())
        view.update(summary=await self._summary(c.id), expires_at=c.offer_expires_at)
        return view

    async def _summary(self, consultation_id: str) -> Any:
        """The summary staff read: from the record, or from a pending record while the database is away (a
        view must not fail, and the offer must still ring, because the database is down)."""
        record: ConsultationRecord | None = await self._view_read(
            f"summary of {consultation_id}", lambda: self._records.get(consultation_id)
        )
        if record is not None and record.summary is not None:
            return record.summary
        counter = await self._store.read()
        for entry in reversed(counter.pending_records({consultation_id})):
            if entry.extra.get("summary") is not None:
                return entry.extra["summary"]
        return None

    async def _agent_consultation_view(self, c: Consultation) -> dict[str, Any]:
        view = await self._offer_view(c)
        view.pop("expires_at")
        view["state"] = c.state.value
        view["chat"] = await self._chat_lines(c.id)
        if c.state == State.ACTIVE:
            view["call"] = self._call_start(await self._store.read(), c, role="agent")
        return view

    async def _resident_view(self, counter: Counter, c: Consultation) -> dict[str, Any]:
        view: dict[str, Any] = {
            "consultation_id": c.id,
            "state": c.state.value,
            "route": c.route,
            "channel": c.channel.value,
            "urgent": c.urgent,
            "chat": await self._chat_lines(c.id),
        }
        if c.state in (State.WAITING, State.OFFERED):
            pos = counter.position(c.id)
            view["position"] = pos.position
            view["wait_estimate_s"] = pos.wait_estimate_s
        if c.state == State.ACTIVE:
            view["call"] = self._call_start(counter, c, role="resident")
        return view

    async def _chat_lines(self, consultation_id: str) -> list[dict[str, Any]]:
        """The transcript so far; empty while the database is away (a view must not fail because of it)."""
        lines = await self._view_read(f"chat of {consultation_id}", lambda: self._records.chat(consultation_id))
        return [
            {
                "consultation_id": consultation_id,
                "seq": line.seq,
                "sender": line.sender,
                "text": line.text,
                "at": line.at.timestamp(),
            }
            for line in lines or []
        ]

    def _call_start(self, counter: Counter, c: Consultation, *, role: str) -> dict[str, Any]:
        if role == "resident":
            agent = counter.state.agents.get(c.agent_id or "")
            peer_name = agent.display_name if agent else ""
        else:
            booth = self._booth_cache.get(c.booth_id or "")
            peer_name = booth.name if booth else ""
        return {
            "consultation_id": c.id,
            "channel": c.channel.value,
            "media": c.channel == Channel.BOOTH,
            "polite": role == "resident",
            "ice_servers": self.ice_servers(c.id, role),
            "peer": {"display_name": peer_name},
        }

    def ice_servers(self, consultation_id: str, role: str) -> list[dict[str, Any]]:
        """Configured ICE servers plus short-lived TURN REST credentials for this participant only."""
        servers: list[dict[str, Any]] = [s.model_dump(exclude_none=True) for s in self._settings.ice_servers]
        secret = self._settings.turn_secret
        if secret is not None and self._settings.turn_urls:
            expiry = int(self._clock()) + self._settings.turn_ttl_s
            username = f"{expiry}:{consultation_id}.{role}"
            digest = hmac.new(secret.get_secret_value().encode(), username.encode(), hashlib.sha1).digest()
            servers.append(
                {
                    "urls": list(self._settings.turn_urls),
                    "username": username,
                    "credential": base64.b64encode(digest).decode(),
                }
            )
        return servers

    async def _booth(self, booth_id: str | None) -> BoothRecord | None:
        """The booth (for names in views), cached; ``None`` while the database is away and this process has not
        seen the booth yet: a view shows no booth name rather than failing (the call must still start)."""
        if booth_id is None:
            return None
        booth = self._booth_cache.get(booth_id)
        if booth is None:
            booth = await self._view_read(f"booth {booth_id}", lambda: self._booths.get(booth_id))
            if booth is not None:
                self._booth_cache[booth_id] = booth
        return booth

    async def _view_read(self, what: str, read: Callable[[], Awaitable[T]]) -> T | None:
        """A database read for a view: skipped while the database is known to be away, cut short after
        :data:`VIEW_READ_TIMEOUT_S` otherwise. ``None`` when it cannot be had: the view goes without (a booth
        name, a summary, the transcript so far), because the call must still start."""
        if self._database_away:
            return None
        try:
            async with asyncio.timeout(VIEW_READ_TIMEOUT_S):
                return await read()
        except Exception as exc:
            log.warning("%s unreadable (%s: %s); the view goes without", what, type(exc).__name__, exc)
            return None

    # --- the pipeline ------------------------------------------------------------------------------------------

    async def _run(self, operation: Callable[[Counter], T], *, record: Mapping[str, Any] | None = None) -> T:
        """Apply (queueing the records), persist, notify. ``record`` adds columns to the first state change's
        durable record."""
        extra = dict(record or {})

        def apply(counter: Counter) -> tuple[T, list[PendingRecord]]:
            result = operation(counter)
            counter.annotate_first_record(extra)
            touched = {e.consultation_id for e in counter.staged}
            # this operation's records, after any of the same cases still pending from earlier (order matters)
            return result, counter.pending_records(touched) if touched else []

        (result, to_write), effects = await self._store.transact(apply)
        if not effects:
            return result
        self._wake.set()
        if to_write and not self._database_away:
            done = await self._write_records(to_write, limit_s=RECORD_WRITE_TIMEOUT_S)
            if len(done) < len(to_write):
                log.warning(
                    "database unavailable: %d record(s) kept in the live state's outbox for later",
                    len(to_write) - len(done),
                )
            await self._discard(done)
        await self._notify(effects)
        return result

    async def _write_records(self, entries: list[PendingRecord], *, limit_s: float | None) -> list[str]:
        """Write ``entries`` in order; returns the keys that are done (written, already there, or refused for
        good). The first failure that is not a storage refusal (the database is unreachable) stops the round:
        nothing after it is written, so no transition overtakes its case's creation or an earlier change, and an
        outage costs one timeout, not one per record."""
        done: list[str] = []
        # In a task of its own: cut short, a write against a hanging database cleans up (a rollback that hangs
        # too) for seconds more, and the operation must not wait for that.
        writing = asyncio.create_task(self._write_in_order(entries, done), name="write-records")
        try:
            async with asyncio.timeout(limit_s):
                reached = await asyncio.shield(writing)
        except TimeoutError:
            log.warning("database did not answer within %.0f s", limit_s or 0)
            self._abandon(writing)
            reached = False
            done = list(done)  # what it finished before the limit; nothing is added after a cancel
        except asyncio.CancelledError:
            self._abandon(writing)
            raise
        if reached == self._database_away:
            log.warning("records: database %s", "back; writing records again" if reached else "away")
        self._database_away = not reached
        return done

    def _abandon(self, task: asyncio.Task[bool]) -> None:
        task.cancel()
        self._abandoned.add(task)
        task.add_done_callback(self._abandoned.discard)

    async def _write_in_order(self, entries: list[PendingRecord], done: list[str]) -> bool:
        """Write until the first failure that is not a storage refusal; True when every entry was dealt with."""
        for entry in entries:
            try:
                await self._record(entry)
            except StorageError as exc:
                # refused for good (a booth deleted meanwhile...): retrying cannot help
                log.error("record %s refused by storage, dropped: %s", entry.key, exc)
            except Exception as exc:
                log.warning("record %s not written (%s: %s)", entry.key, type(exc).__name__, exc)
                return False
            done.append(entry.key)
        return True

    async def _discard(self, keys: list[str]) -> None:
        """Remove written records from the outbox; if the live store is away they stay, and are written again
        (a no-op) by a later flush."""
        if not keys:
            return
        try:
            await self._store.transact(partial(Counter.discard_records, keys=frozenset(keys)))
        except CounterError as exc:
            log.warning("could not remove %d written record(s) from the outbox: %s", len(keys), exc.message)

    async def _record(self, e: PendingRecord) -> None:
        c = e.consultation
        at = _utc(e.at)
        extra = e.extra
        if e.previous is None:
            await self._records.create(
                NewConsultation(
                    id=c.id,
                    municipality_id=c.municipality_id,
                    channel=c.channel.value,
                    booth_id=c.booth_id,
                    resident_ref=None if c.booth_id else c.resident,
                    route=c.route,
                    language=c.language,
                    urgent=c.urgent,
                    state=c.state.value,
                    requested_at=at,
                    triage=extra.get("triage"),
                    summary=extra.get("summary"),
                ),
                key=e.key,
            )
            return
        columns: dict[str, Any] = {k: v for k, v in extra.items() if v is not None}
        trigger = e.trigger
        if trigger == Trigger.OFFER:
            columns["offered_at"] = at
        elif trigger == Trigger.ACCEPT:
            columns.update(answered_at=at, agent_id=c.agent_id)
        elif trigger in (Trigger.END, Trigger.RESIDENT_GONE) and c.state == State.WRAP_UP:
            columns.update(ended_at=at, end_reason=c.end_reason)
        elif trigger == Trigger.AGENT_GONE and e.previous == State.ACTIVE:
            columns.update(ended_at=at, end_reason="agent_link_lost")
        elif trigger == Trigger.WRAP_UP:
            columns.update(
                wrapped_up_at=at,
                closed_at=at,
                disposition=str(e.detail.get("disposition")),
                note=str(e.detail.get("note", "")),
            )
        elif trigger == Trigger.WRAP_UP_TIMEOUT:
            # closed without a wrap-up: wrapped_up_at stays empty, so after-call work time is not made up
            columns.update(closed_at=at, end_reason=c.end_reason, disposition=str(e.detail.get("disposition")))
        elif c.state in (State.ABANDONED, State.INTERRUPTED):
            columns.update(closed_at=at, end_reason=c.end_reason)
        elif trigger in (Trigger.TRANSFER, Trigger.HANDOFF):
            columns.update(route=c.route, urgent=c.urgent)
        await self._records.transition(
            c.id, at=at, kind=trigger.value, state=c.state.value, detail=dict(e.detail), key=e.key, **columns
        )

    async def _notify(self, effects: list[Effect]) -> None:
        counter = await self._store.read()
        agents_changed: set[str] = set()
        queue_changed = False
        for effect in effects:
            if isinstance(effect, Transitioned):
                queue_changed = True
            elif isinstance(effect, AgentChanged):
                agents_changed.add(effect.agent_id)
                queue_changed = True
            elif isinstance(effect, OfferMade):
                c = counter.state.consultations.get(effect.consultation_id)
                if c is not None and c.state == State.OFFERED and c.agent_id == effect.agent_id:
                    await self._notifier.send(agent_participant(effect.agent_id), "offer", await self._offer_view(c))
            elif isinstance(effect, OfferWithdrawn):
                await self._notifier.send(
                    agent_participant(effect.agent_id),
                    "offer.withdrawn",
                    {"consultation_id": effect.consultation_id, "reason": effect.reason},
                )
            elif isinstance(effect, CallStarted):
                c = counter.state.consultations.get(effect.consultation_id)
                if c is not None:
                    await self._booth(c.booth_id)
                    await asyncio.gather(
                        self._notifier.send(c.resident, "call.start", self._call_start(counter, c, role="resident")),
                        self._notifier.send(
                            agent_participant(effect.agent_id),
                            "call.start",
                            self._call_start(counter, c, role="agent"),
                        ),
                    )
            elif isinstance(effect, CallEnded):
                data = {"consultation_id": effect.consultation_id, "reason": effect.reason}
                await asyncio.gather(
                    self._notifier.send(effect.resident, "call.end", data),
                    self._notifier.send(agent_participant(effect.agent_id), "call.end", data),
                )
            elif isinstance(effect, ResidentReleased):
                await self._notifier.send(
                    effect.resident,
                    "consultation.closed",
                    {"consultation_id": effect.consultation_id, "reason": effect.reason},
                )
            elif isinstance(effect, PeerLink):
                await self._notifier.send(
                    effect.notify,
                    "peer.link",
                    {"consultation_id": effect.consultation_id, "connected": effect.connected},
                )
        for agent_id in agents_changed:
            await self._notifier.send(agent_participant(agent_id), "agent.state", await self.agent_view(agent_id))
        if queue_changed:
            await self._broadcast_queue(counter)

    async def _broadcast_queue(self, counter: Counter) -> None:
        sends = []
        for c in counter.queue():
            pos = counter.position(c.id)
            sends.append(
                self._notifier.send(
                    c.resident,
                    "queue.position",
                    {
                        "consultation_id": c.id,
                        "position": pos.position,
                        "wait_estimate_s": pos.wait_estimate_s,
                        "agents_on_duty": pos.agents_on_duty,
                    },
                )
            )
        for agent in counter.state.agents.values():
            if agent.connected:
                sends.append(
                    self._notifier.send(
                        agent_participant(agent.id),
                        "queue.snapshot",
                        {"items": await self.queue_view(agent.id)},
                    )
                )
        await asyncio.gather(*sends)
