"""Requests that name a host this server is not: refused before anything reads them (DNS rebinding).

A page on ``http://evil.example`` whose name the attacker then points at this server's address (DNS rebinding)
talks to it as its own origin: the browser sends ``Host: evil.example`` and ``Origin: http://evil.example``, so a
check that only compares the ``Origin`` with the ``Host`` (the booking API, the staff forms) passes, and the
Socket.IO handshake is answered (session 15's outside attack). Rebinding needs a host *name*: a browser that
reaches the server at an IP address sends that address, which no other site can be. So a ``Host`` header is
allowed when it names ``MADOGUCHI_PUBLIC_URL``'s host, ``localhost``, an IP address, the name ``serve --host``
listens by (``server_commands.run_server`` adds it), or one of
``MADOGUCHI_ALLOWED_HOSTS`` (``*``: any, for a deployment whose proxy checks names itself); any other is a ``400``
with a message, on every path, the Socket.IO handshake (HTTP polling and the WebSocket upgrade) included, but
``/healthz`` (it says nothing, and a load balancer may probe it by a name of its own). A request without a ``Host``
header (HTTP/1.0, no browser) is let through: a browser always sends one.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from urllib.parse import urlsplit

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from madoguchi.http_json import json_error

LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain"})
OPEN_PATHS = frozenset({"/healthz"})


def allowed_names(allowed_hosts: Iterable[str], public_url: str | None) -> frozenset[str]:
    """The host names (lower case, no port) requests may name: the setting's, public_url's host and localhost."""
    names = set(LOCAL_NAMES) | {name.lower().rstrip(".") for name in allowed_hosts}
    if public_url:
        host = urlsplit(public_url).hostname
        if host:
            names.add(host.lower().rstrip("."))
    return frozenset(names)


def host_name(header: str) -> str | None:
    """The host of a ``Host`` header without its port, lower case (``None``: not a host name at all)."""
    header = header.strip().lower()
    if header.startswith("["):  # an IPv6 address, with or without a port
        end = header.find("]")
        return header[: end + 1] if end > 0 else None
    name, _colon, port = header.partition(":")
    if port and not port.isdigit():
        return None
    return name.rstrip(".")


def is_ip_address(name: str) -> bool:
    try:
        ipaddress.ip_address(name.strip("[]"))
    except ValueError:
        return False
    return True


def host_allowed(header: str, names: frozenset[str]) -> bool:
    """Whether a request naming ``header`` in its ``Host`` header is for this server (module docstring)."""
    if "*" in names:
        return True
    name = host_name(header)
    return name is not None and (name in names or is_ip_address(name))


def refuse_foreign_hosts(names: frozenset[str]) -> Middleware:
    """The middleware that answers a request naming another host with a ``400`` (JSON on /api/, text elsewhere:
    the Socket.IO client and the pages read the status)."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        header = request.headers.get("Host")
        if header is None or request.path in OPEN_PATHS or host_allowed(header, names):
            return await handler(request)
        message = (
            "this server does not answer for that host name; use its own address "
            "(MADOGUCHI_PUBLIC_URL, or add the name to MADOGUCHI_ALLOWED_HOSTS)"
        )
        return json_error(400, "unknown_host", message)

    return middleware
