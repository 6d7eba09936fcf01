"""Choosing where live state lives: in this process, or in Redis shared by several processes.

One setting decides it. Without ``MADOGUCHI_REDIS_URL`` everything stays in memory (one process, the demo and
small towns). With it, the counter lives in :class:`~madoguchi.signaling.redis_store.RedisStore` and
python-socketio's :class:`socketio.AsyncRedisManager` carries every emit to whichever process holds the
recipient's connection. Both use the same key prefix, so several deployments (or test runs) can share one Redis
without seeing each other.

Order of signaling messages across processes: a connection's events are handled one after another
(``async_handlers=False``) and each emit is published before the next event is read, so the messages of one
sender reach Redis in order; the receiving process has one subscriber task that emits them in the order Redis
delivered them. No sequence numbers are needed for ordering.

The manager is started eagerly at application start (python-socketio would otherwise subscribe only when the
first client connects, and lose what other processes publish in the meantime) and stopped at shutdown, which
python-socketio does not do by itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any, Protocol

import redis.asyncio
import socketio
from socketio.async_pubsub_manager import AsyncPubSubManager

from madoguchi.settings import Settings
from madoguchi.signaling.counter import CounterConfig
from madoguchi.signaling.liveness import Liveness, LocalLiveness, RedisLiveness
from madoguchi.signaling.redis_store import RedisStore, blocking_pool, connect_redis, validate_prefix
from madoguchi.signaling.set_aside_file import FILE_NAME as SET_ASIDE_FILE
from madoguchi.signaling.set_aside_file import SetAsideFile
from madoguchi.signaling.store import LiveStore, MemoryStore

log = logging.getLogger(__name__)

SUBSCRIBE_WAIT_S = 2.0


def redis_prefix(settings: Settings) -> str:
    """Key prefix and channel stem in Redis (``MADOGUCHI_REDIS_PREFIX``)."""
    return validate_prefix(settings.redis_prefix)


def socketio_channel(settings: Settings) -> str:
    return f"{redis_prefix(settings)}:socketio"


async def open_live_store(settings: Settings, config: CounterConfig) -> LiveStore:
    """The store for this deployment. Opening never touches the network: a Redis that is down at start makes
    the process not ready (``/readyz``), not dead."""
    if settings.redis_url is None:
        return MemoryStore(config, set_aside=SetAsideFile(settings.data_dir / SET_ASIDE_FILE))
    return RedisStore.from_url(settings.redis_url, config, prefix=redis_prefix(settings))


def open_liveness(settings: Settings) -> Liveness:
    """Where this deployment's processes announce that they run (:mod:`madoguchi.signaling.liveness`): this process's
    memory, or Redis through a client of its own (never the live store's, which can be busy with large
    transactions). Opening never touches the network."""
    if settings.redis_url is None:
        return LocalLiveness()
    return RedisLiveness(connect_redis(settings.redis_url), prefix=redis_prefix(settings))


class _WaitingPools:
    """``redis.asyncio`` as python-socketio sees it, with clients whose pool waits for a free connection
    (:func:`~madoguchi.signaling.redis_store.blocking_pool`): upstream's ``Redis.from_url`` pool fails a publish at
    once past 100 in use ("Too many connections"), which at 2,000 waiting dropped events in the relay's burst."""

    def __init__(self) -> None:
        self.sentinel = redis.asyncio.sentinel

    class Redis:
        @staticmethod
        def from_url(url: str, **options: Any) -> redis.asyncio.Redis:
            return redis.asyncio.Redis.from_pool(blocking_pool(url, **options))


