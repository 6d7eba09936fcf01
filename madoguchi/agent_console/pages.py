"""Staff pages: login (form and JSON), logout and the agent console.

Why both a form and ``/api/login``: the console is a plain HTML form that works without JavaScript, and
headless clients (the aiortc probe, integration tests) need the same session cookie without scraping a page.
Both end in the same ``madoguchi_session`` cookie that the ``/agent`` socket authenticates with.
"""

from __future__ import annotations

import logging
import secrets
from typing import Annotated, Final

from aiohttp import web
from pydantic import BaseModel, ConfigDict, StringConstraints, ValidationError

from madoguchi import keys, ui
from madoguchi.agent_console import auth, supervisor_page, throttle
from madoguchi.agent_console.admin import page as admin_page
from madoguchi.agent_console.login_guard import IN_FLIGHT_RETRY_AFTER_S, LOGIN_GUARD, LoginGuardUnavailable
from madoguchi.domain.languages import DEFAULT_LANGUAGE
from madoguchi.domain.routes import ROUTE_IDS
from madoguchi.domain.staff_pages import landing_for, pages_for
from madoguchi.http_json import FormUnreadable, json_error, read_form, read_json
from madoguchi.signaling.consultation import Disposition
from madoguchi.storage.audit import AuditLog
from madoguchi.storage.password_work import PasswordWorkBusy

log = logging.getLogger(__name__)

MAX_USERNAME: Final = 128
MAX_PASSWORD: Final = 1024
DISPOSITIONS: Final = tuple(d.value for d in Disposition)
LOCKOUT_ACTOR: Final = "login-throttle"
LOCKOUT_ACTION: Final = "login.locked"


def _device(request: web.Request, username: str) -> str | None:
    """The nonce of this browser's device token for ``username`` (a trusted device), or None (a stranger)."""
    return request.app[LOGIN_GUARD].trusted_nonce(username, request.cookies.get(throttle.DEVICE_COOKIE, ""))


def _remember_device(request: web.Request, response: web.StreamResponse, username: str) -> None:
    """After a success: this browser becomes a trusted device of ``username`` (a fresh token every time)."""
    guard = request.app[LOGIN_GUARD]
    token = throttle.device_token(username, secrets.token_urlsafe(16), key=guard.key)
    value = throttle.remember_device(
        request.cookies.get(throttle.DEVICE_COOKIE, ""), token, account=username, key=guard.key
    )
    response.set_cookie(
        throttle.DEVICE_COOKIE,
        value,
        max_age=int(throttle.KNOWN_FOR_S),
        path="/",
        httponly=True,
        samesite="Strict",
        secure=request.app[keys.SETTINGS].cookie_secure,
    )


async def _failed(request: web.Request, username: str, address: str, device: str | None) -> None:
    """Count a wrong password; a failure that starts a lockout is written to the audit log (actor
    ``login-throttle``, action ``login.locked``) so an administrator can see who is being guessed at, from where."""
    locked = await request.app[LOGIN_GUARD].failed(username, address, device)
    for scope in locked:
        detail = {
            "username": throttle.normal_account(username)[:MAX_USERNAME],
            "scope": scope.value,
            "address": address,
            "trusted_device": device is not None,
        }
        log.warning("login lockout: scope=%s trusted_device=%s", scope.value, device is not None)
        try:
            await AuditLog(request.app[keys.DATABASE]).write(LOCKOUT_ACTOR, LOCKOUT_ACTION, detail, auth.now_utc())
        except Exception as exc:  # the lockout holds whether or not the note could be written
            log.warning("could not audit a login lockout: %s", type(exc).__name__)


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
    admin_page.setup(app)
    supervisor_page.setup(app)


def _with_lang(path: str, language: str) -> str:
    return path if language == DEFAULT_LANGUAGE else f"{path}?lang={language}"


async def _login_form(
    request: web.Request,
    *,
    language: str,
    status: int = 200,
    error_key: str | None = None,
    username: str = "",
    retry_after: int | None = None,
) -> web.Response:
    nonce = auth.new_login_nonce()
    response = await ui.render(
        request,
        "login.html",
        language=language,
        status=status,
        context={
            "csrf_token": nonce,
            "error_key": error_key,
            "error_params": {"seconds": retry_after or 0},
            "username": username,
        },
    )
    auth.set_login_csrf_cookie(request, response, nonce, request.app[LOGIN_GUARD].clock())
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response


async def login_page(request: web.Request) -> web.StreamResponse:
    language = ui.pick_language(request)
    signed_in = await auth.current_staff(request)
    if signed_in is not None:
        raise web.HTTPSeeOther(_with_lang(landing_for(signed_in.role), language))
    return await _login_form(request, language=language)


