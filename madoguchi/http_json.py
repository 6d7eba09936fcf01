"""Reading JSON request bodies one way everywhere: every body that cannot be read is a 400 with a message; no text
with a control character gets past the edge (:func:`refuse_unsafe_text`).

``json.loads`` raises ``RecursionError`` (not ``ValueError``) on deeply nested input such as ``[[[[...]]]]``;
left alone that became a 500 and a traceback in the log for a few kilobytes any client can send.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Final

from aiohttp import web
from aiohttp.typedefs import Handler
from multidict import MultiDictProxy

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
JSON_TYPE = "application/json"

UTF8_ONLY: Final[Mapping[str, str]] = {
    JSON_TYPE: "send JSON as UTF-8 (Content-Type: application/json; charset=utf-8)",
    FORM_TYPE: "send the form as UTF-8 (Content-Type: application/x-www-form-urlencoded; charset=utf-8)",
}
"""The body types the text rule reads, each read as UTF-8 only, and the 400's message for another charset."""

MULTIPART_REFUSED: Final = (
    "multipart bodies are not accepted: send a form as application/x-www-form-urlencoded or JSON as application/json"
)


class FormUnreadable(Exception):
    """A form body that cannot be read as UTF-8 text: a 400 with :attr:`message`."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


async def read_form(request: web.Request) -> MultiDictProxy[str | bytes | bytearray | web.FileField]:
    """The request's URL-encoded form (empty for another body type); raises
    :class:`FormUnreadable` when it is declared in another charset than UTF-8 (``charset=foo`` was a
    ``LookupError`` and a 500) or its bytes are not UTF-8. Multipart never reaches a handler
    (:func:`refuse_unsafe_text`), so no value is a file."""
    if request.content_type.startswith("multipart/"):
        raise FormUnreadable(MULTIPART_REFUSED)
    if request.content_type == FORM_TYPE and not _utf8(request.charset):
        raise FormUnreadable(UTF8_ONLY[FORM_TYPE])
    try:
        return await request.post()
    except UnicodeDecodeError:
        raise FormUnreadable("the form is not UTF-8 text") from None


def _first(pairs: Iterable[tuple[str, object]], kind: str) -> tuple[str, str] | None:
    """The first refused (name, value) pair of a path, query or form, named ``<kind>.<name>``."""
    for name, value in pairs:
        found = find_unsafe({name: value} if isinstance(value, str) else name, kind)
        if found is not None:
            return found
    return None


async def _unsafe_text(request: web.Request) -> tuple[str, str] | None:
    """The first field of the request (path parameter, query, JSON body or form) whose text breaks the rule of
    :mod:`madoguchi.domain.safe_text`, as (where, character). A form that cannot be read raises
    :class:`FormUnreadable`."""
    found = _first(request.match_info.items(), "path") or _first(request.query.items(), "query")
    if found is not None:
        return found
    if not request.body_exists:
        return None
    if request.content_type == JSON_TYPE:
        try:  # the bytes as UTF-8 (another charset is refused before this)
            document = json.loads((await request.read()).decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            return None  # the handler's own read answers that one (read_json)
        request[PARSED_JSON] = document  # read_json hands the handler this, not a second parse
        return find_unsafe(document)
    if request.content_type == FORM_TYPE:
        return _first((await read_form(request)).items(), "form")
    return None  # uploads (a knowledge-base file, a ZIP) are raw bodies, checked by their own readers


def _utf8(charset: str | None) -> bool:
    return charset is None or charset.strip().lower().replace("_", "-") in ("utf-8", "utf8")


def _body_refused(request: web.Request) -> tuple[int, str, str] | None:
    """Why a body is refused before anything reads it: (status, message, page line), or ``None``.

    Multipart (``multipart/form-data`` and the rest) is a 415 on every path: no endpoint takes an upload as a
    multipart part (the knowledge-base upload is a raw body), and aiohttp's ``request.post()`` would otherwise read
    one, decoding each part by a charset the sender names (``charset=foo``: a 500) past the text rule (a NUL in a
    login name reached PostgreSQL). JSON and forms declared in another charset than UTF-8 are a 400: the rule reads
    UTF-8, and a handler must not read the same body otherwise."""
    if not request.body_exists:
        return None
    if request.content_type.startswith("multipart/"):
        return 415, MULTIPART_REFUSED, MULTIPART_LINE
    message = UTF8_ONLY.get(request.content_type)
    if message is not None and not _utf8(request.charset):
        return 400, message, UNREADABLE_LINE
    return None


UNSAFE_LINE: Final = "入力に使えない文字が含まれています。"
UNREADABLE_LINE: Final = "送られた文字を読み取れません。UTF-8 で送ってください。"
MULTIPART_LINE: Final = "この送り方（multipart）は受け付けていません。"
_CODES: Final[Mapping[int, str]] = {400: "invalid_payload", 415: "unsupported_media_type"}


def _refusal(request: web.Request, status: int, message: str, page_line: str) -> web.Response:
    """The refusal as JSON on an /api/ path or for a JSON body; on a page (``/login``), the Japanese line first and
    the English reason after it, as plain text."""
    if request.path.startswith(API_PREFIX) or request.content_type == JSON_TYPE:
        return json_error(status, _CODES[status], message)
    return web.Response(status=status, text=f"{page_line} {message}")


@web.middleware
async def refuse_unsafe_text(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every HTTP request's texts, before any handler reads them: a NUL or another control character, or a lone
    surrogate from a JSON escape, anywhere in its path parameters, query, JSON body (keys too) or form is a 400
    naming the field; nothing reaches a handler, a database query or a record (``docs/protocol.md``, "Text"). JSON or
    a form declared in another charset than UTF-8, or a form whose bytes are not UTF-8, is a 400 too, and a
    multipart body a 415 (:func:`_body_refused`): ``charset=utf-16`` carried a NUL past the rule, an unknown charset
    was a 500 with a traceback in the log, and multipart skipped the rule."""
    refused = _body_refused(request)
    if refused is not None:
        return _refusal(request, *refused)
    try:
        found = await _unsafe_text(request)
    except FormUnreadable as unreadable:
        return _refusal(request, 400, unreadable.message, UNREADABLE_LINE)
    if found is None:
        return await handler(request)
    where, character = found
    return _refusal(request, 400, unsafe_message(where, character), UNSAFE_LINE)
