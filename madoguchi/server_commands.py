"""``madoguchi serve`` and ``madoguchi demo``: run the server until SIGINT/SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import gc
import ipaddress
import logging
import signal
from collections.abc import Callable
from typing import Any

from aiohttp import web

from madoguchi.edge_log import guard_http_log, mask_log_lines
from madoguchi.settings import Settings

log = logging.getLogger(__name__)


def register(subparsers: Any) -> None:
    serve = subparsers.add_parser("serve", help="run the server")
    _listen_options(serve)
    serve.set_defaults(handler=serve_command)
    demo = subparsers.add_parser(
        "demo", help="run the server with the sample municipality and demo accounts (printed on start)"
    )
    _listen_options(demo)
    demo.set_defaults(handler=demo_command)


def _listen_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", help="address to listen on (default: MADOGUCHI_HOST or 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port to listen on (default: MADOGUCHI_PORT or 8080; 0 = any)")


async def serve_command(args: argparse.Namespace, settings: Settings) -> int:
    return await run_server(
        settings, host=args.host or settings.host, port=settings.port if args.port is None else args.port
    )


async def demo_command(args: argparse.Namespace, settings: Settings) -> int:
    from madoguchi.storage.db import open_database
    from madoguchi.storage.private_files import private_dir
    from madoguchi.storage.seed import print_demo_credentials, seed_demo

    private_dir(settings.data_dir)
    settings = demo_kb(settings)
    db = await open_database(settings.effective_database_url)
    try:
        credentials = await seed_demo(db, settings.data_dir)
    finally:
        await db.close()
    host = args.host or settings.host
    port = settings.port if args.port is None else args.port

    def announce(bound_port: int) -> None:
        shown = "localhost" if host in ("127.0.0.1", "0.0.0.0", "::") else host
        print_demo_credentials(credentials, base_url=f"http://{shown}:{bound_port}")
        print(f"Knowledge base (uploads on /admin change this copy of the sample): {settings.kb_dir}", flush=True)

    return await run_server(settings, host=host, port=port, on_listening=announce)


DEMO_KB_FOLDER = "kb"
"""The demo's writable knowledge base: ``<MADOGUCHI_DATA_DIR>/kb/``, copied once from the bundled sample."""


def demo_kb(settings: Settings) -> Settings:
    """The demo works end to end, the admin page's knowledge-base upload included: without ``MADOGUCHI_KB_DIR`` it
    answers from a writable copy of the bundled sample under the data dir (made on the first start and kept, so an
    upload survives a restart; delete the folder to start again from the sample). The sample itself is never
    written. A ``MADOGUCHI_KB_DIR`` that is set is used as it is."""
    if settings.kb_dir is not None:
        return settings
    import shutil

    from madoguchi.chatbot.knowledge import DATA_DIR

    target = settings.data_dir / DEMO_KB_FOLDER
    if not target.is_dir():
        staging = settings.data_dir / f".{DEMO_KB_FOLDER}-copying"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        for town in sorted(p.parent for p in DATA_DIR.glob("*/municipality.yaml")):
            shutil.copytree(town, staging / town.name)
        staging.rename(target)  # a start stopped half-way leaves no half copy to be taken for the real one
    return settings.model_copy(update={"kb_dir": target})


def insecure_cookie_warning(host: str, settings: Settings) -> str | None:
    """A warning when staff session cookies would travel in clear: listening beyond this machine (where a
    browser reaches it over the network) without ``MADOGUCHI_COOKIE_SECURE=true``."""
    if settings.cookie_secure or _loopback(host):
        return None
    return (
        f"listening on {host} without MADOGUCHI_COOKIE_SECURE=true: staff session cookies are not marked Secure "
        "and a browser would send them over plain HTTP. Serve Madoguchi behind HTTPS and set "
        "MADOGUCHI_COOKIE_SECURE=true (leave it unset only for a trial on this machine)."
    )


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


def freeze_startup_heap() -> None:
    """Exempt everything loaded at start (knowledge base, triage engines, SQLAlchemy, templates: about 200,000
    objects) from the cyclic garbage collector. They live as long as the process, yet every full collection
    walked them all: 94 ms per collection with the event loop stopped, which a resident on a call hears and
    the server pays again and again while thousands of connections arrive. Only the long-running server does
    this; tests build and drop many apps in one process and must not pin their garbage."""
    gc.collect()
    gc.freeze()


def app_runner(app: web.Application, settings: Settings) -> web.AppRunner:
    """The runner ``serve`` listens with. aiohttp's keep-alive timer also runs from the moment a connection opens
    and closes it while the request's headers are still incomplete, so ``http_header_timeout_s`` is the header
    timeout a slow-header ("slowloris") client meets; a request whose headers are in (a WebSocket, a long poll,
    an upload) is not cut by it. A proxy in front should still time out headers and bodies itself
    (docs/operations.md, "Slow clients")."""
    return web.AppRunner(app, handle_signals=False, keepalive_timeout=settings.http_header_timeout_s)


async def run_server(
    settings: Settings, *, host: str, port: int, on_listening: Callable[[int], None] | None = None
) -> int:
    from madoguchi.app import create_app
    from madoguchi.host_guard import is_ip_address
    from madoguchi.observability import METRICS_APP

    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    guard_http_log()  # a header over aiohttp's limits is logged without its bytes (madoguchi.edge_log)
    mask_log_lines()  # and no line, traceback included, holds a personal number
    if (warning := insecure_cookie_warning(host, settings)) is not None:
        log.warning("%s", warning)
    if host and not is_ip_address(host):  # `serve --host madoguchi.lan`: the name it listens by is its own
        settings = settings.model_copy(update={"allowed_hosts": [*settings.allowed_hosts, host.lower()]})
    app = create_app(settings)
    runner = app_runner(app, settings)
    await runner.setup()
    freeze_startup_heap()
    site = web.TCPSite(runner, host, port)
    await site.start()
    for address in runner.addresses:
        print(f"madoguchi listening on http://{address[0]}:{address[1]}", flush=True)
    metrics_app = app.get(METRICS_APP)
    metrics_runner = None if metrics_app is None else app_runner(metrics_app, settings)
    try:
        if metrics_runner is not None:  # MADOGUCHI_METRICS_PORT: /metrics and /readyz only there
            await metrics_runner.setup()
            await web.TCPSite(metrics_runner, host, settings.metrics_port).start()
            for address in metrics_runner.addresses:
                print(f"madoguchi metrics on http://{address[0]}:{address[1]}", flush=True)
        if on_listening is not None and runner.addresses:
            on_listening(runner.addresses[0][1])
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
    finally:
        if metrics_runner is not None:
            await metrics_runner.cleanup()
        await runner.cleanup()
    return 0
