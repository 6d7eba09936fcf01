"""Readiness and metrics: what an orchestrator and a Prometheus server ask a Madoguchi process.

``/healthz`` (in :mod:`madoguchi.app`) says the process answers: an orchestrator restarts it when that fails.
``/readyz`` says the process can serve: the database answers ``SELECT 1`` and, when configured, Redis answers
``PING``, each within a short timeout. During a Redis outage a process stays alive but not ready, and becomes
ready again by itself when Redis returns; restarting it would not help.

``/metrics`` is Prometheus text. Every application gets its own :class:`prometheus_client.CollectorRegistry`
(several apps in one test process must not share counters). Two kinds of numbers:

* events counted as they happen in this process (offers made and withdrawn, waits, finished consultations,
  socket events and errors). With several processes each effect is counted once, by the process whose
  transaction wrote it; Prometheus sums over instances.
* gauges read at scrape time from the live state (queue length per municipality and route, open consultations
  by state, agents by activity, records waiting in the outbox for the database: the same numbers whichever
  process is asked) and from this process's Socket.IO server (connections per namespace). A
  ``madoguchi_records_pending`` that stays above zero means the database is not taking writes (``/readyz``
  names the failing check); the records are safe in the live state and are written when it answers again.

The service and the socket layer never import prometheus: they call :class:`Metrics` methods, and
:class:`MeteredStore` observes the effects of every committed transaction without the service knowing.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import logging
import time
from collections import Counter as Tally
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any, Protocol, TypeVar, runtime_checkable

import socketio
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Gauge, Histogram, generate_latest
from prometheus_client import Counter as PromCounter
from pydantic import SecretStr
from sqlalchemy import text

from madoguchi import keys, ui
from madoguchi.signaling.consultation import TERMINAL_STATES, State, Trigger
from madoguchi.signaling.counter import Counter, Effect, OfferMade, OfferWithdrawn, Transitioned
from madoguchi.signaling.rooms import NAMESPACE_OF_KIND
from madoguchi.signaling.socket_server import EdgeSocketServer
from madoguchi.signaling.store import LiveStore
from madoguchi.storage.db import Database

log = logging.getLogger(__name__)
T = TypeVar("T")

CHECK_TIMEOUT_S = 2.0
NAMESPACES = tuple(NAMESPACE_OF_KIND.values())
"""The namespaces that exist (one per participant kind); metrics are kept for these only."""
WAIT_BUCKETS_S = (5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0)
LINK_RTT_BUCKETS_MS = (25.0, 50.0, 100.0, 200.0, 300.0, 500.0, 800.0, 1500.0)
LINK_PERCENT_BUCKETS = (0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0)
LINK_STEP_BUCKETS_S = (0.0, 10.0, 60.0, 300.0, 900.0, 1800.0)
LINK_STEPS = {"video": "video", "low_video": "low-video", "audio": "audio", "chat": "chat"}
"""The summary's ``seconds`` keys → the ladder's step names (``media-mode``'s ``data-state``)."""
NO_BOOTH = "home"
"""The ``booth`` label of a call with no booth (a resident's video from home); booth ids are ``B`` + hex."""
LINK_SEEN_MAX = 4096
"""Final summaries remembered per process, so a side that sends its final one twice is counted once."""


@runtime_checkable
class Pingable(Protocol):
    async def ping(self) -> None:
        """Raise unless the backing service answers."""
        ...


@runtime_checkable
class Subscriber(Protocol):
    @property
    def listening(self) -> bool:
        """True while subscribed to what other processes publish."""
        ...


class Metrics:
    """This application's Prometheus metrics, behind plain methods."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self._connections = Gauge(
            "madoguchi_socket_connections", "Socket.IO connections on this process", ["namespace"], registry=r
        )
        self._edge = Gauge(
            "madoguchi_socket_edge",
            "Engine.IO sessions on this process (sessions, unjoined: in no namespace now) and, since it started, "
            "sessions refused at the door (door_refused), closed for joining nothing in time (unjoined_closed) and "
            "closed for too many namespace connects (connects_refused)",
            ["what"],
            registry=r,
        )
        self._events = PromCounter(
            "madoguchi_socket_events", "Client events handled by this process", ["namespace", "event"], registry=r
        )
        self._errors = PromCounter("madoguchi_errors", "Error acks sent, by error code", ["code"], registry=r)
        self._offers_made = PromCounter("madoguchi_offers_made", "Offers made to agents", registry=r)
        self._offers_withdrawn = PromCounter(
            "madoguchi_offers_withdrawn", "Offers taken back from agents, by reason", ["reason"], registry=r
        )
        self._finished = PromCounter(
            "madoguchi_consultations_finished", "Consultations that reached a final state", ["state"], registry=r
        )
        self._wait = Histogram(
            "madoguchi_wait_seconds",
            "Time from entering the queue to an agent answering (answered) or the resident leaving (abandoned)",
            ["outcome"],
            buckets=WAIT_BUCKETS_S,
            registry=r,
        )
        self._queue = Gauge(
            "madoguchi_queue_length", "Cases waiting or being offered", ["municipality", "route"], registry=r
        )
        self._open = Gauge("madoguchi_consultations_open", "Open consultations by state", ["state"], registry=r)
        self._agents = Gauge("madoguchi_agents", "Agents on duty by activity", ["activity"], registry=r)
        self._live_state_up = Gauge(
            "madoguchi_live_state_up", "1 when the live state could be read for this scrape", registry=r
        )
        self._records_pending = Gauge(
            "madoguchi_records_pending",
            "State changes held in the live state's outbox, not yet confirmed written to the database",
            registry=r,
        )
        self._records_set_aside = Gauge(
            "madoguchi_records_set_aside",
            "Records the database refused for their values, set aside instead of blocking the outbox (see "
            "GET /api/admin/records/set-aside)",
            registry=r,
        )
        # Per booth and side, one observation per call (its final summary, ``call.quality`` with ``final``). The
        # booth label comes from the case's record (the booth directory), never from what a client sends, so the
        # label set grows with the booths a town registers and nothing else.
        link = ["booth", "side"]
        self._link_rtt = Histogram(
            "madoguchi_link_rtt_ms",
            "Median round-trip time of a call's media path, per booth and side (ms)",
            link,
            buckets=LINK_RTT_BUCKETS_MS,
            registry=r,
        )
        self._link_loss = Histogram(
            "madoguchi_link_loss_percent",
            "Median packet loss of a call, per booth and side (%)",
            link,
            buckets=LINK_PERCENT_BUCKETS,
            registry=r,
        )
        self._link_concealment = Histogram(
            "madoguchi_link_concealment_percent",
            "Audio a side's receiver had to conceal over a call (concealedSamples / totalSamplesReceived, %)",
            link,
            buckets=LINK_PERCENT_BUCKETS,
            registry=r,
        )
        self._link_step = Histogram(
            "madoguchi_link_step_seconds",
            "Seconds a call spent at each ladder step (video, low-video, audio, chat), per booth and side",
            [*link, "step"],
            buckets=LINK_STEP_BUCKETS_S,
            registry=r,
        )
        self._link_seen: dict[tuple[str, str], None] = {}
        for namespace in NAMESPACES:
            self._connections.labels(namespace).set(0)
        # one child per (namespace, event): the label set is bounded (declared event names only), and
        # looking a child up again per event is the costly part of counting on the relay path
        self._event_children: dict[tuple[str, str], Any] = {}

    # --- called by the socket layer ----------------------------------------------------------------------------

    def socket_event(self, namespace: str, event: str, ack: object) -> None:
        """One client event and the ack it got; unknown event names are counted as ``unknown``."""
        code = _error_code(ack)
        key = (namespace, "unknown" if code == "unknown_event" else event)
        child = self._event_children.get(key)
        if child is None:
            child = self._event_children[key] = self._events.labels(*key)
        child.inc()
        if code is not None:
            self.error(code)

    def error(self, code: str) -> None:
        self._errors.labels(code).inc()

    # --- called by the service for each side's final link summary of a call ---------------------------------

    def link_summary(self, consultation_id: str, booth_id: str | None, role: str, summary: Mapping[str, Any]) -> None:
        """Count one side's final summary in the booth's histograms (once per case and side on this process)."""
        key = (consultation_id, role)
        if key in self._link_seen:
            return
        self._link_seen[key] = None
        if len(self._link_seen) > LINK_SEEN_MAX:
            del self._link_seen[next(iter(self._link_seen))]
        labels = (booth_id or NO_BOOTH, role)
        for histogram, value in (
            (self._link_rtt, _number(summary, "rtt_ms", "median")),
            (self._link_loss, _number(summary, "loss_pct", "median")),
            (self._link_concealment, _number(summary, "concealment_pct")),
        ):
            if value is not None:
                histogram.labels(*labels).observe(value)
        seconds = summary.get("seconds")
        if isinstance(seconds, Mapping):
            for key_name, step in LINK_STEPS.items():
                value = seconds.get(key_name)
                if isinstance(value, int | float):
                    self._link_step.labels(*labels, step).observe(float(value))

    # --- called for every committed transaction ----------------------------------------------------------------

    def effects(self, effects: Iterable[Effect]) -> None:
        for effect in effects:
            if isinstance(effect, OfferMade):
                self._offers_made.inc()
            elif isinstance(effect, OfferWithdrawn):
                self._offers_withdrawn.labels(effect.reason).inc()
            elif isinstance(effect, Transitioned):
                self._transitioned(effect)

    def _transitioned(self, e: Transitioned) -> None:
        c = e.consultation
        if e.trigger == Trigger.ACCEPT:
            self._wait.labels("answered").observe(max(0.0, e.at - c.enqueued_at))
        elif c.state == State.ABANDONED and e.previous in (State.WAITING, State.OFFERED):
            self._wait.labels("abandoned").observe(max(0.0, e.at - c.enqueued_at))
        if c.state in TERMINAL_STATES:
            self._finished.labels(c.state.value).inc()

    # --- scrape ------------------------------------------------------------------------------------------------

    def render(
        self, *, counter: Counter | None, connections: Mapping[str, int], edge: Mapping[str, int] | None = None
    ) -> bytes:
        """Prometheus text; ``counter`` is ``None`` when the live state could not be read."""
        for namespace, count in connections.items():
            self._connections.labels(namespace).set(count)
        for what, count in (edge or {}).items():
            self._edge.labels(what).set(count)
        self._queue.clear()
        self._open.clear()
        self._agents.clear()
        self._live_state_up.set(0 if counter is None else 1)
        if counter is not None:
            self._records_pending.set(len(counter.state.outbox))
            self._records_set_aside.set(len(counter.state.set_aside))
            queued = Tally((c.municipality_id, c.route) for c in counter.queue())
            for (municipality, route), count in queued.items():
                self._queue.labels(municipality, route).set(count)
            by_state = Tally(c.state.value for c in counter.state.consultations.values())
            for state in State:
                if state not in TERMINAL_STATES:
                    self._open.labels(state.value).set(by_state.get(state.value, 0))
            activities = Tally(counter.activity(agent_id).value for agent_id in counter.state.agents)
            for activity, count in activities.items():
                self._agents.labels(activity).set(count)
        return generate_latest(self.registry)


def _number(summary: Mapping[str, Any], *path: str) -> float | None:
    """A number inside the summary (``rtt_ms`` → ``median``), or None when the side did not measure it."""
    value: Any = summary
    for name in path:
        value = value.get(name) if isinstance(value, Mapping) else None
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _error_code(ack: object) -> str | None:
    if isinstance(ack, dict):
        error = ack.get("error")
        if isinstance(error, dict) and isinstance(error.get("code"), str):
            return str(error["code"])
    return None


class MeteredStore:
    """A :class:`LiveStore` that reports the effects of every committed transaction to :class:`Metrics`."""

    def __init__(self, inner: LiveStore, metrics: Metrics) -> None:
        self.inner = inner
        self._metrics = metrics

    async def transact(self, operation: Callable[[Counter], T]) -> tuple[T, list[Effect]]:
        result, effects = await self.inner.transact(operation)
        if effects:
            self._metrics.effects(effects)
        return result, effects

    async def read(self) -> Counter:
        return await self.inner.read()

    async def read_recent(self) -> Counter:
        return await self.inner.read_recent()

    @property
    def version(self) -> str:
        return self.inner.version

    @property
    def next_version(self) -> str:
        return self.inner.next_version

    async def close(self) -> None:
        await self.inner.close()


METRICS = web.AppKey("metrics", Metrics)
LIVE_STORE = web.AppKey["LiveStore"]("live_store")


METRICS_APP = web.AppKey("metrics_app", web.Application)
"""With ``MADOGUCHI_METRICS_PORT``: the application ``madoguchi serve`` runs on that port (``/metrics``,
``/readyz``, ``/healthz``), reading the main application's state; the main port then has neither path."""


def setup(app: web.Application, sio: socketio.AsyncServer) -> Metrics:
    """Create this app's :class:`Metrics` and add ``/readyz`` and ``/metrics`` to it, or to its metrics app."""
    metrics = Metrics()
    app[METRICS] = metrics
    settings = app[keys.SETTINGS]

    async def metrics_endpoint(request: web.Request) -> web.Response:
        if (refused := _unauthorised(request, settings.metrics_token, settings.metrics_networks)) is not None:
            return refused
        counter: Counter | None = None
        store = app.get(LIVE_STORE)
        if store is not None:
            try:
                counter = await asyncio.wait_for(store.read(), CHECK_TIMEOUT_S)
            except Exception as exc:  # a scrape must still show this process's own numbers
                log.warning("metrics: live state unreadable: %s", exc)
        body = metrics.render(counter=counter, connections=socket_connections(sio), edge=socket_edge(sio))
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def readyz_endpoint(request: web.Request) -> web.Response:
        if (refused := _unauthorised(request, settings.metrics_token, settings.metrics_networks)) is not None:
            return refused
        return await readyz(app, events=sio.manager)

    target = app
    if settings.metrics_port is not None:
        target = app[METRICS_APP] = web.Application()
        target.router.add_get("/healthz", _alive)
    target.router.add_get("/readyz", readyz_endpoint)
    target.router.add_get("/metrics", metrics_endpoint)
    return metrics


async def _alive(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def _unauthorised(request: web.Request, token: SecretStr | None, networks: Sequence[str]) -> web.Response | None:
    """With ``MADOGUCHI_METRICS_TOKEN`` set, ``/metrics`` and ``/readyz`` (which name internal hosts and show
    the queue) answer only ``Authorization: Bearer <token>``; without it, only clients in
    ``MADOGUCHI_METRICS_NETWORKS`` (loopback by default; session 16: anyone could read them). ``/healthz`` stays
    open for load balancers."""
    if token is None:
        if _in_networks(ui.client_address(request), networks):
            return None
        return web.json_response(
            {
                "error": {
                    "code": "forbidden",
                    "message": "/metrics is for MADOGUCHI_METRICS_NETWORKS (loopback by default) or "
                    "Authorization: Bearer <MADOGUCHI_METRICS_TOKEN>",
                }
            },
            status=403,
        )
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    expected = token.get_secret_value().encode()
    if scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), expected):
        return None
    return web.json_response(
        {"error": {"code": "unauthorized", "message": "send Authorization: Bearer <MADOGUCHI_METRICS_TOKEN>"}},
        status=401,
        headers={"WWW-Authenticate": 'Bearer realm="madoguchi-metrics"'},
    )


