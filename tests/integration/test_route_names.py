"""Route display names have one source, the municipality file: the kiosk and the console show its names.

The catalogs' ``route.*`` texts are only the fallback for a page that knows no municipality; for the bundled
sample town they must equal its file, so no screen and no handoff summary ever disagree.
"""

from __future__ import annotations

import html
import json
import re
import shutil
from pathlib import Path

import aiohttp
import pytest

from madoguchi import ui
from madoguchi.chatbot.knowledge import bundled_kb_dir, load_knowledge_base
from madoguchi.chatbot.service import model_cache
from madoguchi.domain.routes import ROUTE_IDS
from tests.support import login_cookie, make_settings, serve
from tests.trained_model import TrainedModel

PASSWORD = "route-names-password-1"


def test_the_catalog_fallbacks_equal_the_sample_municipality_file() -> None:
    municipality = load_knowledge_base(bundled_kb_dir()).municipality
    for language in ui.SUPPORTED_LANGUAGES:
        catalog = ui.load_catalog(language)
        for route in ROUTE_IDS:
            assert catalog[f"route.{route}"] == municipality.route_name(route, language), (language, route)


@pytest.fixture
def renamed_kb(tmp_path: Path) -> Path:
    """The sample town, whose file names the tax route 税務課 / Tax Division."""
    root = tmp_path / "kb"
    shutil.copytree(bundled_kb_dir(), root / "shiomi")
    path = root / "shiomi" / "municipality.yaml"
    text, count = re.subn(r"(?m)^  tax: \{.*\}$", "  tax: {ja: 税務課, en: Tax Division}", path.read_text("utf-8"))
    assert count == 1
    path.write_text(text, encoding="utf-8")
    return root


def page_texts(body: str) -> dict[str, dict[str, str]]:
    found = re.search(r'<script type="application/json" id="i18n-page-texts">(.*?)</script>', body, re.S)
    assert found is not None
    data = json.loads(html.unescape(found.group(1)))
    assert isinstance(data, dict)
    return data


async def test_the_kiosk_and_the_console_show_the_municipality_files_names(
    tmp_path: Path, renamed_kb: Path, trained_model: TrainedModel
) -> None:
    settings = make_settings(tmp_path, kb_dir=renamed_kb)
    trained_model.seed(renamed_kb / "shiomi", model_cache(settings))  # a route's new name is not trained on
    async with serve(settings) as live:
        _, _, kiosk = await live.add_booth()
        await live.add_agent("tanaka", PASSWORD)
        cookie = await login_cookie(live.base_url, "tanaka", PASSWORD)
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            async with http.get(live.base_url + kiosk.split("#")[0]) as response:
                assert response.status == 200
                kiosk_ja = await response.text()
            async with http.get(live.base_url + kiosk.split("#")[0] + "?lang=en") as response:
                kiosk_en = await response.text()
            async with http.get(f"{live.base_url}/console", headers={"Cookie": f"madoguchi_session={cookie}"}) as r:
                assert r.status == 200
                console = await r.text()
    # first paint, in the page's language
    assert '<span class="route-name" data-i18n="route.tax">税務課</span>' in kiosk_ja
    assert '<span class="route-name" data-i18n="route.tax">Tax Division</span>' in kiosk_en
    # every language's texts for the browser's switch and for the console's queue
    for body in (kiosk_ja, kiosk_en, console):
        texts = page_texts(body)
        assert texts["ja"]["route.tax"] == "税務課" and texts["en"]["route.tax"] == "Tax Division"
        assert {key for key in texts["ja"] if key.startswith("route.")} == {f"route.{route}" for route in ROUTE_IDS}
        # besides the route names, only the town's own texts (its phone and hours) come from the file
        assert {key.split(".")[0] for key in texts["ja"]} == {"route", "town"}
    # a route the file does not rename keeps the same name as the catalogs
    assert page_texts(console)["ja"]["route.family_register"] == ui.load_catalog("ja")["route.family_register"]


async def test_a_page_without_a_municipality_uses_the_catalog(tmp_path: Path) -> None:
    async with (
        serve(make_settings(tmp_path)) as live,
        aiohttp.ClientSession() as http,
        http.get(f"{live.base_url}/login") as response,
    ):
        body = await response.text()
    assert page_texts(body) == {}
