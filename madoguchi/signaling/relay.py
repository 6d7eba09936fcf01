"""The relay: signals and chat lines between the people in one consultation, one message at a time.

Nothing here changes the counter: a message is checked against the live state (is the sender in this call, who
receives it) and delivered, so it takes none of :meth:`CounterService.run`'s steps (no transaction, no record, no
dispatch). This is the hot path of a call (every ICE candidate passes here), which is why the guard reads this
process's recent copy of the counter. Chat lines are stored before they are delivered (:meth:`Relay.post`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Mapping
from typing import Any, TypeVar

from pydantic import JsonValue

from madoguchi.domain.participant import Participant
from madoguchi.signaling import server_events as se
from madoguchi.signaling.consultation import State
from madoguchi.signaling.counter import Counter, CounterError
from madoguchi.signaling.dispatch import Delivery, Notifier
from madoguchi.signaling.events import IceCandidate, MediaState, MediaStep, SessionDescription
from madoguchi.signaling.masking_work import MaskingWork, mask_line
from madoguchi.signaling.ports import ChatLog
from madoguchi.signaling.recording import utc
from madoguchi.signaling.routing import agent_participant
from madoguchi.signaling.store import LiveStore
from madoguchi.storage.errors import StorageError, UnknownConsultation
from madoguchi.storage.record_values import StoredChat
from madoguchi.storage.refusals import refused_for_good

T = TypeVar("T")
log = logging.getLogger(__name__)

CHAT_WRITE_TIMEOUT_S = 3.0
"""How long a chat line's write may take before the writer hears ``unavailable`` (below the pages' 5 s ack wait)."""
_UNAVAILABLE = "the records are briefly unavailable; your message is kept and sent again in a moment"


class Relay:
    def __init__(self, *, store: LiveStore, chat_log: ChatLog, notifier: Notifier, clock: Callable[[], float]) -> None:
        self._store = store
        self._chat_log = chat_log
        self._notifier = notifier
        self._clock = clock
        self._abandoned: set[asyncio.Future[StoredChat]] = set()
        self.masking: MaskingWork | None = None
        """Where a long line from the resident's side is masked: off the event loop (set by the composition root)."""

    async def relay_signal(
        self,
        sender: str,
        consultation_id: str,
        *,
        to: str | None,
        description: SessionDescription | None,
        candidate: IceCandidate | None,
        mode: MediaStep | None = None,
        forced: bool | None = None,
        media_state: MediaState | None = None,
    ) -> None:
        if media_state is not None and to is None:
            receivers = await self._guard(lambda c: c.others_in_call(sender, consultation_id))
            relay = se.SignalRelay(consultation_id=consultation_id, sender=Participant(sender), media_state=media_state)
            await self._notifier.deliver([(receiver, relay) for receiver in receivers])
            return
        receiver = await self._guard(lambda c: c.receiver_of(sender, consultation_id, to))
        parts = {
            "description": description,
            "candidate": candidate,
            "mode": mode,
            "forced": forced,
            "media_state": media_state,
        }
        relay = se.SignalRelay(
            consultation_id=consultation_id,
            sender=Participant(sender),
            **{name: value for name, value in parts.items() if value is not None},
        )
        await self._notifier.deliver([(receiver, relay)])

    async def ringing_offer(self, sender: str, consultation_id: str, description: SessionDescription) -> None:
        """The booth's offer made while an agent's console rings with its case: to that console alone."""
        console = await self._guard(lambda c: c.ringing_console(sender, consultation_id))
        relay = se.RingingOfferRelay(consultation_id=consultation_id, description=description)
        await self._notifier.deliver([(console, relay)])

    async def chat(self, participant: str, consultation_id: str, text: str, client_id: str) -> int:
        """A chat line to everyone in an active consultation; text from the resident's side is masked."""
        return (await self.chat_line(participant, consultation_id, text, client_id)).seq

    async def chat_line(self, participant: str, consultation_id: str, text: str, client_id: str) -> StoredChat:
        """As :meth:`chat`; returns what was stored (its text masked further when it completed a number)."""
        others = await self._guard(lambda c: c.writers_audience(participant, consultation_id))
        sender = Participant(participant)
        if not sender.is_staff:
            masked = await mask_line(self.masking, text)
            text = masked.text
        return await self.post_line(
            consultation_id,
            sender="agent" if sender.is_staff else "resident",
            text=text,
            client_id=client_id,
            to=(sender, *others),
            # who of the staff wrote it: a transfer's receiving agent must not read the previous agent's lines as his
            extra={"agent_id": sender.id} if sender.is_staff else None,
            meta={"agent_id": sender.id} if sender.is_staff else None,
        )

    async def post(
        self,
        consultation_id: str,
        *,
        sender: str,
        text: str,
        client_id: str | None,
        to: tuple[str, ...],
        extra: Mapping[str, object] | None = None,
        meta: Mapping[str, JsonValue] | None = None,
    ) -> tuple[int, bool]:
        """Store a chat line first, then deliver it as stored; a retried ``client_id`` is stored and delivered once.
        When the line completed a number sent in pieces over the sender's earlier lines (masked where stored), the
        screens that showed those lines get them masked (``chat.redact``) right after the line, with the case's
        handoff summary when its pieces were masked in it too."""
        stored = await self.post_line(
            consultation_id, sender=sender, text=text, client_id=client_id, to=to, extra=extra, meta=meta
        )
        return stored.seq, stored.created

    async def post_line(
        self,
        consultation_id: str,
        *,
        sender: str,
        text: str,
        client_id: str | None,
        to: tuple[str, ...],
        extra: Mapping[str, object] | None = None,
        meta: Mapping[str, JsonValue] | None = None,
    ) -> StoredChat:
        """As :meth:`post`; returns what was stored."""
        now = self._clock()
        stored = await self._store_line(
            self._chat_log.add_chat_line(
                consultation_id, seq=None, sender=sender, text=text, at=utc(now), client_id=client_id, meta=meta
            )
        )
        if stored.masked_groups:
            await self._mask_pending(consultation_id, stored.masked_groups)
        if stored.created:
            line = se.ChatLine.model_validate(
                {
                    "consultation_id": consultation_id,
                    "seq": stored.seq,
                    "sender": sender,
                    "text": stored.text,
                    "at": now,
                    **(extra or {}),
                }
            )
            deliveries: list[Delivery] = [(Participant(p), line) for p in to]
            if stored.redacted:
                redact = se.ChatRedacted(
                    consultation_id=consultation_id,
                    lines=tuple(se.RedactedLine(seq=seq, text=masked) for seq, masked in stored.redacted),
                    summary=stored.summary,
                )
                deliveries += [(Participant(p), redact) for p in to]
                if stored.summary is not None:  # the console that rings with the case shows the summary too
                    deliveries += [(agent, redact) for agent in await self._ringing(consultation_id, to)]
            await self._notifier.deliver(deliveries)
        return stored

    async def _mask_pending(self, consultation_id: str, groups: Mapping[str, str]) -> None:
        """The pieces masked in the case's records still in the outbox too (``Counter.mask_pending_texts``)."""
        counter = await self._store.read()  # rare (a number completed), and a pending record must not be missed
        if not counter.pending_records({consultation_id}):
            return
        changed, _effects = await self._store.transact(lambda c: c.mask_pending_texts(consultation_id, groups))
        if changed:
            log.info("masked a number sent in pieces in %d pending record(s) of %s", changed, consultation_id)

    async def _ringing(self, consultation_id: str, told: tuple[str, ...]) -> list[Participant]:
        """The agent whose console rings with the case now (its offer card shows the summary), unless told."""
        c = (await self._store.read()).state.consultations.get(consultation_id)
        if c is None or c.state != State.OFFERED or c.offered_to is None:
            return []
        agent = agent_participant(c.offered_to)
        return [] if agent in told else [agent]

    async def _store_line(self, write: Coroutine[Any, Any, StoredChat]) -> StoredChat:
        """The line's write, within :data:`CHAT_WRITE_TIMEOUT_S`. While the database is away (down, locked, or a
        new case's record still waiting in the live state's outbox: ``UnknownConsultation``) the writer gets
        ``unavailable`` at once instead of no answer: the page keeps the line and sends it again with the same
        client id, so it is stored once, when the database is back (session 8's outside attack lost a resident's
        first line this way)."""
        task = asyncio.ensure_future(write)
        done, _ = await asyncio.wait({task}, timeout=CHAT_WRITE_TIMEOUT_S)
        if not done:
            task.cancel()  # cut short; its clean-up may take longer, and nobody waits for it
            self._abandoned.add(task)
            task.add_done_callback(self._abandoned.discard)
            log.warning("chat line not stored: the database did not answer within %.0f s", CHAT_WRITE_TIMEOUT_S)
            raise CounterError("unavailable", _UNAVAILABLE)
        try:
            return task.result()
        except UnknownConsultation:
            log.warning("chat line not stored yet: its consultation's record still waits for the database")
            raise CounterError("unavailable", _UNAVAILABLE) from None
        except StorageError:
            raise
        except Exception as exc:
            if refused_for_good(exc):
                # refused for its values: sent again it would be refused again, for ever (the page retries
                # ``unavailable``); the edge's text rule should have caught it (docs/protocol.md, "Text")
                log.error("chat line refused by the database for its values: %s", type(exc).__name__)
                raise CounterError("invalid_payload", "the database cannot store this line as it is") from None
            log.warning("chat line not stored: %s: %s", type(exc).__name__, exc)
            raise CounterError("unavailable", _UNAVAILABLE) from None

    async def _guard(self, ask: Callable[[Counter], T]) -> T:
        """The relay's guard, answered from this process's recent copy of the counter (no Redis round trip per
        message). A refusal is confirmed against the latest state first: the copy may not yet show the call
        another process connected a moment ago. Relaying to a call that ended a moment ago is harmless: clients
        ignore signals for a call they have left."""
        try:
            return ask(await self._store.read_recent())
        except CounterError:
            return ask(await self._store.read())


def carried(
    sender: Participant, consultation_id: str, description: SessionDescription, counter: Counter, calls: list[Delivery]
) -> list[Delivery]:
    """The call events of an accept that carried what the console made while it rang: its answer to the booth's
    ringing offer goes in the booth's ``call.start`` itself (the booth sets it at once instead of offering); its
    own offer (a call from home) is relayed right after ``call.start``, in the same delivery."""
    others = counter.others_in_call(sender, consultation_id)
    if description.type == "answer":
        return [
            (who, event.model_copy(update={"answer": description}))
            if who in others and isinstance(event, se.CallStart) and event.consultation_id == consultation_id
            else (who, event)
            for who, event in calls
        ]
    relay = se.SignalRelay(consultation_id=consultation_id, sender=sender, description=description)
    return [*calls, *((receiver, relay) for receiver in others)]
