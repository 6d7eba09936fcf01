"""The composition root: ``create_app(settings)`` is the one place where the parts are wired together.

Resources (database, live store, counter service and its timers) are opened in ``cleanup_ctx`` so that they
live exactly as long as the application, in tests as in production.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import time
from collections.abc import AsyncIterator, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Final

import jinja2
import socketio
from aiohttp import web
from argon2 import PasswordHasher

from madoguchi import host_guard, http_json, keys, observability, ui
from madoguchi.agent_console import callbacks as callback_api
from madoguchi.agent_console import kb_search
from madoguchi.agent_console import pages as console_pages
from madoguchi.agent_console.attempts import open_attempt_store
from madoguchi.agent_console.login_guard import LOGIN_GUARD, LoginGuard
from madoguchi.booking_desk import api as booking_api
from madoguchi.booking_desk import pages as booking_pages
from madoguchi.booking_desk import staff_api as booking_staff_api
from madoguchi.booking_desk.checkin import BoothCheckIn
from madoguchi.booking_desk.mail import SmtpMailer
from madoguchi.booking_desk.service import BookingDesk
from madoguchi.booth import pages as booth_pages
from madoguchi.chatbot.knowledge import CounterSettings, Municipality
from madoguchi.chatbot.llm import Triage
from madoguchi.chatbot.service import EngineCache, load_triages
from madoguchi.domain.languages import PAGE_LANGUAGES
from madoguchi.domain.opening_hours import HoursSpec, OpeningHours
from madoguchi.llm_backend import OpenAiCompatibleBackend
from madoguchi.media.echo import EchoPeers
from madoguchi.reports import pages as report_pages
from madoguchi.resident_chat import pages as chat_pages
from madoguchi.resident_chat.browser_id import BROWSER_IDS
from madoguchi.resident_chat.conversation import ResidentChat
from madoguchi.resident_chat.resident_socket import ResidentNamespace
from madoguchi.settings import Settings
from madoguchi.signaling import background
from madoguchi.signaling import server_events as se
from madoguchi.signaling.agent_socket import AgentNamespace
from madoguchi.signaling.booth_sightings import BoothSightings
from madoguchi.signaling.booth_socket import BoothNamespace
from madoguchi.signaling.callback_limits import CallbackLimits
from madoguchi.signaling.counter_settings import counter_config, process_timeout_s
from madoguchi.signaling.dispatch import Notifier
from madoguchi.signaling.live import (
    follow_changes,
    open_live_store,
    open_liveness,
    socket_manager,
    start_socket_manager,
    stop_socket_manager,
)
from madoguchi.signaling.liveness import Beacon, Liveness, LocalLiveness
from madoguchi.signaling.lookups import DatabaseHealth, Lookups
from madoguchi.signaling.masking_work import MaskingWork
from madoguchi.signaling.no_answer_refresh import NoAnswerRefresh
from madoguchi.signaling.outbox import OutboxWriter
from madoguchi.signaling.ports import BoothDirectory, CallbackBook, HoursSource, Records
from madoguchi.signaling.ratelimit import Rate
from madoguchi.signaling.recovery import Recovery
from madoguchi.signaling.redis_store import LiveStoreUnavailable
from madoguchi.signaling.revocation_watch import RevocationWatch
from madoguchi.signaling.rooms import SocketNotifier
from madoguchi.signaling.service import Clock, CounterService
from madoguchi.signaling.session_door import DoorLimits
from madoguchi.signaling.shared_limits import open_limits
from madoguchi.signaling.socket_server import EdgeSocketServer
from madoguchi.signaling.state import OverflowRule
from madoguchi.signaling.store import LiveStore
from madoguchi.signaling.supervision import SupervisionRules
from madoguchi.signaling.supervisor_feed import SupervisorFeed, roster_of, watcher_of
from madoguchi.signaling.supervisor_socket import SupervisorNamespace
from madoguchi.signaling.timers import Timers
from madoguchi.signaling.turn import TurnIssuer
from madoguchi.storage.accounts import Accounts
from madoguchi.storage.audit import AuditLog
from madoguchi.storage.bookings import Bookings
from madoguchi.storage.booths import Booths
from madoguchi.storage.callbacks import Callbacks
from madoguchi.storage.credentials import Credentials
from madoguchi.storage.db import Database, open_database
from madoguchi.storage.kept_keys import deployment_key
from madoguchi.storage.municipalities import Municipalities
from madoguchi.storage.opening_hours import HoursBook, OpeningHoursStore
from madoguchi.storage.password_work import PasswordWork
from madoguchi.storage.private_files import private_dir
from madoguchi.storage.records import ConsultationRecords

log = logging.getLogger(__name__)

SOCKETS = web.AppKey("sockets", socketio.AsyncServer)


@dataclass(frozen=True)
class CounterParts:
    """The counter's middle, wired: the operations, the timer loop, the liveness beacon, the start/stop sweeps and
    the re-sending of reasons that only the clock changes."""

    service: CounterService
    timers: Timers
    recovery: Recovery
    no_answers: NoAnswerRefresh
    beacon: Beacon


def assemble_counter(
    *,
    settings: Settings,
    store: LiveStore,
    records: Records,
    booths: BoothDirectory,
    notifier: Notifier,
    clock: Clock,
    callbacks: CallbackBook | None = None,
    hours: HoursSource | None = None,
    liveness: Liveness | None = None,
    callback_limits: CallbackLimits | None = None,
) -> CounterParts:
    """``liveness``: where the processes' liveness signals are (:func:`open_liveness`); by default this process's
    memory (one process)."""
    process_id = "p" + secrets.token_hex(6)
    liveness = LocalLiveness() if liveness is None else liveness
    health = DatabaseHealth()
    wake = asyncio.Event()
    outbox = OutboxWriter(store=store, sink=records, health=health, clock=clock)
    lookups = Lookups(
        records=records, chat_log=records, booths=booths, turn=TurnIssuer(settings), health=health, hours=hours
    )
    service = CounterService(
        store=store,
        outbox=outbox,
        lookups=lookups,
        chat_log=records,
        satisfaction=records,
        callbacks=callbacks,
        callback_limits=callback_limits,
        quality=records,
        notifier=notifier,
        clock=clock,
        process_id=process_id,
        wake=wake,
    )
    timers = Timers(
        store=store,
        outbox=outbox,
        liveness=liveness,
        run=service.run,
        held=service.held,
        process_id=process_id,
        heartbeat_interval_s=settings.heartbeat_interval_s,
        clock=clock,
        wake=wake,
    )
    recovery = Recovery(
        store=store,
        outbox=outbox,
        liveness=liveness,
        records=records,
        sink=records,
        run=service.run,
        process_id=process_id,
        clock=clock,
    )
    no_answers = NoAnswerRefresh(store=store, lookups=lookups, notifier=notifier, held=service.held, clock=clock)
    beacon = Beacon(
        liveness=liveness,
        process_id=process_id,
        interval_s=settings.heartbeat_interval_s,
        ttl_s=process_timeout_s(settings),
    )
    return CounterParts(service, timers, recovery, no_answers, beacon)


def create_app(
    settings: Settings,
    *,
    clock: Clock = time.time,
    password_hasher: PasswordHasher | None = None,
    engines: EngineCache | None = None,
) -> web.Application:
    """The application for ``settings``. The keywords are for a process that starts many apps (the test suite):
    ``password_hasher`` replaces Argon2's real costs (a cheap one checks the same behaviour), ``engines`` shares
    triage engines built from the same knowledge base files between apps. ``madoguchi serve`` passes neither."""
    app = web.Application(
        client_max_size=settings.max_payload_bytes,
        middlewares=[
            host_guard.refuse_foreign_hosts(host_guard.allowed_names(settings.allowed_hosts, settings.public_url)),
            http_json.oversize_as_json,
            http_json.refuse_unsafe_text,
        ],
    )
    app[keys.SETTINGS] = settings
    app[keys.TEMPLATES] = jinja2.Environment(
        loader=jinja2.PackageLoader("madoguchi", "templates"),
        autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
        undefined=jinja2.StrictUndefined,
    )
    sio = EdgeSocketServer(
        async_mode="aiohttp",
        async_handlers=False,
        # notice a silently dead link (mobile handover, satellite drop) within ~15 s, not engine.io's 45 s
        ping_interval=10,
        ping_timeout=5,
        client_manager=socket_manager(settings),
        # room for the JSON escaping of text (a kana is 6 bytes as \uXXXX): an event whose text is over the limit
        # reaches the namespace and gets a payload_too_large ack (signaling.sockets), the socket kept
        max_http_buffer_size=settings.max_payload_bytes * TRANSPORT_HEADROOM,
        door=DoorLimits(
            per_address=settings.socket_unjoined_per_address,
            total=settings.socket_unjoined_total,
            join_within_s=settings.socket_join_timeout_s,
        ),
        address_of=_environ_address,
        connects_per_address=Rate(
            settings.socket_connects_per_address_per_minute,
            max(1, settings.socket_connects_per_address_per_minute // 2),
        ),
    )
    sio.attach(app)
    app[SOCKETS] = sio
    app.cleanup_ctx.append(_storage(settings, password_hasher))
    app.cleanup_ctx.append(_rate_limits(settings))
    app.cleanup_ctx.append(_login_guard(settings, clock))
    app.cleanup_ctx.append(_browser_id_issues(settings, clock))
    app.cleanup_ctx.append(_chatbot(settings, engines))
    app.cleanup_ctx.append(_bookings(settings, clock))
    app.cleanup_ctx.append(_counter(settings, sio, clock))
    app.on_response_prepare.append(ui.baseline_headers)
    app.router.add_get("/healthz", healthz)
    observability.setup(app, sio)
    booth_pages.setup(app)
    console_pages.setup(app)
    kb_search.setup(app)
    callback_api.setup(app)
    chat_pages.setup(app)
    report_pages.setup(app)
    booking_api.setup(app)
    booking_pages.setup(app)
    booking_staff_api.setup(app)
    return app


TRANSPORT_HEADROOM: Final = 8
"""The Engine.IO packet limit is this many times ``MADOGUCHI_MAX_PAYLOAD_BYTES``; only a packet over it is dropped
with its connection (session 16: a 20,000-character chat line closed the socket without an answer)."""


def _environ_address(environ: dict[str, Any]) -> str:
    """The client address of a Socket.IO request (``ui.client_address``: trusted proxies honoured)."""
    request = environ.get("aiohttp.request")
    return ui.client_address(request) if isinstance(request, web.Request) else "unknown"


async def healthz(request: web.Request) -> web.Response:
    """Liveness: the process answers. Readiness (database, Redis) is /readyz."""
    return web.json_response({"status": "ok"})


def _storage(
    settings: Settings, password_hasher: PasswordHasher | None
) -> Callable[[web.Application], AsyncIterator[None]]:
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        if settings.database_url is None:
            private_dir(settings.data_dir)
        db = await open_database(settings.effective_database_url)
        app[keys.DATABASE] = db
        # password hashing on its own threads with a short line (storage/password_work.py): a login flood is
        # refused at once instead of queueing in front of the chatbot and the booths' triage
        app[keys.PASSWORD_WORK] = work = PasswordWork.for_host()
        app[keys.ACCOUNTS] = Accounts(db, hasher=password_hasher, work=work)
        app[keys.BOOTHS] = Booths(db)
        # residents' long lines are masked off the event loop (signaling/masking_work.py): at the socket edge, where
        # the chat stores them and where a stored line is read with the sender's earlier ones
        app[keys.MASKING_WORK] = masking = MaskingWork()
        app[keys.RECORDS] = ConsultationRecords(
            db, line_key=deployment_key(settings.secret_key, settings.data_dir, "chat-client-id"), masking=masking
        )
        app[keys.CALLBACKS] = Callbacks(db)
        yield
        work.close()
        masking.close()
        await db.close()

    return ctx


def _login_guard(settings: Settings, clock: Clock) -> Callable[[web.Application], AsyncIterator[None]]:
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        per_minute = settings.login_attempts_per_address_per_minute
        attempts = app[keys.RATE_LIMITS].keyed("login_attempts", Rate(per_minute, max(1, per_minute // 2)))
        key = deployment_key(settings.secret_key, settings.data_dir, "login-throttle")
        app[LOGIN_GUARD] = guard = LoginGuard(open_attempt_store(settings), clock, key=key, attempts=attempts)
        yield
        await guard.close()

    return ctx


def _browser_id_issues(settings: Settings, clock: Clock) -> Callable[[web.Application], AsyncIterator[None]]:
    """The chat page's new browser ids per address (``resident_chat/browser_id.py``), in the shared limits."""

    async def ctx(app: web.Application) -> AsyncIterator[None]:
        per_hour = settings.resident_browser_ids_per_address_per_hour
        app[BROWSER_IDS].limit_issues(app[keys.RATE_LIMITS].keyed("browser_ids", Rate(per_hour / 60, per_hour)), clock)
        yield

    return ctx