def _in_networks(address: str, networks: Sequence[str]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip in ipaddress.ip_network(network) for network in networks)


def socket_edge(sio: socketio.AsyncServer) -> dict[str, int]:
    """The door's numbers (``signaling/session_door.py``) when ``sio`` is the edge server, else none."""
    if not isinstance(sio, EdgeSocketServer):
        return {}
    eio = sio.eio
    return {
        "sessions": len(eio.sockets),
        "unjoined": 0 if eio.door is None else eio.door.total,
        "door_refused": eio.door_refused,
        "unjoined_closed": eio.unjoined_closed,
        "connects_refused": sio.connects_refused,
    }


def socket_connections(sio: socketio.AsyncServer) -> dict[str, int]:
    """Connections per namespace on this process, from python-socketio's own bookkeeping."""
    rooms: Any = sio.manager.rooms  # rooms[namespace][None] holds every sid connected to that namespace
    return {namespace: len(rooms.get(namespace, {}).get(None, {})) for namespace in NAMESPACES}


async def readyz(app: web.Application, *, events: object = None) -> web.Response:
    """200 when every dependency answers, else 503 naming the check that failed. ``events`` is the socket
    manager: with Redis, a process not subscribed to the other processes' events would drop their messages to
    its clients, so it is not ready until it is."""
    checks: dict[str, dict[str, object]] = {}
    database = app.get(keys.DATABASE)
    checks["database"] = await _check(_database_answers(database) if database is not None else None)
    store = app.get(LIVE_STORE)
    if isinstance(store, Pingable):
        checks["redis"] = await _check(store.ping())
    if isinstance(events, Subscriber):
        checks["events"] = (
            {"ok": True}
            if events.listening
            else {"ok": False, "error": "not subscribed to the other processes' events yet"}
        )
    ready = all(check["ok"] for check in checks.values())
    return web.json_response(
        {"status": "ready" if ready else "not_ready", "checks": checks}, status=200 if ready else 503
    )


async def _database_answers(database: Database) -> None:
    # a read session: on SQLite a plain connection would begin IMMEDIATE and queue behind (and hold up) writers
    async with database.read() as session:
        await session.execute(text("SELECT 1"))


async def _check(probe: Awaitable[None] | None) -> dict[str, object]:
    if probe is None:
        return {"ok": False, "error": "not started"}
    started = time.perf_counter()
    try:
        await asyncio.wait_for(probe, CHECK_TIMEOUT_S)
    except TimeoutError:
        return {"ok": False, "error": f"no answer within {CHECK_TIMEOUT_S:.0f} s"}
    except Exception as exc:
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
    return {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 1)}
