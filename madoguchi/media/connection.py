"""Around the peer's Socket.IO connection: the errors a person can act on, what a refusal says, how a dropped
link is retried, and the agent's login that yields the session cookie.

Kept apart from the peer itself so that the probe and the tests can name failures and policies without the
event handling that uses them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

import aiohttp

from madoguchi.domain.sessions import SESSION_COOKIE


@dataclass(frozen=True)
class ReconnectPolicy:
    """How a dropped connection is reopened: exponential backoff with jitter, bounded in delay and in time."""

    first_delay_s: float = 0.2
    max_delay_s: float = 5.0
    give_up_after_s: float = 60.0
    connect_timeout_s: float = 5.0

    def delay(self, attempt: int) -> float:
        """Seconds before attempt ``attempt`` (0-based): 0, then doubling from ``first_delay_s``, jittered."""
        if attempt == 0:
            return 0.0
        base = min(self.max_delay_s, self.first_delay_s * 2.0 ** (attempt - 1))
        return base * random.uniform(0.75, 1.0)  # spreading retries, not cryptography


NO_RECONNECT = ReconnectPolicy(give_up_after_s=0.0)


class PeerError(Exception):
    """Something a person can act on went wrong (unreachable server, refused login, error ack, timeout_s)."""


class PeerRefused(PeerError):
    """The server refused the connection (bad or revoked credentials); retrying will not help."""


class ProtocolError(PeerError):
    """The server answered an event with an error acknowledgement."""

    def __init__(self, event: str, code: str, message: str) -> None:
        super().__init__(f"{event} was refused: {code}: {message}")
        self.event = event
        self.code = code


def refusal_text(refusal: Any) -> str | None:
    """The reason in a ``connect_error`` payload: ``{"code", "message"}`` per the protocol, or Socket.IO's
    ``{"message", "data": {...}}`` wrapping of it, or just a message."""
    if isinstance(refusal, dict):
        inner = refusal.get("data")
        details = inner if isinstance(inner, dict) else refusal
        code = details.get("code")
        message = details.get("message") or refusal.get("message")
        if code:
            return f"{code}: {message or ''}".strip()
        if message:
            return str(message)
    return str(refusal) if refusal else None


def refusal_code(refusal: Any) -> str | None:
    """The protocol's error code in a ``connect_error`` payload; None for a transport failure."""
    if not isinstance(refusal, dict):
        return None
    inner = refusal.get("data")
    details = inner if isinstance(inner, dict) else refusal
    code = details.get("code")
    return str(code) if code else None


async def login_agent(server: str, username: str, password: str, timeout_s: float = 10.0) -> str:
    """Log in through ``POST /api/login`` and return the session cookie's value."""
    url = server.rstrip("/") + "/api/login"
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout_s)) as http,
            http.post(url, json={"username": username, "password": password}) as response,
        ):
            if response.status == 401:
                raise PeerError(f"agent login refused for {username!r}: wrong user name or password")
            if response.status in (429, 503) and "Retry-After" in response.headers:
                # throttled, or the server's password threads are full (a login flood): say when to try again
                raise PeerError(
                    f"agent login not checked now (HTTP {response.status}); "
                    f"try again in {response.headers['Retry-After']} s: {(await response.text())[:200]}"
                )
            if response.status != 200:
                body = (await response.text())[:200]
                raise PeerError(f"agent login failed with HTTP {response.status}: {body}")
            cookie = response.cookies.get(SESSION_COOKIE)
            if cookie is None or not cookie.value:
                raise PeerError(f"agent login answered 200 but set no {SESSION_COOKIE} cookie")
            return cookie.value
    except aiohttp.ClientError as exc:
        raise PeerError(f"cannot reach the server at {server}: {exc}") from exc
    except TimeoutError as exc:
        raise PeerError(f"the server at {server} did not answer the login within {timeout_s:g} s") from exc
