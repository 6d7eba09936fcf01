"""Opening hours on /admin: per weekday, closed dates and yearly closed spans, per municipality.

Why stored in the database over the municipality file: the file is the default a town ships with; an admin
changes the hours in the browser without uploading YAML, every change is audited (``hours.update``,
``hours.reset``, before and after), and "back to the file" deletes the stored version. Every process reads
them through the :class:`~madoguchi.storage.opening_hours.HoursBook` (a few seconds' cache), so the supervisor's
alarms and "open now" follow within seconds.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from madoguchi import keys
from madoguchi.agent_console import auth
from madoguchi.agent_console.admin import guard
from madoguchi.domain.holidays import JAPAN, holidays_between
from madoguchi.domain.opening_hours import JST, OFFICE_HOURS, HoursSpec, hours_of, open_now
from madoguchi.storage.accounts import StaffRecord
from madoguchi.storage.opening_hours import OpeningHoursStore


async def hours_json(app: web.Application, municipality_id: str, now: datetime) -> dict[str, Any]:
    """What the page shows of a town's hours: the spec in force, where it comes from, open now or not."""
    book = app[keys.HOURS]
    spec, source = await book.spec(municipality_id)
    saved = await book.saved(municipality_id) if source == "stored" else None
    hours = OFFICE_HOURS if spec is None else hours_of(spec)
    return {
        "municipality_id": municipality_id,
        "spec": None if spec is None else spec.model_dump(mode="json"),
        "source": source,
        "updated_at": None if saved is None else saved.updated_at.isoformat(),
        "updated_by": None if saved is None else saved.updated_by,
        "open_now": open_now(hours, None, now),
        "holidays": upcoming_holidays(now),
    }


def upcoming_holidays(now: datetime) -> list[dict[str, str]]:
    """The national holidays of the coming year (Japan time), for the admin to open one anyway."""
    today = now.astimezone(JST).date()
    return [
        {"date": day.isoformat(), "name": name}
        for day, name in holidays_between(JAPAN, today, today + timedelta(days=365))
    ]


def _town(request: web.Request, admin: StaffRecord) -> str:
    municipality_id = request.match_info["municipality_id"]
    guard.require_scope(admin, municipality_id, "municipality")
    return municipality_id


async def save(request: web.Request) -> web.StreamResponse:
    admin = await guard.admin(request, changing=True)
    municipality_id = _town(request, admin)
    spec = await guard.body(request, HoursSpec)
    await OpeningHoursStore(request.app[keys.DATABASE]).save(
        municipality_id, spec, actor=f"staff:{admin.id}", by=admin.display_name, at=auth.now_utc()
    )
    request.app[keys.HOURS].forget(municipality_id)
    return web.json_response({"hours": await hours_json(request.app, municipality_id, datetime.now(UTC))})


async def reset(request: web.Request) -> web.StreamResponse:
    admin = await guard.admin(request, changing=True)
    municipality_id = _town(request, admin)
    cleared = await OpeningHoursStore(request.app[keys.DATABASE]).clear(
        municipality_id, actor=f"staff:{admin.id}", at=auth.now_utc()
    )
    request.app[keys.HOURS].forget(municipality_id)
    body = {"reset": cleared, "hours": await hours_json(request.app, municipality_id, datetime.now(UTC))}
    return web.json_response(body)


def setup(app: web.Application) -> None:
    app.router.add_post("/api/admin/hours/{municipality_id}", save)
    app.router.add_post("/api/admin/hours/{municipality_id}/reset", reset)
