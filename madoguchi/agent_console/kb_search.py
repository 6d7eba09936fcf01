"""``GET /api/kb/search``: the knowledge base beside the agent's chat, so an answer is one tap away.

Why an HTTP endpoint and not a socket event: it is a read with no effect on the counter, cacheable per query, and
only for staff sessions (the session cookie, as the console page). It uses the triage engine's own retrieval over
the municipality's knowledge base, so the agent finds what the bot would have found, by the same words.
"""

from __future__ import annotations

from typing import Annotated, Final

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from madoguchi import keys
from madoguchi.agent_console import auth
from madoguchi.chatbot.knowledge import LocalizedText
from madoguchi.chatbot.normalise import normalise
from madoguchi.domain.privacy import mask_pii, without_mask_tokens
from madoguchi.http_json import json_error

MAX_QUERY: Final = 200


class KbQuery(BaseModel):
    """The query string of ``GET /api/kb/search``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    q: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_QUERY)]
    lang: Annotated[str, StringConstraints(pattern=r"^(ja|easy-ja|en|zh|ko|vi|pt|tl|ne)$")] = "ja"
    limit: Annotated[int, Field(ge=1, le=20)] = 5
    municipality: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None


def answer_language(text: LocalizedText, language: str) -> str:
    """The language ``text.in_language(language)`` answers in: the asked one when the entry has it, else the one
    it falls back to (easy Japanese to Japanese, the others to English, then Japanese). The console says so when it
    is not the chat's language, rather than slipping English into a Vietnamese chat unannounced."""
    for candidate in (language, "ja") if language in ("ja", "easy-ja") else (language, "en", "ja"):
        if getattr(text, candidate.replace("-", "_"), None):
            return candidate
    return "ja"


def setup(app: web.Application) -> None:
    app.router.add_get("/api/kb/search", kb_search)


async def kb_search(request: web.Request) -> web.Response:
    found = await auth.current_session(request)
    if found is None:
        return json_error(401, "unauthorized", "log in as staff to search the knowledge base")
    staff, _csrf = found
    try:
        query = KbQuery.model_validate(dict(request.query))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "query"
        return json_error(400, "invalid_payload", f"{where}: {first['msg']}")
    municipality = query.municipality or next(iter(staff.municipality_ids), None)
    if municipality is None or municipality not in staff.municipality_ids:
        return json_error(403, "forbidden", "not a municipality you serve")
    triage = request.app[keys.TRIAGES].get(municipality)
    if triage is None:
        return json_error(404, "not_found", "no knowledge base for this municipality")
    folded = normalise(without_mask_tokens(mask_pii(query.q).text))
    ranked = triage.engine.retriever.search(folded, limit=query.limit)
    results = [
        {
            "id": hit.entry.id,
            "route": hit.entry.route,
            "title": hit.entry.title.in_language(query.lang),
            "answer": hit.entry.answer.in_language(query.lang),
            "answer_language": answer_language(hit.entry.answer, query.lang),
            "score": round(hit.score, 3),
        }
        for hit in ranked
        if hit.score > 0
    ]
    return web.json_response({"query": query.q, "municipality": municipality, "results": results})
