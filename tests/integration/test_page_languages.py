"""The pages are offered in the languages of madoguchi.domain.languages: ``?lang=`` and the page's list."""

from __future__ import annotations

import aiohttp
import pytest

from madoguchi.domain.languages import DEFAULT_LANGUAGE, LANGUAGE_CODES, PAGE_LANGUAGES
from tests.support import LiveServer


@pytest.mark.parametrize("path", ["/login", "/chat"])
async def test_lang_picks_a_page_language_and_the_page_names_them_all(live_server: LiveServer, path: str) -> None:
    listed = f'<meta name="languages" content="{" ".join(PAGE_LANGUAGES)}">'
    async with aiohttp.ClientSession() as http:
        for code in PAGE_LANGUAGES:
            async with http.get(f"{live_server.base_url}{path}?lang={code}") as response:
                body = await response.text()
            assert response.status == 200
            assert f'<html lang="{code}">' in body and listed in body
        # a bot language without a catalog (none since every language has one), and nonsense, fall back to the
        # default page language
        for code in (*(code for code in LANGUAGE_CODES if code not in PAGE_LANGUAGES), "xx", ""):
            async with http.get(f"{live_server.base_url}{path}?lang={code}") as response:
                body = await response.text()
            assert f'<html lang="{DEFAULT_LANGUAGE}">' in body and listed in body
