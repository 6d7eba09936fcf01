"""The durable schema as SQLAlchemy tables: the one description both the code and Alembic's checks read.

The first migration (``migrations/versions/0001_initial.py``) is written out by hand from these classes and a
test compares the migrated database with this metadata, so the two cannot drift apart silently.

Portability choices (SQLite by default, PostgreSQL at scale):
- enumerations are short strings with CHECK constraints, not native PostgreSQL enums, so adding a value is a
  plain migration on both;
- every timestamp goes through :class:`UTCDateTime`: Python code sees timezone-aware UTC ``datetime`` objects
  on both databases, and naive datetimes are refused rather than guessed at;
- constraints have names (``NAMING_CONVENTION``) so Alembic's batch mode can alter SQLite tables later.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ROLES = ("agent", "supervisor", "admin")
PLACE_KINDS = ("main_office", "post_office", "community_centre", "branch")
CHANNELS = ("booth", "chat")
SENDERS = ("resident", "agent", "bot", "system")
BOOKING_STATUSES = ("booked", "checked_in", "no_show", "cancelled", "done")
BOOKING_MODES = ("booth", "counter", "video")
SAILING_DIRECTIONS = ("in", "out")
FINISHED_STATES = ("closed", "abandoned", "interrupted")
"""Consultation states after which nothing more happens; every other state is picked up by recovery."""


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every database.

    SQLite has no timezone type, so it stores naive UTC text and gets UTC attached again on the way out;
    PostgreSQL uses ``timestamptz``. A naive ``datetime`` is an error: it would silently mean local time.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__}")
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("naive datetime: pass a timezone-aware UTC datetime")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


JSONValue = JSON().with_variant(JSONB(), "postgresql")
SerialId = BigInteger().with_variant(Integer(), "sqlite")
"""An append-only table's row id: 64-bit on PostgreSQL, SQLite's rowid alias (INTEGER PRIMARY KEY) there."""


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSONValue,
        list[str]: JSONValue,
    }


class Municipality(Base):
    __tablename__ = "municipalities"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name_ja: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))


class Place(Base):
    __tablename__ = "places"
    __table_args__ = (CheckConstraint(_one_of("kind", PLACE_KINDS), name="kind"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    municipality_id: Mapped[str] = mapped_column(ForeignKey("municipalities.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    """The Japanese name, as on the sign; the fallback for every language without its own."""
    kind: Mapped[str] = mapped_column(String(32))
    names: Mapped[dict[str, Any] | None] = mapped_column(JSONValue, default=None)
    """The name in other page languages (``{"en": "Shiomi Post Office", ...}``); None or absent: none given."""
    reading: Mapped[str | None] = mapped_column(String(200), default=None)
    """The Japanese name's reading in romaji (``Shiomi Yūbinkyoku``), shown beside it where no name is given."""


class Booth(Base):
    __tablename__ = "booths"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    municipality_id: Mapped[str] = mapped_column(ForeignKey("municipalities.id"), index=True)
    place_id: Mapped[str | None] = mapped_column(ForeignKey("places.id"))
    name: Mapped[str] = mapped_column(String(200))
    """The Japanese display name (required); the fallback for every language without its own."""
    names: Mapped[dict[str, Any] | None] = mapped_column(JSONValue, default=None)
    """The display name in other page languages (``{"en": "Shiomi Post Office booth", ...}``); None or absent: none
    given (migration 0017_booth16_booth_names)."""
    location: Mapped[str] = mapped_column(Text, default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    last_seen_at: Mapped[datetime | None]
    """When a server process last found the booth connected (written at most once a minute per booth, and when
    it leaves: ``signaling/booth_sightings.py``); the supervisors' booth list shows it after a restart."""


class Staff(Base):
    __tablename__ = "staff"
    __table_args__ = (CheckConstraint(_one_of("role", ROLES), name="role"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    latin_name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    """The name in Latin letters, for residents who cannot read the display name's kanji ("Futaba Madoguchi");
    empty: they read "a staff member" in their language instead (migration 0015_chat10_staff_latin_name)."""
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    routes: Mapped[list[str]]
    languages: Mapped[list[str]]
    created_at: Mapped[datetime]
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)


class StaffMunicipality(Base):
    __tablename__ = "staff_municipalities"

    staff_id: Mapped[str] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), primary_key=True)
    municipality_id: Mapped[str] = mapped_column(ForeignKey("municipalities.id"), primary_key=True)


class WebSession(Base):
    __tablename__ = "web_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    staff_id: Mapped[str] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)


