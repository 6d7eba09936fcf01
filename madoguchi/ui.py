"""What every HTML page shares: static files, the translation catalogs and safe rendering.

Why one module: the kiosk and the console must use the same translation mechanism. Text lives only in
``static/i18n/<lang>.json``; the server renders the first paint from those files (so a page reads right even
before its JavaScript runs, and the login form works without any), and ``static/js/i18n.js`` reads the same
files to switch language in the browser.

Route display names have one source, the municipality file (``municipality.yaml``: a town names its own
departments). A page that knows its municipality passes :func:`municipality_texts` to :func:`render`: they
replace the catalogs' ``route.<id>`` texts for the first paint and, embedded as ``#i18n-page-texts``, in every
catalog ``i18n.js`` loads. The catalogs' ``route.*`` entries are only the fallback for a page without one, and a
test keeps them equal to the bundled sample municipality's names.

Pages send a strict Content-Security-Policy: no inline scripts, no outside hosts, because kiosks stand in
public places on closed municipal networks.
"""

from __future__ import annotations

import functools
import hashlib
import ipaddress
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from aiohttp import web

from madoguchi import keys
from madoguchi.domain.languages import DEFAULT_LANGUAGE, PAGE_LANGUAGES, SWITCH_LANGUAGE, language_name, language_tag
from madoguchi.domain.routes import ROUTE_IDS

STATIC_DIR: Final = Path(__file__).parent / "static"
I18N_DIR: Final = STATIC_DIR / "i18n"
SUPPORTED_LANGUAGES: Final = PAGE_LANGUAGES  # the pages' languages, from the one table in madoguchi.domain

CONTENT_SECURITY_POLICY: Final = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "media-src 'self' blob:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)

_STATIC_READY = web.AppKey("madoguchi_ui_static_ready", bool)


class CatalogError(Exception):
    """A translation catalog is missing or malformed: a packaging bug, reported loudly at start."""


@functools.cache
def load_catalog(language: str) -> Mapping[str, str]:
    """The flat ``key → text`` catalog of one language, read once per process."""
    if language not in SUPPORTED_LANGUAGES:
        raise CatalogError(f"unsupported language {language!r}; supported: {', '.join(SUPPORTED_LANGUAGES)}")
    path = I18N_DIR / f"{language}.json"
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CatalogError(f"cannot read translation catalog {path}: {exc}") from exc
    if not isinstance(raw, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in raw.items()):
        raise CatalogError(f"{path} must be one flat JSON object of string keys to string texts")
    return dict(raw)


def translate(language: str, key: str, params: Mapping[str, object] | None = None) -> str:
    """The text for ``key`` in ``language``, falling back to Japanese, then to the key itself.

    ``{name}`` placeholders are filled from ``params``; unknown placeholders are left as they are, so a
    translation mistake shows up on screen instead of raising in the middle of a request.
    """
    text = load_catalog(language).get(key) or load_catalog(DEFAULT_LANGUAGE).get(key) or key
    return translate_text(text, params)


def translate_text(text: str, params: Mapping[str, object] | None = None) -> str:
    """``text`` with its ``{name}`` placeholders filled from ``params`` (unknown ones left as they are)."""
    for name, value in (params or {}).items():
        text = text.replace("{" + name + "}", str(value))
    return text


PageTexts = Mapping[str, Mapping[str, str]]
"""Texts that replace catalog entries on one page, by language: ``{"ja": {"route.tax": "税務課"}}``."""


def municipality_texts(app: web.Application, municipality_id: str | None) -> PageTexts:
    """The route names of a municipality's file in every page language, and its phone number and hours
    (``town.phone``, ``town.hours``: the "no one can answer" panel; ``town.hours`` is the file's sentence, shown only
    when the town has no opening hours as data — otherwise the panel shows the server's TownHours, the admin-editable
    ones); nothing for an unknown one."""
    triage = app[keys.TRIAGES].get(municipality_id) if municipality_id else None
    if triage is None:
        return {}
    municipality = triage.engine.kb.municipality
    return {
        language: {
            **{f"route.{route}": municipality.route_name(route, language) for route in ROUTE_IDS},
            "town.phone": municipality.phone,
            "town.hours": municipality.hours_text(language),
        }
        for language in SUPPORTED_LANGUAGES
    }


def pick_language(request: web.Request) -> str:
    """``?lang=`` when it names a supported language, otherwise Japanese (the default for every page)."""
    wanted = request.query.get("lang", "")
    return wanted if wanted in SUPPORTED_LANGUAGES else DEFAULT_LANGUAGE


@functools.cache
def _asset_version(relative_path: str) -> str:
    path = STATIC_DIR / relative_path
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    except OSError:
        return "missing"


def static_url(relative_path: str) -> str:
    """``/static/<path>?v=<content hash>`` so a kiosk never runs yesterday's script after an upgrade."""
    return f"/static/{relative_path}?v={_asset_version(relative_path)}"