def _rate_limits(settings: Settings) -> Callable[[web.Application], AsyncIterator[None]]:
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        app[keys.RATE_LIMITS] = limits = open_limits(settings)
        yield
        await limits.close()

    return ctx


def _chatbot(settings: Settings, engines: EngineCache | None) -> Callable[[web.Application], AsyncIterator[None]]:
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        llm = OpenAiCompatibleBackend.from_settings(settings)
        # the chatbot's own threads: a login flood or an export on the default pool never delays a resident's
        # answer (session 13). Each town's engine runs one call at a time, so one thread per core is plenty.
        threads = ThreadPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 1)), thread_name_prefix="triage")
        app[keys.TRIAGES] = triages = await asyncio.to_thread(
            load_triages, settings, llm, engines=engines, executor=threads
        )
        app[keys.HOURS] = town_hours(app[keys.DATABASE], lambda m: town_file(app, m))
        municipalities = Municipalities(app[keys.DATABASE])
        for triage in triages.values():
            known = triage.engine.kb.municipality
            await municipalities.ensure_municipality(
                known.id, name_ja=known.name.ja, name_en=known.name.in_language("en")
            )
        yield
        threads.shutdown(wait=False, cancel_futures=True)
        if llm is not None:
            await llm.aclose()

    return ctx