class RedisSocketManager(socketio.AsyncRedisManager):  # type: ignore[misc]
    """python-socketio's Redis manager with six changes.

    - A leak: when it reconnects (after Redis went away) it replaces its clients without closing them. They are
      kept here and closed later: the listener may still be reading from the previous one, so only clients
      several reconnections old are closed while running, the rest at stop.
    - The listener has a client of its own: upstream's ``_publish`` reconnects after a failed publish, which
      replaced the subscription too; a burst of failed publishes then closed the one being read.
    - Its listener waits up to 60 s between attempts to re-subscribe, and every message other processes publish
      meanwhile is lost to this process's clients. Here the wait grows from 0.1 s to at most
      :attr:`RETRY_CAP_S`, so the process hears the others again within moments of Redis coming back.
    - :attr:`listening` says whether it is subscribed, for ``/readyz``.
    - A failed publish (events for clients on other processes) is retried with backoff for up to
      :attr:`PUBLISH_BUDGET_S` instead of twice back to back and then dropped (:meth:`_publish`).
    - Its clients' pools wait for a free connection instead of failing past 100 in use (:class:`_WaitingPools`).

    It also carries other channels on the same subscription (:meth:`follow`): the live store's change notices
    travel with the events, so their relative order is Redis's publish order.
    """

    KEEP_SUPERSEDED = 8
    pubsub: Any  # python-socketio's attributes, untyped there
    connected: bool
    redis: Any
    RETRY_FIRST_S = 0.1
    RETRY_CAP_S = 2.0
    PUBLISH_BUDGET_S = 2.0
    """How long one publish may keep retrying (the emitting task waits: a connection's next event, an operation's
    next delivery); at most this plus one connect timeout."""
    PUBLISH_FIRST_RETRY_S = 0.05
    PUBLISH_RETRY_CAP_S = 0.5

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.superseded: list[Any] = []
        self._closing: set[asyncio.Task[None]] = set()
        self.listening = False
        self._followers: dict[str, ChangeFollower] = {}
        self._subscriber: Any = None  # the listener's client (the publisher is ``redis``)
        self.publishes_dropped = 0
        """Messages for other processes given up since start (each was delivered on this process)."""
        self._publish_down_since: int | None = None  # publishes_dropped when the current outage began

    def _get_redis_module(self) -> Any:
        module = super()._get_redis_module()
        return _WaitingPools() if module is redis.asyncio else module

    def follow(self, channel: str, follower: ChangeFollower) -> None:
        """Deliver ``channel``'s messages to ``follower`` instead of treating them as Socket.IO events. Call
        before the manager starts listening."""
        self._followers[channel] = follower

    def _redis_connect(self) -> None:
        """A new publishing client (python-socketio calls this from ``_publish`` after a failed publish). The
        listener's subscription has a client of its own (:meth:`_subscriber_connect`) and is left alone: until
        session 13 each failed publish replaced it too, and after a burst of them (2,000 waiting, Redis slow) the
        one the listener was reading was among the superseded clients closed — "cannot receive from Redis
        (Connection closed by server.)", and what other processes published until it subscribed again was lost."""
        subscription = self.pubsub
        if self.redis is not None:
            self.superseded.append(self.redis)
        super()._redis_connect()
        self.pubsub = subscription  # upstream's new pub/sub object is never used (it connects lazily: nothing open)
        self._close_superseded()

    async def _publish(self, data: Any) -> Any:
        """Publish ``data`` to the other processes (python-socketio has already handled it on this one).

        Upstream tries twice back to back, then logs "giving up" and drops the message: a Redis blip shorter than a
        second lost events for clients on other processes (session 13: booths not told their case had closed), and
        nothing resends them. Here a failed publish is retried with backoff (from :attr:`PUBLISH_FIRST_RETRY_S`,
        doubling up to :attr:`PUBLISH_RETRY_CAP_S`) for up to :attr:`PUBLISH_BUDGET_S`, in line, so one sender's
        messages keep their order. Once one is given up the outage is taken as going on: each publish is tried once
        until one gets through, so a burst (a tick closing a thousand cases) is not held up message by message;
        logged once per outage, with how many were dropped. A retry after a timeout may deliver a message twice
        (the first may have reached Redis): pages show a chat line once per seq; in a call a repeated answer fails
        to apply (logged in the page's console, the call carries on), a repeated offer is answered again and a
        repeated ICE candidate changes nothing."""
        text = self.json.dumps(data)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + (0.0 if self._publish_down_since is not None else self.PUBLISH_BUDGET_S)
        wait = self.PUBLISH_FIRST_RETRY_S
        while True:
            try:
                if not self.connected:
                    self._redis_connect()
                sent = await self.redis.publish(self.channel, text)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.connected = False
                if loop.time() + wait <= deadline:
                    await asyncio.sleep(wait)
                    wait = min(self.PUBLISH_RETRY_CAP_S, wait * 2)
                    continue
                if self._publish_down_since is None:
                    self._publish_down_since = self.publishes_dropped
                    log.warning(
                        "cross-process events: cannot publish to Redis (%s); a message for other processes dropped "
                        "after %.1f s of retries, and until Redis answers each is tried once",
                        exc,
                        self.PUBLISH_BUDGET_S,
                    )
                self.publishes_dropped += 1
                return None
            if self._publish_down_since is not None:
                log.warning(
                    "cross-process events: publishing again (%d dropped meanwhile)",
                    self.publishes_dropped - self._publish_down_since,
                )
                self._publish_down_since = None
            return sent

    def _subscriber_connect(self) -> None:
        """The listener's own client and pub/sub object (upstream's connection logic, sentinel URLs included)."""
        publisher, connected = self.redis, self.connected
        self.superseded.extend(c for c in (self.pubsub, self._subscriber) if c is not None)
        super()._redis_connect()
        self._subscriber = self.redis
        # see subscribe confirmations: a follower counts as subscribed only once Redis has confirmed it
        self.pubsub = self._subscriber.pubsub(ignore_subscribe_messages=False)
        self.redis, self.connected = publisher, connected  # the publisher connects on its first publish
        self._close_superseded()

    def _close_superseded(self) -> None:
        while len(self.superseded) > 2 * self.KEEP_SUPERSEDED:
            task = asyncio.ensure_future(_close_quietly(self.superseded.pop(0)))
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)

    async def _redis_listen_with_retries(self) -> AsyncIterator[Any]:
        """Same contract as python-socketio's (yield every pub/sub message, reconnect on any error)."""
        retry_s = self.RETRY_FIRST_S
        while True:
            try:
                self._subscriber_connect()
                await self.pubsub.subscribe(self.channel, *self._followers)
                self.listening = True
                if retry_s > self.RETRY_FIRST_S:
                    log.warning("cross-process events: subscribed again")
                retry_s = self.RETRY_FIRST_S
                async for message in self.pubsub.listen():
                    follower = self._followers.get(_text(message.get("channel")))
                    if follower is None:
                        if message.get("type") == "message":
                            yield message
                    elif message.get("type") == "subscribe":
                        follower.changes_subscribed()
                    elif message.get("type") == "message":
                        follower.changed(_text(message.get("data")))
            except Exception as exc:
                if self.listening or retry_s == self.RETRY_FIRST_S:
                    log.warning("cross-process events: cannot receive from Redis (%s); retrying", exc)
                self._unsubscribed()
                await asyncio.sleep(retry_s)
                retry_s = min(self.RETRY_CAP_S, retry_s * 2)
            finally:
                self._unsubscribed()

    def _unsubscribed(self) -> None:
        self.listening = False
        for follower in self._followers.values():
            follower.changes_unsubscribed()

    async def close_all(self) -> None:
        clients, self.superseded = [*self.superseded, self.pubsub, self._subscriber, self.redis], []
        for client in clients:
            await _close_quietly(client)
        await asyncio.gather(*self._closing, return_exceptions=True)


