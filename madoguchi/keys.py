"""Typed application keys: the one place that names what ``create_app`` puts into the aiohttp app."""

from __future__ import annotations

import jinja2
from aiohttp import web

from madoguchi.chatbot.llm import Triage
from madoguchi.settings import Settings
from madoguchi.signaling.masking_work import MaskingWork
from madoguchi.signaling.service import CounterService
from madoguchi.signaling.shared_limits import Limits
from madoguchi.storage.accounts import Accounts
from madoguchi.storage.booths import Booths
from madoguchi.storage.callbacks import Callbacks
from madoguchi.storage.db import Database
from madoguchi.storage.opening_hours import HoursBook
from madoguchi.storage.password_work import PasswordWork
from madoguchi.storage.records import ConsultationRecords

SETTINGS = web.AppKey("settings", Settings)
TEMPLATES = web.AppKey("templates", jinja2.Environment)
DATABASE = web.AppKey("database", Database)
ACCOUNTS = web.AppKey("accounts", Accounts)
PASSWORD_WORK = web.AppKey("password_work", PasswordWork)
MASKING_WORK = web.AppKey("masking_work", MaskingWork)
"""The password threads (``storage/password_work.py``); ``ACCOUNTS`` hashes on them."""
BOOTHS = web.AppKey("booths", Booths)
RECORDS = web.AppKey("records", ConsultationRecords)
CALLBACKS = web.AppKey("callbacks", Callbacks)
COUNTER = web.AppKey("counter", CounterService)
TRIAGES = web.AppKey[dict[str, Triage]]("triages")
HOURS = web.AppKey("hours", HoursBook)
"""Each town's opening hours in force: the admin's stored ones, else the municipality file's."""
RATE_LIMITS = web.AppKey("rate_limits", Limits)
"""Where keyed rate limits live (Redis for every process, else this one); see ``signaling/shared_limits.py``."""