def town_file(app: web.Application, municipality_id: str) -> Municipality | None:
    """The municipality file as loaded now (read each time: an uploaded file replaces the town's triage)."""
    triage = app[keys.TRIAGES].get(municipality_id)
    return None if triage is None else triage.engine.kb.municipality


def phone_line(town: Municipality | None) -> se.PhoneInterpretationLine | None:
    """The town's telephone interpretation service as the console's interpreter panel shows it (None: none named)."""
    found = None if town is None else town.phone_interpretation
    if found is None:
        return None
    return se.PhoneInterpretationLine(
        name={language: found.name.in_language(language) for language in PAGE_LANGUAGES},
        number=found.number,
        tel=found.tel(),
        hours={language: found.hours_text(language) for language in PAGE_LANGUAGES},
        languages=list(found.languages),
    )


def town_hours(db: Database, town: Callable[[str], Municipality | None]) -> HoursBook:
    """The town calendar, built here only (the server and ``madoguchi bookings`` both call this): the admin's stored
    hours, else the municipality file's, closed too on its booking plan's closed days."""

    def defaults(municipality_id: str) -> HoursSpec | None:
        found = town(municipality_id)
        return None if found is None else found.file_hours()

    def also_closed(municipality_id: str) -> OpeningHours | None:
        found = town(municipality_id)
        return None if found is None else found.booking_closed_days()

    return HoursBook(OpeningHoursStore(db), defaults, also_closed=also_closed)


