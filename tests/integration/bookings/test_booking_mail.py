"""E-mail through a real local SMTP server (aiosmtpd): the booking, the reminder and a cancelled boat, each with
the .ics file; a cancelled sailing tells exactly the bookings that relied on it and offers times that fit the
remaining boats. The desk runs on a real database with a fake clock."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Iterator
from datetime import date, datetime, time, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from madoguchi.booking_desk.mail import SmtpMailer
from madoguchi.booking_desk.service import BookingDesk, BookingRequest
from madoguchi.bookings import codes
from madoguchi.bookings.ferry import Sailing
from madoguchi.bookings.plan import JST
from madoguchi.chatbot.knowledge import bundled_kb_dir, load_municipality
from madoguchi.storage.bookings import Bookings
from madoguchi.storage.db import open_database
from madoguchi.storage.municipalities import Municipalities


class Inbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))  # type: ignore[arg-type]
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


class FakeClock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now.timestamp()


@pytest.fixture
async def desk(tmp_path: Path, smtp: tuple[Inbox, int]) -> AsyncIterator[tuple[BookingDesk, FakeClock]]:
    db = await open_database(f"sqlite+aiosqlite:///{tmp_path / 'mail.db'}")
    town = load_municipality(bundled_kb_dir() / "municipality.yaml")
    await Municipalities(db).ensure_municipality(town.id, name_ja=town.name.ja, name_en="Shiomi")
    clock = FakeClock(datetime(2026, 12, 7, 8, 0, tzinfo=JST))
    mailer = SmtpMailer(
        host="127.0.0.1", port=smtp[1], sender="madoguchi@town.example", username=None, password=None, starttls=False
    )
    try:
        yield BookingDesk(towns={town.id: town}, bookings=Bookings(db), clock=clock, mailer=mailer), clock
    finally:
        await db.close()


def at(day: int, hh_mm: str) -> datetime:
    return datetime.combine(date(2026, 12, day), time.fromisoformat(hh_mm), JST)


def request(start: datetime, **extra: Any) -> BookingRequest:
    fields: dict[str, Any] = {"route": "tax", "place": "honcho", "name_kana": "ヤマダ ハナコ", **extra}
    return BookingRequest(municipality_id="shiomi", start=start, **fields)


def calendar_of(message: EmailMessage) -> str:
    [attachment] = list(message.iter_attachments())
    assert attachment.get_content_type() == "text/calendar"
    return str(attachment.get_content())


async def test_the_booking_mail_carries_the_code_and_the_calendar(
    desk: tuple[BookingDesk, FakeClock], smtp: tuple[Inbox, int]
) -> None:
    booking_desk, _ = desk
    inbox, _ = smtp
    record = await booking_desk.book(request(at(8, "09:00"), contact="hanako@example.jp"))
    [mail] = inbox.messages
    assert mail["To"] == "hanako@example.jp" and mail["From"] == "madoguchi@town.example"
    assert "予約" in mail["Subject"] and "2026-12-08 09:00" in mail["Subject"]
    assert codes.grouped(record.code) in mail.get_body().get_content()  # type: ignore[union-attr]  # 1234 5678 9012
    ics = calendar_of(mail)
    assert "DTSTART:20261208T000000Z" in ics and f"UID:booking-{record.code}@madoguchi" in ics
    await booking_desk.book(request(at(8, "09:30"), contact="090-1234-5678"))  # a phone: nothing to send
    assert len(inbox.messages) == 1


async def test_reminders_go_once_the_day_before_and_no_shows_free_the_place(
    desk: tuple[BookingDesk, FakeClock], smtp: tuple[Inbox, int]
) -> None:
    booking_desk, clock = desk
    inbox, _ = smtp
    tomorrow = await booking_desk.book(request(at(8, "10:00"), contact="a@example.jp"))
    later = await booking_desk.book(request(at(10, "10:00"), contact="b@example.jp"))
    inbox.messages.clear()
    clock.now = at(7, "11:00")
    assert await booking_desk.sweep() == (0, 1)
    assert [m["To"] for m in inbox.messages] == ["a@example.jp"] and "お知らせ" in inbox.messages[0]["Subject"]
    assert await booking_desk.sweep() == (0, 0)  # once
    clock.now = at(8, "10:19")
    assert (await booking_desk.sweep())[0] == 0
    clock.now = at(8, "10:20")  # 20 minutes of grace
    assert (await booking_desk.sweep())[0] == 1
    assert (await booking_desk.get(tomorrow.code)).status == "no_show"
    assert (await booking_desk.get(later.code)).status == "booked"


async def test_a_cancelled_boat_tells_the_bookings_on_it_and_offers_fitting_times(
    desk: tuple[BookingDesk, FakeClock], smtp: tuple[Inbox, int]
) -> None:
    booking_desk, _ = desk
    inbox, _ = smtp
    early = await booking_desk.book(request(at(8, "09:00"), ferry="nagishima", contact="early@example.jp"))
    afternoon = await booking_desk.book(request(at(8, "13:00"), ferry="nagishima", contact="late@example.jp"))
    no_boat = await booking_desk.book(request(at(8, "09:30")))
    assert (early.ferry_arrive, early.ferry_leave) == ("08:25", "12:10")
    assert (afternoon.ferry_arrive, afternoon.ferry_leave) == ("11:35", "16:20")
    inbox.messages.clear()

    told = await booking_desk.cancel_sailing("shiomi", Sailing("nagishima", date(2026, 12, 8), "in", time(8, 25)))

    assert [r.code for r in told] == [early.code]
    notice = told[0].notice
    assert notice is not None and (notice["kind"], notice["at"], notice["direction"]) == (
        "sailing_cancelled",
        "08:25",
        "in",
    )
    instead = [datetime.fromisoformat(s["start"]) for s in notice["instead"]]
    assert len(instead) == 3
    for start in instead:  # none relies on the cancelled 8:25 boat on the 8th: from 11:35 + 10 min on
        assert start.date() > date(2026, 12, 8) or start.astimezone(JST).time() >= time(11, 45)
    assert (await booking_desk.get(afternoon.code)).notice is None
    assert (await booking_desk.get(no_boat.code)).notice is None
    [mail] = inbox.messages
    assert mail["To"] == "early@example.jp" and "欠航" in mail["Subject"]
    assert f"{instead[0].astimezone(JST):%m/%d %H:%M}" in mail.get_body().get_content()  # type: ignore[union-attr]
    moved = await booking_desk.move(early.code, instead[0])
    assert moved.notice is None and moved.ferry_arrive == "11:35"
    slots = await booking_desk.slots("shiomi", "tax", date(2026, 12, 8), place="honcho", ferry="nagishima")
    assert all(f.trip is not None and f.trip.arrive.at != time(8, 25) for f in slots)
    assert min(f.offer.slot.start for f in slots) >= at(8, "11:45") - timedelta(minutes=15)