def setup_static(app: web.Application) -> None:
    """Serve ``madoguchi/static`` at ``/static/`` once, whichever page module asks first."""
    if app.get(_STATIC_READY):
        return
    for language in SUPPORTED_LANGUAGES:
        load_catalog(language)  # fail at start, not on the first kiosk that opens
    app.router.add_static("/static/", STATIC_DIR, name="static", follow_symlinks=False)
    app.on_response_prepare.append(_static_cache_headers)
    app[_STATIC_READY] = True


async def _static_cache_headers(request: web.Request, response: web.StreamResponse) -> None:
    if request.path.startswith("/static/"):
        # Revalidate every time (cheap 304s): modules imported by relative path carry no version string.
        response.headers.setdefault("Cache-Control", "no-cache")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")


API_CONTENT_SECURITY_POLICY: Final = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
"""For every response that is not one of our pages (JSON, redirects, aiohttp's error pages, static files)."""


async def baseline_headers(request: web.Request, response: web.StreamResponse) -> None:
    """The headers every response gets unless it set its own (pages set the strict page CSP in
    :func:`secure_page_headers`): nosniff, no framing, no referrer to other sites, and no caching of API answers
    (a booking look-up carries a name)."""
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Content-Security-Policy", API_CONTENT_SECURITY_POLICY)
    if request.path.startswith("/api/"):
        headers.setdefault("Cache-Control", "no-store")


async def render(
    request: web.Request,
    template_name: str,
    *,
    language: str,
    status: int = 200,
    context: Mapping[str, Any] | None = None,
    texts: PageTexts | None = None,
) -> web.Response:
    """Render a template with ``t()`` bound to ``language`` and the page's catalog for the browser; ``texts``
    (e.g. :func:`municipality_texts`) replace catalog entries on this page, in every language."""
    environment = request.app[keys.TEMPLATES]
    template = environment.get_template(template_name)
    page_texts = {lang: dict(values) for lang, values in (texts or {}).items()}
    own = page_texts.get(language, {})

    def t(key: str, **params: object) -> str:
        if key in own:
            return translate_text(own[key], params)
        return translate(language, key, params)

    values: dict[str, Any] = {
        "lang": language,
        "t": t,
        "static_url": static_url,
        # templates embed both with |tojson (safe in <script>)
        "catalog": {**load_catalog(language), **own},
        "page_texts": page_texts,
        "supported_languages": SUPPORTED_LANGUAGES,
        "switch_language": SWITCH_LANGUAGE,
        # the picker's buttons: each language in its own script, with its HTML lang tag
        "page_languages": [(code, language_name(code), language_tag(code)) for code in SUPPORTED_LANGUAGES],
        "lang_tag": language_tag(language),
        # clock times on the page (static/js/clock.js) are shown in this zone, whatever the browser's
        "time_zone": request.app[keys.SETTINGS].timezone,
        **(context or {}),
    }
    if environment.is_async:
        body = await template.render_async(values)
    else:
        body = template.render(values)
    response = web.Response(text=body, status=status, content_type="text/html", charset="utf-8")
    secure_page_headers(response)
    return response


def secure_page_headers(response: web.StreamResponse) -> None:
    """Headers for every HTML page: strict CSP, no caching of personal pages, no referrer to other sites.

    ``same-origin`` rather than ``no-referrer``: with ``no-referrer`` browsers send ``Origin: null`` on form
    POSTs, which the login's cross-site check must refuse.
    """
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Permissions-Policy"] = "camera=(self), microphone=(self), geolocation=()"


def client_address(request: web.Request) -> str:
    """The client's address (:func:`address_key`) for throttling and the anonymous resident limits. Behind a
    reverse proxy listed in ``MADOGUCHI_TRUSTED_PROXIES``, the nearest address in ``X-Forwarded-For`` that is not
    itself such a proxy; otherwise the peer address (a header from anyone else is ignored: it would let a guesser
    pick a fresh address for every try)."""
    peer = request.remote or "unknown"
    trusted = request.app[keys.SETTINGS].trusted_proxies
    if not trusted or peer not in trusted:
        return address_key(peer)
    hops = [hop.strip() for hop in request.headers.get("X-Forwarded-For", "").split(",")]
    for hop in reversed(hops):
        if hop and hop not in trusted:
            try:
                return address_key(str(ipaddress.ip_address(hop)))
            except ValueError:
                return address_key(peer)  # a malformed header: throttle the proxy's own address, not trust it
    return address_key(peer)


def address_key(address: str) -> str:
    """What the per-address limits count by: an IPv4 address as it is (also when written IPv4-mapped), an IPv6
    address as its /64, the block one home or phone is given (counting single IPv6 addresses would hand a guesser
    2^64 fresh addresses)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)