def _bookings(settings: Settings, clock: Clock) -> Callable[[web.Application], AsyncIterator[None]]:
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        desk = BookingDesk(
            towns={mid: triage.engine.kb.municipality for mid, triage in app[keys.TRIAGES].items()},
            bookings=Bookings(app[keys.DATABASE]),
            clock=clock,
            mailer=SmtpMailer.from_settings(settings),
            reminder_hours=settings.booking_reminder_hours,
            due_horizon_minutes=settings.booking_wait_horizon_minutes,
            town_hours=lambda m: app[keys.HOURS].hours(m),
            locked_hours=lambda session, m: app[keys.HOURS].hours_locked(session, m),
        )
        app[booking_api.DESK] = desk
        sweeps = asyncio.create_task(desk.run_sweeps(), name="booking-sweeps")
        yield
        await background.stop(sweeps)

    return ctx


def town_overflow(towns: Mapping[str, CounterSettings]) -> dict[str, dict[str, OverflowRule]]:
    """Each municipality file's overflow settings as the counter's rules (minutes to seconds)."""
    return {
        m: {
            route: OverflowRule(
                after_s=o.after_min * 60,
                to_route=o.to_route.value if o.to_route else None,
                any_with_language=o.any_with_language,
            )
            for route, o in c.overflow.items()
        }
        for m, c in towns.items()
        if c.overflow
    }