class Consultation(Base):
    __tablename__ = "consultations"
    __table_args__ = (
        CheckConstraint(_one_of("channel", CHANNELS), name="channel"),
        Index(None, "state"),
        Index(None, "requested_at"),
        Index(None, "municipality_id", "requested_at"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    municipality_id: Mapped[str] = mapped_column(ForeignKey("municipalities.id"))
    channel: Mapped[str] = mapped_column(String(16))
    booth_id: Mapped[str | None] = mapped_column(ForeignKey("booths.id"), index=True)
    resident_ref: Mapped[str | None] = mapped_column(String(128))
    route: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(16))
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(String(32))
    agent_id: Mapped[str | None] = mapped_column(ForeignKey("staff.id"), index=True)
    requested_at: Mapped[datetime]
    offered_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]
    """The current (last) call's answer; a transfer or a cut call sets it again."""
    talked_before_s: Mapped[float | None] = mapped_column(Float, default=None)
    """Seconds of the earlier calls (transfers, calls cut and answered again); NULL: none (or stored before
    session 16). The resident's wait is answered_at - queued minus this; the handling, ended_at - answered_at plus
    this."""
    ended_at: Mapped[datetime | None]
    wrapped_up_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    end_reason: Mapped[str | None] = mapped_column(String(64))
    disposition: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)
    csat: Mapped[str | None] = mapped_column(String(8))
    booking: Mapped[str | None] = mapped_column(String(12))  # a booking code: 12 digits, 8 before session 13
    """The booking code of a resident who booked and checked in; None for a walk-in."""
    link_quality: Mapped[dict[str, Any] | None]
    """Each side's latest link-quality summary of the call, by role: ``{"resident": {...}, "agent": {...}}``."""
    triage: Mapped[dict[str, Any] | None]
    summary: Mapped[dict[str, Any] | None]
    updated_at: Mapped[datetime]


