"""Reading JSON request bodies one way everywhere: every body that cannot be read is a 400 with a message.

``json.loads`` raises ``RecursionError`` (not ``ValueError``) on deeply nested input such as ``[[[[...]]]]``;
left alone that became a 500 and a traceback in the log for a few kilobytes any client can send.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from aiohttp import web
from aiohttp.typedefs import Handler

API_PREFIX = "/api/"


def json_error(status: int, code: str, message: str, headers: Mapping[str, str] | None = None) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status, headers=headers)


async def read_json(request: web.Request) -> object:
    """The parsed body; raises ``HTTPBadRequest`` (a JSON error body) when it is not JSON we can read."""
    if request.content_type != "application/json":
        raise _bad("send a JSON body with Content-Type: application/json")
    try:
        text = await request.text()  # over the limit: HTTPRequestEntityTooLarge, answered by oversize_as_json
    except UnicodeDecodeError:
        raise _bad("the body is not UTF-8 text") from None
    try:
        return json.loads(text)
    except RecursionError:
        raise _bad("the body is nested too deeply") from None
    except ValueError:
        raise _bad("the body is not valid JSON") from None


def _bad(message: str) -> web.HTTPBadRequest:
    return web.HTTPBadRequest(
        text=json.dumps({"error": {"code": "invalid_payload", "message": message}}),
        content_type="application/json",
    )


@web.middleware
async def oversize_as_json(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A body over ``MADOGUCHI_MAX_PAYLOAD_BYTES`` on any /api/ path is a 413 with the JSON error shape every JSON
    endpoint uses, whatever read the body (``read_json``, ``request.read()``, a model's ``validate_json``):
    aiohttp's own answer is plain text (sessions 8 and 21). Other paths (pages, forms) keep aiohttp's answer."""
    try:
        return await handler(request)
    except web.HTTPRequestEntityTooLarge:
        if not request.path.startswith(API_PREFIX):
            raise
        limit = request.app._client_max_size  # the limit the app was made with (MADOGUCHI_MAX_PAYLOAD_BYTES)
        return json_error(413, "payload_too_large", f"the body is larger than {limit} bytes")