async def login_submit(request: web.Request) -> web.StreamResponse:
    language = ui.pick_language(request)
    if not auth.same_origin(request):
        return await _login_form(request, language=language, status=400, error_key="login.error.expired")
    try:
        form = await read_form(request)
    except (FormUnreadable, ValueError, web.HTTPException):
        return await _login_form(request, language=language, status=400, error_key="login.error.bad_request")
    username = form.get("username")
    password = form.get("password")
    username = username.strip() if isinstance(username, str) else ""
    password = password if isinstance(password, str) else ""
    kept_username = username[:MAX_USERNAME]
    guard = request.app[LOGIN_GUARD]
    nonce = auth.login_csrf_nonce(request, form.get(auth.CSRF_FIELD), guard.clock())
    try:
        fresh = nonce is not None and await guard.nonce_first_use(nonce, auth.LOGIN_CSRF_TTL_S + auth.CLOCK_SKEW_S)
    except LoginGuardUnavailable:
        return await _login_form(request, language=language, status=503, error_key="login.error.unavailable")
    if not fresh:
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
    address = auth.client_address(request)
    device = _device(request, username)
    with guard.hold(username, address, trusted=device is not None) as held:
        if not held:
            return await _login_form(
                request,
                language=language,
                status=429,
                error_key="login.error.busy",
                username=kept_username,
                retry_after=IN_FLIGHT_RETRY_AFTER_S,
            )
        try:
            wait = await guard.wait_s(username, address, device)
            if wait > 0:
                return await _login_form(
                    request,
                    language=language,
                    status=429,
                    error_key="login.error.throttled",
                    username=kept_username,
                    retry_after=throttle.retry_after(wait),
                )
            staff = await accounts.authenticate(username, password)
            if staff is None:
                await _failed(request, username, address, device)
                return await _login_form(
                    request, language=language, status=401, error_key="login.error.invalid", username=kept_username
                )
            await guard.succeeded(username, address, device)
        except LoginGuardUnavailable:
            return await _login_form(request, language=language, status=503, error_key="login.error.unavailable")
        except PasswordWorkBusy as busy:
            return await _login_form(
                request,
                language=language,
                status=503,
                error_key="login.error.busy",
                username=kept_username,
                retry_after=busy.retry_after_s,
            )
    token, _csrf = await accounts.create_session(staff.id, request.app[keys.SETTINGS].session_ttl_s, auth.now_utc())
    # each role lands on its own work (domain.staff_pages): a supervisor on the live view, others on the console
    response = web.HTTPSeeOther(_with_lang(landing_for(staff.role), language))
    auth.set_session_cookie(request, response, token)
    _remember_device(request, response, username)
    response.del_cookie(auth.LOGIN_CSRF_COOKIE, path="/login")
    raise response


async def logout(request: web.Request) -> web.StreamResponse:
    language = ui.pick_language(request)
    found = await auth.current_session(request)
    if found is not None:
        _staff, csrf_token = found
        try:
            form = await read_form(request)
        except FormUnreadable as unreadable:
            raise web.HTTPBadRequest(text=unreadable.message, content_type="text/plain") from None
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
        context={
            "staff_name": staff.display_name,
            "staff_pages": pages_for(staff.role),
            "csrf_token": csrf_token,
            "dispositions": DISPOSITIONS,
            "routes": ROUTE_IDS,
            # how long the server waits for a resident's lost link (the console says so while it waits)
            "grace_seconds": round(request.app[keys.SETTINGS].grace_period_s),
            # how long one connection attempt may take before the page tries again (net.js)
            "connect_timeout_ms": round(request.app[keys.SETTINGS].page_connect_timeout_s * 1000),
        },
        # route names of the agent's (first) municipality; an agent serving several sees that town's names
        texts=ui.municipality_texts(request.app, next(iter(staff.municipality_ids), None)),
    )


def throttled_message(seconds: int) -> str:
    """The 429 message of ``/api/login``: Japanese first, then English (headless clients show it as it is)."""
    return (
        f"ログインの試行が多すぎます。{seconds}秒後にもう一度お試しください。"
        f" Too many login attempts; please try again in {seconds} seconds."
    )


def busy_message(seconds: int) -> str:
    """The 429/503 message of ``/api/login`` when logins are crowded (this address's or account's attempts in
    flight, or the whole process's password threads): Japanese first, then English."""
    return (
        f"ただいまログインが混み合っています。{seconds}秒後にもう一度お試しください。"
        f" Many logins are being checked right now; please try again in {seconds} seconds."
    )


async def api_login(request: web.Request) -> web.StreamResponse:
    # a browser's cross-site POST names its page's origin: refuse another site (login CSRF, session 13), as the
    # form does; headless clients (madoguchi probe, scripts) send no Origin and go on
    if not auth.same_origin(request):
        return json_error(
            403, "csrf", "ログインはこのサイトのページからだけできます。 Log in from this site's own login page."
        )
    raw = await read_json(request)
    try:
        body = LoginBody.model_validate(raw)
    except ValidationError as exc:
        where = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in exc.errors()[:3])
        return json_error(400, "invalid_payload", where)
    accounts = request.app[keys.ACCOUNTS]
    guard = request.app[LOGIN_GUARD]
    address = auth.client_address(request)
    device = _device(request, body.username)
    with guard.hold(body.username, address, trusted=device is not None) as held:
        if not held:
            seconds = IN_FLIGHT_RETRY_AFTER_S
            return json_error(429, "too_many_attempts", busy_message(seconds), headers={"Retry-After": str(seconds)})
        try:
            wait = await guard.wait_s(body.username, address, device)
            if wait > 0:
                seconds = throttle.retry_after(wait)
                return json_error(
                    429, "too_many_attempts", throttled_message(seconds), headers={"Retry-After": str(seconds)}
                )
            staff = await accounts.authenticate(body.username, body.password)
            if staff is None:
                await _failed(request, body.username, address, device)
                return json_error(401, "unauthorized", "wrong username or password")
            await guard.succeeded(body.username, address, device)
        except LoginGuardUnavailable:
            return json_error(
                503,
                "unavailable",
                "ログインできません。しばらくしてからお試しください。 Login is unavailable; please try again shortly.",
            )
        except PasswordWorkBusy as busy:
            seconds = busy.retry_after_s
            return json_error(503, "busy", busy_message(seconds), headers={"Retry-After": str(seconds)})
    token, csrf_token = await accounts.create_session(
        staff.id, request.app[keys.SETTINGS].session_ttl_s, auth.now_utc()
    )
    response = web.json_response({"ok": True, "csrf_token": csrf_token})
    auth.set_session_cookie(request, response, token)
    _remember_device(request, response, body.username)
    response.headers["Cache-Control"] = "no-store"
    return response