class ConsultationEvent(Base):
    __tablename__ = "consultation_events"

    id: Mapped[int] = mapped_column(SerialId, primary_key=True, autoincrement=True)
    consultation_id: Mapped[str] = mapped_column(ForeignKey("consultations.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(32))
    detail: Mapped[dict[str, Any]]
    record_key: Mapped[str | None] = mapped_column(String(128), unique=True, index=True, default=None)
    """The live state's name for this change (``<consultation id>:<n>``), unique: a record written twice (two
    processes flushing the same pending record, a retry after a lost commit reply) is stored once. Empty for
    rows written outside the live state (the restart sweep, older rows)."""


class ConsultationParticipant(Base):
    """Who took part in a consultation, one row per participant and stint (an agent who lost the call and took it
    again has two). ``consultations.agent_id`` and ``resident_ref`` stay as they were for exports; this table
    also holds those who joined a call (observers, interpreters)."""

    __tablename__ = "consultation_participants"
    __table_args__ = (UniqueConstraint("consultation_id", "participant", "joined_at"),)

    id: Mapped[int] = mapped_column(SerialId, primary_key=True, autoincrement=True)
    consultation_id: Mapped[str] = mapped_column(ForeignKey("consultations.id", ondelete="CASCADE"), index=True)
    participant: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    staff_id: Mapped[str | None] = mapped_column(String(64), index=True)
    joined_at: Mapped[datetime]
    left_at: Mapped[datetime | None]


class ChatMessage(Base):
    __tablename__ = "chat_messages"
    __table_args__ = (
        CheckConstraint(_one_of("sender", SENDERS), name="sender"),
        UniqueConstraint("consultation_id", "client_id"),
    )

    consultation_id: Mapped[str] = mapped_column(ForeignKey("consultations.id", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    sender: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime]
    client_id: Mapped[str | None] = mapped_column(String(64))
    meta: Mapped[dict[str, Any] | None] = mapped_column(JSONValue, default=None)
    """What the bot did on this line (action, knowledge-base entries), so later turns can see it."""


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(SerialId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]]


class Booking(Base):
    """A resident's booked time (予約). The code is the booking's only key a resident ever sees."""

    __tablename__ = "bookings"
    __table_args__ = (
        CheckConstraint(_one_of("status", BOOKING_STATUSES), name="status"),
        CheckConstraint(_one_of("mode", BOOKING_MODES), name="mode"),
        Index(None, "municipality_id", "start_at"),
        Index(None, "status", "start_at"),
        Index(None, "municipality_id", "ferry_line", "start_at"),
    )

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    municipality_id: Mapped[str] = mapped_column(ForeignKey("municipalities.id"))
    route: Mapped[str] = mapped_column(String(64))
    mode: Mapped[str] = mapped_column(String(16))
    desk: Mapped[str] = mapped_column(String(80))
    place: Mapped[str] = mapped_column(String(80))
    """A place id of the municipality file, or ``home`` for a video call from home."""
    start_at: Mapped[datetime]
    end_at: Mapped[datetime]
    name_kana: Mapped[str] = mapped_column(String(64))
    phone: Mapped[str | None] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(254))
    language: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    ferry_line: Mapped[str | None] = mapped_column(String(80))
    ferry_arrive: Mapped[str | None] = mapped_column(String(5))
    """``HH:MM`` (JST) of the boat the resident arrives on; ``ferry_leave`` the boat home."""
    ferry_leave: Mapped[str | None] = mapped_column(String(5))
    notice: Mapped[dict[str, Any] | None] = mapped_column(JSONValue, default=None)
    """What the office must tell the resident (a cancelled sailing and the slots offered instead)."""
    booked_by: Mapped[str] = mapped_column(String(80))
    """``resident`` (the /book page) or ``staff:<id>``."""
    consultation_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    reminded_at: Mapped[datetime | None]


class BookingSlot(Base):
    """How many bookings hold one slot: the row a conditional UPDATE counts on, so two processes can never
    book one place twice (``taken < capacity`` is checked and raised in one statement)."""

    __tablename__ = "booking_slots"
    __table_args__ = (Index(None, "municipality_id", "start_at"),)  # a day's counts, every desk and place

    municipality_id: Mapped[str] = mapped_column(ForeignKey("municipalities.id"), primary_key=True)
    desk: Mapped[str] = mapped_column(String(80), primary_key=True)
    place: Mapped[str] = mapped_column(String(80), primary_key=True)
    start_at: Mapped[datetime] = mapped_column(primary_key=True)
    taken: Mapped[int] = mapped_column(Integer, default=0)


class SailingCancellation(Base):
    """A sailing the office has marked cancelled (weather, breakdown)."""

    __tablename__ = "sailing_cancellations"
    __table_args__ = (CheckConstraint(_one_of("direction", SAILING_DIRECTIONS), name="direction"),)

    municipality_id: Mapped[str] = mapped_column(ForeignKey("municipalities.id"), primary_key=True)
    line: Mapped[str] = mapped_column(String(80), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    direction: Mapped[str] = mapped_column(String(8), primary_key=True)
    at: Mapped[str] = mapped_column(String(5), primary_key=True)
    created_at: Mapped[datetime]


class CallbackRequest(Base):
    """A resident nobody could answer left a phone number for the office to call back (折り返し電話).

    The number is the one personal detail kept unmasked, because staff must dial it; it is deleted (set to NULL)
    the moment the call-back is marked done. The case itself is recorded like any consultation (end reason
    ``callback``) and this row is purged with it (``consultation_id`` refers to it)."""

    __tablename__ = "callback_requests"
    __table_args__ = (Index(None, "municipality_id", "done_at", "requested_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    consultation_id: Mapped[str] = mapped_column(ForeignKey("consultations.id"), index=True)
    municipality_id: Mapped[str] = mapped_column(ForeignKey("municipalities.id"))
    route: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(16))
    booth_id: Mapped[str | None] = mapped_column(String(64))
    phone: Mapped[str | None] = mapped_column(String(32))
    requested_at: Mapped[datetime]
    done_at: Mapped[datetime | None]
    done_by: Mapped[str | None] = mapped_column(String(80))


class ReportRollup(Base):
    """One municipality's consultations of one local day, added up for the reports (``madoguchi.reports.rollups``):
    the sums as JSON text, the waits as packed integers. Valid for the zone and KPI settings it names; rebuilt
    when a change row says the day's consultations changed."""

    __tablename__ = "report_rollups"

    municipality_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    zone: Mapped[str] = mapped_column(String(64))
    settings_key: Mapped[str] = mapped_column(String(64))
    tallies: Mapped[str] = mapped_column(Text)
    waits: Mapped[bytes] = mapped_column(LargeBinary)
    built_at: Mapped[datetime]


class ReportRollupChange(Base):
    """A consultation that changed since the rollups were built (its town and request time), written by database
    triggers on ``consultations`` and on ``consultation_events`` handoffs in the same transaction as the change,
    so every writer (any process, the outbox, the CLI, a restore) marks what it touched. The rollup builder
    deletes the rows it consumed."""

    __tablename__ = "report_rollup_changes"
    __table_args__ = (Index(None, "municipality_id", "requested_at"),)

    id: Mapped[int] = mapped_column(SerialId, primary_key=True, autoincrement=True)
    municipality_id: Mapped[str] = mapped_column(String(64))
    requested_at: Mapped[datetime]


class StoredOpeningHours(Base):
    """A town's opening hours as the admin set them on /admin (``madoguchi.domain.opening_hours.HoursSpec`` as
    JSON); without a row the municipality file's ``opening_hours`` apply."""

    __tablename__ = "opening_hours"

    municipality_id: Mapped[str] = mapped_column(ForeignKey("municipalities.id"), primary_key=True)
    spec: Mapped[dict[str, Any]]
    updated_at: Mapped[datetime]
    updated_by: Mapped[str] = mapped_column(String(200))