def _counter(
    settings: Settings, sio: socketio.AsyncServer, clock: Clock
) -> Callable[[web.Application], AsyncIterator[None]]:
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        towns = {m: t.engine.kb.municipality.counter for m, t in app[keys.TRIAGES].items()}
        raw_store = await open_live_store(settings, counter_config(settings, town_overflow(towns)))
        app[observability.LIVE_STORE] = raw_store
        metrics = app[observability.METRICS]
        store: LiveStore = observability.MeteredStore(raw_store, metrics)
        liveness = open_liveness(settings)
        number_key = deployment_key(settings.secret_key, settings.data_dir, "callback-numbers")
        parts = assemble_counter(
            settings=settings,
            store=store,
            records=app[keys.RECORDS],
            booths=app[keys.BOOTHS],
            notifier=SocketNotifier(sio),
            clock=clock,
            callbacks=app[keys.CALLBACKS],
            hours=app[keys.HOURS],
            liveness=liveness,
            callback_limits=CallbackLimits.open(app[keys.RATE_LIMITS], settings, number_key),
        )
        service = parts.service
        service.links.link_observers.append(metrics)  # per-booth link histograms from the calls' final summaries
        app[keys.COUNTER] = service
        app[booking_api.DESK].on_due = service.set_booked_soon  # booked time counts in walk-ins' estimates
        triages: dict[str, Triage] = app[keys.TRIAGES]
        masking = app[keys.MASKING_WORK]
        service.relay.masking = masking  # a call's long lines from the resident's side: masked off the loop too
        chat = ResidentChat(counter=service, records=app[keys.RECORDS], triages=triages, masking=masking)
        booth_namespace = BoothNamespace(
            booths=app[keys.BOOTHS],
            triage=chat,
            service=service,
            settings=settings,
            clock=clock,
            observer=metrics,
            checkin=BoothCheckIn(app[booking_api.DESK], app[booking_api.BOOTH_WRONG_CODES]),
            echo=(echo := EchoPeers()),
        )
        sio.register_namespace(booth_namespace)
        sio.register_namespace(
            ResidentNamespace(
                chat=chat,
                municipalities=tuple(triages),
                service=service,
                settings=settings,
                clock=clock,
                observer=metrics,
                checkin=BoothCheckIn(app[booking_api.DESK], app[booking_api.WRONG_CODES]),
                limits=app[keys.RATE_LIMITS],
                browser_ids=app[BROWSER_IDS],
                masking=masking,
            )
        )
        agent_namespace = AgentNamespace(
            accounts=app[keys.ACCOUNTS],
            service=service,
            settings=settings,
            clock=clock,
            observer=metrics,
            access_log=AuditLog(app[keys.DATABASE]),
            phone_line=lambda municipality_id: phone_line(town_file(app, municipality_id)),
        )
        sio.register_namespace(agent_namespace)
        feed = SupervisorFeed(  # builds for this process's watchers only, told of other processes' changes
            store=store,
            notifier=SocketNotifier(sio, local=True),
            booths=app[keys.BOOTHS],
            records=app[keys.RECORDS],
            clock=clock,
            hours=app[keys.HOURS].hours,
            rules=SupervisionRules(default_service_level_s=settings.service_level_s),
            short_abandon_s=settings.short_abandon_s,
            staff=lambda staff_id: watcher_of(app[keys.ACCOUNTS], staff_id),
            roster=lambda municipality_id: roster_of(app[keys.ACCOUNTS], municipality_id),
            town_rules={
                m: SupervisionRules(
                    service_level_s={r.value: minutes * 60 for r, minutes in c.service_level_min.items()},
                    default_service_level_s=settings.service_level_s,
                )
                for m, c in towns.items()
            },
        )
        service.listeners.append(feed)
        follow_changes(sio, raw_store, feed)
        service.listeners.append(parts.no_answers)
        supervisor_namespace = SupervisorNamespace(
            accounts=app[keys.ACCOUNTS],
            audit=AuditLog(app[keys.DATABASE]),
            feed=feed,
            service=service,
            settings=settings,
            clock=clock,
            observer=metrics,
        )
        sio.register_namespace(supervisor_namespace)
        watch = RevocationWatch(
            namespaces=(booth_namespace, agent_namespace, supervisor_namespace),
            credentials=Credentials(app[keys.DATABASE]),
            clock=clock,
        )
        await start_socket_manager(sio)
        # the liveness signal first: from then on a heartbeat late behind this process's operations does not make
        # the others take it as gone
        beacon = asyncio.create_task(parts.beacon.run_forever(), name="liveness-beacon")
        try:
            interrupted = await parts.recovery.recover()
        except LiveStoreUnavailable as exc:  # start anyway: not ready (/readyz) until Redis answers
            log.warning("live state unreachable at start (%s); recovery sweep skipped", exc.detail)
            interrupted = 0
        if interrupted:
            log.warning("marked %d unfinished consultations as interrupted after a restart", interrupted)
        timers = asyncio.create_task(parts.timers.run_forever(), name="counter-timers")
        feeding = asyncio.create_task(feed.run_forever(), name="supervisor-feed")
        revocations = asyncio.create_task(watch.run_forever(), name="revocation-watch")
        no_answers = asyncio.create_task(parts.no_answers.run_forever(), name="no-answer-refresh")
        sightings = BoothSightings(held=lambda: service.held().keys(), write=app[keys.BOOTHS].mark_seen, clock=clock)
        sighting = asyncio.create_task(sightings.run_forever(), name="booth-sightings")
        yield
        app[booking_api.DESK].on_due = None  # the counter is going; the booking sweeps may still run a moment
        try:
            await background.stop(feeding)
            await background.stop(timers)
            await background.stop(revocations)
            await background.stop(no_answers)
            await background.stop(sighting)
            try:
                await sightings.close()
            except Exception as exc:  # the time stored stays at most a minute behind
                log.warning("booths' last-seen times not written at shutdown: %s", exc)
            await background.stop(beacon)
            try:
                await parts.recovery.leave()
            except Exception as exc:  # other processes reap us once heartbeat and liveness signal run out
                log.warning("could not leave the live state cleanly: %s", exc)
        finally:  # close the connections even if the timers task died of an error
            await echo.close()
            await stop_socket_manager(sio)
            await store.close()
            await liveness.close()

    return ctx