class ChangeFollower(Protocol):
    """Receives a channel carried by :class:`RedisSocketManager` (the live store's change notices)."""

    def changes_subscribed(self) -> None: ...

    def changes_unsubscribed(self) -> None: ...

    def changed(self, token: str) -> None: ...


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class Followers:
    """Several followers of one channel, told in order: the live store first (its copy is marked old before anyone
    who hears of the change reads it), then the others (the supervisors' feed)."""

    def __init__(self, *followers: ChangeFollower) -> None:
        self.followers = followers

    def changes_subscribed(self) -> None:
        for follower in self.followers:
            follower.changes_subscribed()

    def changes_unsubscribed(self) -> None:
        for follower in self.followers:
            follower.changes_unsubscribed()

    def changed(self, token: str) -> None:
        for follower in self.followers:
            follower.changed(token)


def follow_changes(sio: socketio.AsyncServer, store: LiveStore, *also: ChangeFollower) -> None:
    """Carry the live store's change notices on the socket manager's subscription (see
    :mod:`madoguchi.signaling.redis_store` for why the order matters), to the store and then to ``also``. Nothing to
    do for in-process state (every change is made, and heard of, in this process)."""
    manager = sio.manager
    if isinstance(manager, RedisSocketManager) and isinstance(store, RedisStore):
        manager.follow(store.changes_channel, Followers(store, *also) if also else store)


async def _close_quietly(client: Any) -> None:
    if client is not None:
        with contextlib.suppress(Exception):
            await client.aclose()


def socket_manager(settings: Settings) -> socketio.AsyncManager | None:
    """python-socketio's client manager: ``None`` (its in-process default) or the Redis pub/sub manager."""
    if settings.redis_url is None:
        return None
    return RedisSocketManager(
        settings.redis_url,
        channel=socketio_channel(settings),
        redis_options={"socket_connect_timeout": 2.0, "socket_timeout": 5.0},
    )


async def start_socket_manager(sio: socketio.AsyncServer) -> None:
    """Subscribe to the cross-process channel now rather than on the first client connection."""
    manager: Any = sio.manager
    if not isinstance(manager, AsyncPubSubManager) or sio.manager_initialized:
        return
    sio.manager_initialized = True
    manager.initialize()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + SUBSCRIBE_WAIT_S
    while loop.time() < deadline:
        pubsub = getattr(manager, "pubsub", None)
        if pubsub is not None and pubsub.subscribed:
            return
        await asyncio.sleep(0.01)
    log.warning("socket manager not subscribed to Redis after %.0f s; it keeps retrying", SUBSCRIBE_WAIT_S)


async def stop_socket_manager(sio: socketio.AsyncServer) -> None:
    """Cancel the subscriber task and close its Redis connections (python-socketio leaves both running)."""
    manager: Any = sio.manager
    if not isinstance(manager, AsyncPubSubManager):
        return
    task = getattr(manager, "thread", None)
    if isinstance(task, asyncio.Task):
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
    if isinstance(manager, RedisSocketManager):
        await manager.close_all()
    else:
        await _close_quietly(getattr(manager, "pubsub", None))
        await _close_quietly(getattr(manager, "redis", None))
