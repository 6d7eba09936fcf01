"""Staff pages: login (form and JSON), logout and the agent console.

Why both a form and ``/api/login``: the console is a plain HTML form that works without JavaScript, and
headless clients (the aiortc probe, integration tests) need the same session cookie without scraping a page.
Both end in the same ``madoguchi_session`` cookie that the ``/agent`` socket authenticates with.
"""

from __future__ import annotations

import json
from typing import Annotated, Final

from aiohttp import web
from pydantic import BaseModel, ConfigDict, StringConstraints, ValidationError

from madoguchi import keys, ui
from madoguchi.agent_console import auth
from madoguchi.domain.languages import DEFAULT_LANGUAGE
from madoguchi.signaling.consultation import Disposition

MAX_USERNAME: Final = 128
MAX_PASSWORD: Final = 1024
DISPOSITIONS: Final = tuple(d.value for d in Disposition)


class LoginBody(BaseModel):
    """``POST /api/login`` body."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    username: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_USERNAME)]
    password: Annotated[str, StringConstraints(min_length=1, max_length=MAX_PASSWORD)]


def setup(app: web.Application) -> None:
    ui.setup_static(app)
    auth.ensure_login_secret(app)
    app.router.add_get("/login", login_page, name="login")
    app.router.add_post("/login", login_submit)
    app.router.add_post("/logout", logout)
    app.router.add_get("/console", console_page, name="console")
    app.router.add_post("/api/login", api_login)


def _with_lang(path: str, language: str) -> str:
    return path if language == DEFAULT_LANGUAGE else f"{path}?lang={language}"


async def _login_form(
    request: web.Request, *, language: str, status: int = 200, error_key: str | None = None, username: str = ""
) -> web.Response:
    nonce = auth.new_login_nonce()
    response = await ui.render(
        request,
        "login.html",
        language=language,
        status=status,
        context={"csrf_token": nonce, "error_key": error_key, "username": username},
    )
    auth.set_login_csrf_cookie(request, response, nonce)
    return response


async def login_page(request: web.Request) -> web.StreamResponse:
    language = ui.pick_language(request)
    if await auth.current_staff(request) is not None:
        raise web.HTTPSeeOther(_with_lang("/console", language))
    return await _login_form(request, language=language)


async def login_submit(request: web.Request) -> web.StreamResponse:
    language = ui.pick_language(request)
    if not auth.same_origin(request):
        return await _login_form(request, language=language, status=400, error_key="login.error.expired")
    try:
        form = await request.post()
    except (ValueError, web.HTTPException):
        return await _login_form(request, language=language, status=400, error_key="login.error.bad_request")
    username = form.get("username")
    password = form.get("password")
    username = username.strip() if isinstance(username, str) else ""
    password = password if isinstance(password, str) else ""
    kept_username = username[:MAX_USERNAME]
    if not auth.login_csrf_valid(request, form.get(auth.CSRF_FIELD)):
        return await _login_form(
            request, language=language, status=400, error_key="login.error.expired", username=kept_username
        )
    if not username or not password:
        return await _login_form(
            request, language=language, status=400, error_key="login.error.missing", username=kept_username
        )
    if len(username) > MAX_USERNAME or len(password) > MAX_PASSWORD:
        return await _login_form(request, language=language, status=400, error_key="login.error.invalid")
    accounts = request.app[keys.ACCOUNTS]
    staff = await accounts.authenticate(username, password)
    if staff is None:
        return await _login_form(
            request, language=language, status=401, error_key="login.error.invalid", username=kept_username
        )
    token, _csrf = await accounts.create_session(staff.id, request.app[keys.SETTINGS].session_ttl_s, auth.now_utc())
    response = web.HTTPSeeOther(_with_lang("/console", language))
    auth.set_session_cookie(request, response, token)
    response.del_cookie(auth.LOGIN_CSRF_COOKIE, path="/login")
    raise response


async def logout(request: web.Request) -> web.StreamResponse:
    language = ui.pick_language(request)
    found = await auth.current_session(request)
    if found is not None:
        _staff, csrf_token = found
        form = await request.post()
        if not auth.same_origin(request) or not auth.csrf_matches(csrf_token, form.get(auth.CSRF_FIELD)):
            raise web.HTTPForbidden(text=ui.translate(language, "login.error.expired"), content_type="text/plain")
        token = auth.session_token(request)
        if token is not None:
            await request.app[keys.ACCOUNTS].delete_session(token)
    response = web.HTTPSeeOther(_with_lang("/login", language))
    auth.clear_session_cookie(request, response)
    raise response


async def console_page(request: web.Request) -> web.StreamResponse:
    language = ui.pick_language(request)
    found = await auth.current_session(request)
    if found is None:
        raise web.HTTPFound(_with_lang("/login", language))
    staff, csrf_token = found
    return await ui.render(
        request,
        "console.html",
        language=language,
        context={"staff_name": staff.display_name, "csrf_token": csrf_token, "dispositions": DISPOSITIONS},
        # route names of the agent's (first) municipality; an agent serving several sees that town's names
        texts=ui.municipality_texts(request.app, next(iter(staff.municipality_ids), None)),
    )


def _json_error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status)


async def api_login(request: web.Request) -> web.StreamResponse:
    if request.content_type != "application/json":
        return _json_error(400, "invalid_payload", "send a JSON body with Content-Type: application/json")
    try:
        raw = json.loads(await request.text())
    except ValueError:
        return _json_error(400, "invalid_payload", "the body is not valid JSON")
    try:
        body = LoginBody.model_validate(raw)
    except ValidationError as exc:
        where = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in exc.errors()[:3])
        return _json_error(400, "invalid_payload", where)
    accounts = request.app[keys.ACCOUNTS]
    staff = await accounts.authenticate(body.username, body.password)
    if staff is None:
        return _json_error(401, "unauthorized", "wrong username or password")
    token, csrf_token = await accounts.create_session(
        staff.id, request.app[keys.SETTINGS].session_ttl_s, auth.now_utc()
    )
    response = web.json_response({"ok": True, "csrf_token": csrf_token})
    auth.set_session_cookie(request, response, token)
    response.headers["Cache-Control"] = "no-store"
    return response
