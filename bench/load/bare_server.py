"""The reference: a bare python-socketio relay on aiohttp, nothing of madoguchi in it.

It accepts anyone on ``/booth``, ``/agent`` and ``/resident``, puts the connection in the room named by
``auth["room"]`` (or ``auth["token"]``: one room per participant, as madoguchi does), and relays ``signal`` to
the room named by the payload's ``consultation_id`` in the other namespace (booth → agent, agent → booth), acking
``{"ok": true}``. Same server options as madoguchi (``async_handlers=False`` so a connection's events keep their
order, the same maximum payload). With ``--redis-url`` it uses python-socketio's ``AsyncRedisManager`` so two of
these processes relay to each other through Redis, as madoguchi's processes do.

    python bench/load/bare_server.py --port 8099 [--redis-url redis://127.0.0.1:6379/0 --channel bench:x]
"""

from __future__ import annotations

import argparse
import asyncio
import signal
from typing import Any

import socketio
from aiohttp import web

OTHER_SIDE = {"/booth": "/agent", "/agent": "/booth", "/resident": "/agent"}


def build(redis_url: str | None, channel: str) -> tuple[web.Application, socketio.AsyncServer]:
    manager = socketio.AsyncRedisManager(redis_url, channel=channel) if redis_url else None
    sio = socketio.AsyncServer(
        async_mode="aiohttp",
        async_handlers=False,
        client_manager=manager,
        max_http_buffer_size=64 * 1024,
        logger=False,
        engineio_logger=False,
    )
    app = web.Application()
    sio.attach(app)

    for namespace, other in OTHER_SIDE.items():

        async def connect(sid: str, environ: dict[str, Any], auth: Any = None, namespace: str = namespace) -> bool:
            room = None
            if isinstance(auth, dict):
                room = auth.get("room") or auth.get("token")
            if room:
                await sio.enter_room(sid, str(room), namespace=namespace)
            return True

        async def relay(sid: str, data: Any, other: str = other) -> dict[str, Any]:
            await sio.emit("signal", data, room=data["consultation_id"], namespace=other)
            return {"ok": True}

        sio.on("connect", connect, namespace=namespace)
        sio.on("signal", relay, namespace=namespace)

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app.router.add_get("/healthz", healthz)
    return app, sio


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--redis-url")
    parser.add_argument("--channel", default="bench-bare")
    args = parser.parse_args()
    app, sio = build(args.redis_url, args.channel)
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", args.port).start()
    if args.redis_url:  # subscribe now, not on the first connection (same as madoguchi does)
        sio.manager_initialized = True
        sio.manager.initialize()
    print(f"bare relay listening on http://127.0.0.1:{args.port}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await runner.cleanup()


if __name__ == "__main__":
    asyncio.run(main())
