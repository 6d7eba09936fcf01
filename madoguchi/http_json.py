"""Reading JSON request bodies one way everywhere: every body that cannot be read is a 400 with a message; no text
with a control character gets past the edge (:func:`refuse_unsafe_text`).

``json.loads`` raises ``RecursionError`` (not ``ValueError``) on deeply nested input such as ``[[[[...]]]]``;
left alone that became a 500 and a traceback in the log for a few kilobytes any client can send.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

from aiohttp import web
from aiohttp.typedefs import Handler

from madoguchi.domain.safe_text import find_unsafe, unsafe_message

API_PREFIX = "/api/"


def json_error(status: int, code: str, message: str, headers: Mapping[str, str] | None = None) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status, headers=headers)


PARSED_JSON = web.RequestKey("parsed_json", object)
"""The body as :func:`refuse_unsafe_text` parsed it to check its texts, so a handler does not parse it again."""


async def read_json(request: web.Request) -> object:
    """The parsed body; raises ``HTTPBadRequest`` (a JSON error body) when it is not JSON we can read."""
    if request.content_type != "application/json":
        raise _bad("send a JSON body with Content-Type: application/json")
    if PARSED_JSON in request:
        return request[PARSED_JSON]
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


FORM_TYPE = "application/x-www-form-urlencoded"


def _first(pairs: Iterable[tuple[str, object]], kind: str) -> tuple[str, str] | None:
    """The first refused (name, value) pair of a path, query or form, named ``<kind>.<name>``."""
    for name, value in pairs:
        found = find_unsafe({name: value} if isinstance(value, str) else name, kind)
        if found is not None:
            return found
    return None


async def _unsafe_text(request: web.Request) -> tuple[str, str] | None:
    """The first field of the request (path parameter, query, JSON body or form) whose text breaks the rule of
    :mod:`madoguchi.domain.safe_text`, as (where, character)."""
    found = _first(request.match_info.items(), "path") or _first(request.query.items(), "query")
    if found is not None:
        return found
    if not request.body_exists:
        return None
    if request.content_type == "application/json":
        try:  # the bytes as UTF-8, however the charset is declared (another charset is refused before this)
            document = json.loads((await request.read()).decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            return None  # the handler's own read answers that one (read_json)
        request[PARSED_JSON] = document  # read_json hands the handler this, not a second parse
        return find_unsafe(document)
    if request.content_type == FORM_TYPE:
        return _first((await request.post()).items(), "form")
    return None  # uploads (a knowledge-base file, a ZIP) are checked by their own readers


def _utf8(charset: str | None) -> bool:
    return charset is None or charset.strip().lower().replace("_", "-") in ("utf-8", "utf8")


@web.middleware
async def refuse_unsafe_text(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every HTTP request's texts, before any handler reads them: a NUL or another control character, or a lone
    surrogate from a JSON escape, anywhere in its path parameters, query, JSON body (keys too) or form is a 400
    naming the field; nothing reaches a handler, a database query or a record (``docs/protocol.md``, "Text"). JSON
    declared in another charset than UTF-8 is a 400 too: the rule reads UTF-8 bytes, and a handler must not read
    the same body otherwise (``charset=utf-16`` carried a NUL past it; an unknown charset was a 500)."""
    if request.body_exists and request.content_type == "application/json" and not _utf8(request.charset):
        return json_error(400, "invalid_payload", "send JSON as UTF-8 (Content-Type: application/json; charset=utf-8)")
    found = await _unsafe_text(request)
    if found is None:
        return await handler(request)
    where, character = found
    message = unsafe_message(where, character)
    if request.path.startswith(API_PREFIX) or request.content_type == "application/json":
        return json_error(400, "invalid_payload", message)
    return web.Response(status=400, text=f"入力に使えない文字が含まれています。 {message}")
