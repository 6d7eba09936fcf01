"""Every response carries the baseline security headers, not only rendered pages (red team, issue 9): JSON API
answers, redirects, aiohttp's own 404 and 405 pages, static files and health checks are all nosniff, cannot be
framed, have a CSP and send no referrer to other sites; API answers are never cached (booking look-ups carry a
name)."""

from __future__ import annotations

from pathlib import Path

import aiohttp

from madoguchi.ui import CONTENT_SECURITY_POLICY
from tests.support import make_settings, serve

PATHS = [
    ("GET", "/"),
    ("GET", "/console"),
    ("GET", "/nowhere"),
    ("DELETE", "/login"),
    ("GET", "/api/admin/state"),
    ("GET", "/api/kb/search?q=x"),
    ("GET", "/api/bookings/12345678"),
    ("GET", "/api/slots"),
    ("POST", "/api/login"),
    ("GET", "/healthz"),
    ("GET", "/static/js/net.js"),
    ("GET", "/static/nothing.js"),
    ("GET", "/login"),
]


async def test_every_response_has_the_baseline_headers(tmp_path: Path) -> None:
    async with serve(make_settings(tmp_path)) as live, aiohttp.ClientSession() as http:
        for method, path in PATHS:
            async with http.request(method, live.base_url + path, allow_redirects=False) as resp:
                headers = resp.headers
                where = (method, path, resp.status, dict(headers))
                assert headers.get("X-Content-Type-Options") == "nosniff", where
                assert headers.get("X-Frame-Options") == "DENY", where
                assert headers.get("Referrer-Policy") == "same-origin", where
                assert "frame-ancestors 'none'" in headers.get("Content-Security-Policy", ""), where
                if path.startswith("/api/"):
                    assert headers.get("Cache-Control") == "no-store", where
                if (method, path) == ("GET", "/login"):
                    assert headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY, where
