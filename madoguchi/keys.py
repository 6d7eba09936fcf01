"""Typed application keys: the one place that names what ``create_app`` puts into the aiohttp app."""

from __future__ import annotations

from typing import TYPE_CHECKING

import jinja2
from aiohttp import web

from madoguchi.settings import Settings

if TYPE_CHECKING:

    pass

SETTINGS = web.AppKey("settings", Settings)
TEMPLATES = web.AppKey("templates", jinja2.Environment)
DATABASE = web.AppKey["Database"]("database")
ACCOUNTS = web.AppKey["Accounts"]("accounts")
BOOTHS = web.AppKey["Booths"]("booths")
RECORDS = web.AppKey["ConsultationRecords"]("records")
COUNTER = web.AppKey["CounterService"]("counter")
TRIAGES = web.AppKey["dict[str, Triage]"]("triages")
