"""signaling/live.py overrides private methods of python-socketio's AsyncRedisManager; pyproject.toml pins the
version they were written against. This fails loudly when an upgrade changes what the override relies on."""

from __future__ import annotations

import inspect
import tomllib
from importlib.metadata import version
from pathlib import Path

import socketio
from packaging.requirements import Requirement

from madoguchi.signaling.live import RedisSocketManager

ROOT = Path(__file__).resolve().parents[3]


def pinned_requirement() -> Requirement:
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    return next(r for r in map(Requirement, dependencies) if r.name == "python-socketio")


def test_the_installed_python_socketio_is_inside_the_pinned_range() -> None:
    requirement = pinned_requirement()
    assert any(spec.operator == "<" for spec in requirement.specifier), "keep an upper bound (see pyproject.toml)"
    assert requirement.specifier.contains(version("python-socketio"))


def test_the_overridden_private_methods_still_exist_with_the_same_signatures() -> None:
    upstream = socketio.AsyncRedisManager
    assert list(inspect.signature(upstream._redis_connect).parameters) == ["self"]
    assert not inspect.iscoroutinefunction(upstream._redis_connect)
    assert list(inspect.signature(upstream._redis_listen_with_retries).parameters) == ["self"]
    assert inspect.isasyncgenfunction(upstream._redis_listen_with_retries)
    assert list(inspect.signature(upstream._publish).parameters) == ["self", "data"]
    assert inspect.iscoroutinefunction(upstream._publish)
    # ours keep the same shape
    assert list(inspect.signature(RedisSocketManager._publish).parameters) == ["self", "data"]
    assert inspect.iscoroutinefunction(RedisSocketManager._publish)
    assert list(inspect.signature(RedisSocketManager._redis_connect).parameters) == ["self"]
    assert list(inspect.signature(RedisSocketManager._redis_listen_with_retries).parameters) == ["self"]
    assert inspect.isasyncgenfunction(RedisSocketManager._redis_listen_with_retries)


def test_upstream_still_uses_them_the_way_the_override_assumes() -> None:
    upstream = socketio.AsyncRedisManager
    # _listen consumes the message generator we replace; _publish reconnects through _redis_connect
    assert "self._redis_listen_with_retries()" in inspect.getsource(upstream._listen)
    assert "self._redis_connect()" in inspect.getsource(upstream._publish)
    # _redis_connect makes the two clients our override keeps (to close them) and replaces
    connect = inspect.getsource(upstream._redis_connect)
    assert "self.redis =" in connect and "self.pubsub =" in connect
    # ... through the module _get_redis_module returns (ours gives clients whose pool waits: _WaitingPools)
    assert "module = self._get_redis_module()" in connect and "module.Redis.from_url(" in connect
    # _listen compares the channel and the message type itself: our generator may yield only this channel's
    # messages of type "message", as upstream's does
    assert "message['channel'] == channel" in inspect.getsource(upstream._listen)


def test_every_message_for_other_processes_still_goes_through_publish_as_the_retrying_override_assumes() -> None:
    """Ours (publish retries with backoff) replaces upstream's ``_publish`` whole: the emits must still reach it,
    and upstream's must still do no more than publish ``self.json.dumps(data)`` on ``self.channel`` through
    ``self.redis`` (reconnecting while not ``self.connected``), which is what ours does."""
    pubsub = inspect.getsource(socketio.async_pubsub_manager.AsyncPubSubManager)
    assert pubsub.count("await self._publish(") >= 4  # emit, can_disconnect, disconnect, enter/leave/close room
    publish = inspect.getsource(socketio.AsyncRedisManager._publish)
    assert "self.redis.publish(" in publish and "self.channel, self.json.dumps(data)" in publish
    assert "if not self.connected:" in publish
