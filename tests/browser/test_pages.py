"""The HTML pages' server side without a browser: catalogs, login, CSRF, cookies, redirects, kiosk routing.

Why here: these are the parts of the pages that a browser test would only see indirectly; a failure names
the exact rule that broke (a cookie flag, a status code, a missing translation).
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from madoguchi import ui
from madoguchi.domain.routes import ROUTE_IDS
from madoguchi.signaling.consultation import Disposition
from tests.support import LiveServer, serve
from tests.support import make_settings as settings_for_tests

PASSWORD = "kimura-password-1"
PLACEHOLDER = re.compile(r"\{(\w+)\}")


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[LiveServer]:
    async with serve(settings_for_tests(tmp_path)) as live:
        await live.add_agent("kimura", PASSWORD)
        yield live


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    # unsafe=True: the server is on 127.0.0.1 and aiohttp's jar otherwise ignores cookies for IP hosts
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        yield session


def catalog(language: str) -> dict[str, str]:
    data = json.loads((ui.I18N_DIR / f"{language}.json").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


# --- catalogs ------------------------------------------------------------------------------------------------


def test_every_language_has_the_same_keys_and_placeholders() -> None:
    japanese = catalog("ja")
    for language in ui.SUPPORTED_LANGUAGES:
        other = catalog(language)
        assert set(other) == set(japanese), f"{language}: keys differ from ja: {set(other) ^ set(japanese)}"
        for key, text in other.items():
            assert text.strip(), f"{language}:{key} is empty"
            assert set(PLACEHOLDER.findall(text)) == set(PLACEHOLDER.findall(japanese[key])), (
                f"{language}:{key} placeholders differ from ja"
            )


def test_every_route_and_disposition_has_a_name_in_every_language() -> None:
    for language in ui.SUPPORTED_LANGUAGES:
        texts = catalog(language)
        for route in ROUTE_IDS:
            assert f"route.{route}" in texts and f"route_hint.{route}" in texts, f"{language}: {route}"
        for disposition in Disposition:
            assert f"disposition.{disposition.value}" in texts, f"{language}: {disposition}"


def test_translate_fills_placeholders_and_falls_back() -> None:
    assert ui.translate("ja", "booth.waiting.ahead", {"count": 2}) == "あなたの前に 2 人"
    assert ui.translate("en", "booth.waiting.estimate", {"minutes": 10}) == "About 10 min"
    assert ui.translate("en", "no.such.key") == "no.such.key"
    with pytest.raises(ui.CatalogError):
        ui.load_catalog("xx")


# --- kiosk -----------------------------------------------------------------------------------------------------


async def test_kiosk_page_renders_for_a_known_booth_only(server: LiveServer, http: aiohttp.ClientSession) -> None:
    booth_id, token, path = await server.add_booth("潮見港郵便局ブース")
    assert path == f"/booth/{booth_id}#token={token}"
    async with http.get(f"{server.base_url}/booth/{booth_id}") as resp:
        body = await resp.text()
        assert resp.status == 200
        assert resp.headers["Content-Security-Policy"].startswith("default-src 'self'")
        assert resp.headers["Cache-Control"] == "no-store"
    assert "相談をはじめる" in body
    assert token not in body
    assert body.count('data-testid="route-') == len(ROUTE_IDS)
    assert "<script>" not in body, "no inline scripts under the CSP"
    for bad in ("/booth/unknown-booth", "/booth/%3Cscript%3E"):
        async with http.get(server.base_url + bad) as resp:
            assert resp.status == 404
            assert "正しくありません" in await resp.text()


async def test_english_through_the_same_catalog(server: LiveServer, http: aiohttp.ClientSession) -> None:
    booth_id, _token, _path = await server.add_booth()
    async with http.get(f"{server.base_url}/booth/{booth_id}?lang=en") as resp:
        body = await resp.text()
    assert '<html lang="en">' in body and "Start a consultation" in body
    async with http.get(f"{server.base_url}/booth/{booth_id}?lang=xx") as resp:
        assert '<html lang="ja">' in await resp.text()


async def test_static_files_are_served_with_revalidation(server: LiveServer, http: aiohttp.ClientSession) -> None:
    for path in ("/static/vendor/socket.io.esm.min.js", "/static/js/booth.js", "/static/i18n/ja.json"):
        async with http.get(server.base_url + path) as resp:
            assert resp.status == 200, path
            assert resp.headers["Cache-Control"] == "no-cache"
            assert resp.headers["X-Content-Type-Options"] == "nosniff"


# --- login form --------------------------------------------------------------------------------------------------


async def login_form(server: LiveServer, http: aiohttp.ClientSession) -> str:
    async with http.get(f"{server.base_url}/login") as resp:
        assert resp.status == 200
        body = await resp.text()
    found = re.search(r'name="csrf_token" value="([^"]+)"', body)
    assert found is not None
    return found.group(1)


async def test_form_login_sets_a_safe_session_cookie(server: LiveServer, http: aiohttp.ClientSession) -> None:
    nonce = await login_form(server, http)
    form = {"username": "kimura", "password": PASSWORD, "csrf_token": nonce}
    async with http.post(f"{server.base_url}/login", data=form, allow_redirects=False) as resp:
        assert resp.status == 303
        assert resp.headers["Location"] == "/console"
        cookie = resp.cookies["madoguchi_session"]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert cookie["path"] == "/"
    assert not cookie["secure"]
    async with http.get(f"{server.base_url}/console", allow_redirects=False) as resp:
        body = await resp.text()
        assert resp.status == 200
    assert "kimura さん" in body and 'data-testid="queue-list"' in body
    for disposition in Disposition:
        assert f'value="{disposition.value}"' in body


async def test_secure_cookie_when_configured(tmp_path: Path, http: aiohttp.ClientSession) -> None:
    async with serve(settings_for_tests(tmp_path, cookie_secure=True)) as live:
        await live.add_agent("kimura", PASSWORD)
        async with http.post(f"{live.base_url}/api/login", json={"username": "kimura", "password": PASSWORD}) as resp:
            assert resp.status == 200
            assert resp.cookies["madoguchi_session"]["secure"] is True


async def test_wrong_password_is_401_with_a_readable_message(server: LiveServer, http: aiohttp.ClientSession) -> None:
    nonce = await login_form(server, http)
    form = {"username": "kimura", "password": "wrong-password", "csrf_token": nonce}
    async with http.post(f"{server.base_url}/login", data=form, allow_redirects=False) as resp:
        body = await resp.text()
        assert resp.status == 401
        assert "madoguchi_session" not in resp.cookies
    assert "ユーザー名 または パスワードが 違います。" in body
    assert 'value="kimura"' in body, "the username is kept, the password is not"
    assert "wrong-password" not in body


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"username": "", "password": ""}, "ユーザー名と パスワードを 入れてください。"),
        ({"username": "kimura"}, "ユーザー名と パスワードを 入れてください。"),
    ],
)
async def test_missing_fields_are_400(
    server: LiveServer, http: aiohttp.ClientSession, form: dict[str, str], message: str
) -> None:
    nonce = await login_form(server, http)
    async with http.post(f"{server.base_url}/login", data={**form, "csrf_token": nonce}, allow_redirects=False) as resp:
        assert resp.status == 400
        assert message in await resp.text()


async def test_login_form_needs_the_signed_csrf_pair(server: LiveServer, http: aiohttp.ClientSession) -> None:
    nonce = await login_form(server, http)
    good = {"username": "kimura", "password": PASSWORD}
    # a forged nonce in the form
    async with http.post(
        f"{server.base_url}/login", data={**good, "csrf_token": "forged"}, allow_redirects=False
    ) as resp:
        assert resp.status == 400
        assert "有効期限" in await resp.text()
    # the right nonce but a cookie planted by someone else (unsigned)
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as attacker:
        attacker.cookie_jar.update_cookies({"madoguchi_login_csrf": f"{nonce}.deadbeef"})
        async with attacker.post(
            f"{server.base_url}/login", data={**good, "csrf_token": nonce}, allow_redirects=False
        ) as resp:
            assert resp.status == 400
    # a cross-site Origin is refused even with a valid pair
    nonce = await login_form(server, http)
    async with http.post(
        f"{server.base_url}/login",
        data={**good, "csrf_token": nonce},
        headers={"Origin": "https://evil.example"},
        allow_redirects=False,
    ) as resp:
        assert resp.status == 400
        assert "madoguchi_session" not in resp.cookies


async def test_console_redirects_to_login_without_a_session(server: LiveServer, http: aiohttp.ClientSession) -> None:
    async with http.get(f"{server.base_url}/console", allow_redirects=False) as resp:
        assert resp.status == 302
        assert resp.headers["Location"] == "/login"
    http.cookie_jar.update_cookies({"madoguchi_session": "not-a-session"})
    async with http.get(f"{server.base_url}/console", allow_redirects=False) as resp:
        assert resp.status == 302


async def test_logout_needs_the_session_csrf_and_ends_the_session(
    server: LiveServer, http: aiohttp.ClientSession
) -> None:
    async with http.post(f"{server.base_url}/api/login", json={"username": "kimura", "password": PASSWORD}) as resp:
        csrf_token = (await resp.json())["csrf_token"]
    async with http.post(f"{server.base_url}/logout", data={"csrf_token": "wrong"}, allow_redirects=False) as resp:
        assert resp.status == 403
    async with http.get(f"{server.base_url}/console", allow_redirects=False) as resp:
        assert resp.status == 200, "a refused logout leaves the session alone"
    async with http.post(f"{server.base_url}/logout", data={"csrf_token": csrf_token}, allow_redirects=False) as resp:
        assert resp.status == 303
        assert resp.headers["Location"] == "/login"
    async with http.get(f"{server.base_url}/console", allow_redirects=False) as resp:
        assert resp.status == 302


# --- JSON login --------------------------------------------------------------------------------------------------


async def test_api_login(server: LiveServer, http: aiohttp.ClientSession) -> None:
    async with http.post(f"{server.base_url}/api/login", json={"username": "kimura", "password": PASSWORD}) as resp:
        assert resp.status == 200
        body = await resp.json()
        assert resp.cookies["madoguchi_session"]["httponly"] is True
    assert body["ok"] is True and isinstance(body["csrf_token"], str) and body["csrf_token"]
    async with http.get(f"{server.base_url}/console", allow_redirects=False) as resp:
        assert resp.status == 200


@pytest.mark.parametrize(
    ("raw", "content_type", "status", "code"),
    [
        ('{"username": "kimura", "password": "wrong-password"}', "application/json", 401, "unauthorized"),
        ('{"username": "nobody", "password": "whatever-1"}', "application/json", 401, "unauthorized"),
        ("{not json", "application/json", 400, "invalid_payload"),
        ('["kimura", "x"]', "application/json", 400, "invalid_payload"),
        ('{"username": "kimura"}', "application/json", 400, "invalid_payload"),
        ('{"username": "kimura", "password": "x", "extra": 1}', "application/json", 400, "invalid_payload"),
        ('{"username": "kimura", "password": "x"}', "text/plain", 400, "invalid_payload"),
    ],
)
async def test_api_login_refusals(
    server: LiveServer, http: aiohttp.ClientSession, raw: str, content_type: str, status: int, code: str
) -> None:
    async with http.post(
        f"{server.base_url}/api/login", data=raw.encode(), headers={"Content-Type": content_type}
    ) as resp:
        assert resp.status == status
        body = await resp.json()
        assert "madoguchi_session" not in resp.cookies
    assert body["error"]["code"] == code
    assert body["error"]["message"]
