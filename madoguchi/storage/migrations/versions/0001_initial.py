"""Initial schema: municipalities, places, booths, staff, sessions, consultations, events, chat, audit log.

Revision ID: 0001_initial
Revises:
Create Date: 2024-06-01

Written by hand to match ``madoguchi.storage.models``; a test migrates an empty database and compares it with
the models, so any difference shows up there. Constraint names follow ``models.NAMING_CONVENTION``.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from madoguchi.storage.models import JSONValue, SerialId, UTCDateTime

revision: str = "0001_initial"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _fk(table: str, column: str, target: str, ondelete: str | None = None) -> sa.ForeignKeyConstraint:
    referred_table = target.split(".")[0]
    return sa.ForeignKeyConstraint(
        [column], [target], name=op.f(f"fk_{table}_{column}_{referred_table}"), ondelete=ondelete
    )


def upgrade() -> None:
    op.create_table(
        "municipalities",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("name_ja", sa.String(200), nullable=False),
        sa.Column("name_en", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_municipalities")),
    )
    op.create_table(
        "places",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("municipality_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.CheckConstraint(
            _one_of("kind", ("main_office", "post_office", "community_centre", "branch")),
            name=op.f("ck_places_kind"),
        ),
        _fk("places", "municipality_id", "municipalities.id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_places")),
    )
    op.create_index(op.f("ix_places_municipality_id"), "places", ["municipality_id"])

    op.create_table(
        "booths",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("municipality_id", sa.String(64), nullable=False),
        sa.Column("place_id", sa.String(64), nullable=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("location", sa.Text(), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        _fk("booths", "municipality_id", "municipalities.id"),
        _fk("booths", "place_id", "places.id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_booths")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_booths_token_hash")),
    )
    op.create_index(op.f("ix_booths_municipality_id"), "booths", ["municipality_id"])

    op.create_table(
        "staff",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("routes", JSONValue, nullable=False),
        sa.Column("languages", JSONValue, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.CheckConstraint(_one_of("role", ("agent", "supervisor", "admin")), name=op.f("ck_staff_role")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff")),
        sa.UniqueConstraint("username", name=op.f("uq_staff_username")),
    )
    op.create_table(
        "staff_municipalities",
        sa.Column("staff_id", sa.String(64), nullable=False),
        sa.Column("municipality_id", sa.String(64), nullable=False),
        _fk("staff_municipalities", "staff_id", "staff.id", ondelete="CASCADE"),
        _fk("staff_municipalities", "municipality_id", "municipalities.id"),
        sa.PrimaryKeyConstraint("staff_id", "municipality_id", name=op.f("pk_staff_municipalities")),
    )
    op.create_table(
        "web_sessions",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("staff_id", sa.String(64), nullable=False),
        sa.Column("csrf_token", sa.String(128), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        _fk("web_sessions", "staff_id", "staff.id", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_web_sessions")),
    )
    op.create_index(op.f("ix_web_sessions_staff_id"), "web_sessions", ["staff_id"])
    op.create_index(op.f("ix_web_sessions_expires_at"), "web_sessions", ["expires_at"])

    op.create_table(
        "consultations",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("municipality_id", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("booth_id", sa.String(64), nullable=True),
        sa.Column("resident_ref", sa.String(128), nullable=True),
        sa.Column("route", sa.String(64), nullable=False),
        sa.Column("language", sa.String(16), nullable=False),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("agent_id", sa.String(64), nullable=True),
        sa.Column("requested_at", UTCDateTime(), nullable=False),
        sa.Column("offered_at", UTCDateTime(), nullable=True),
        sa.Column("answered_at", UTCDateTime(), nullable=True),
        sa.Column("ended_at", UTCDateTime(), nullable=True),
        sa.Column("wrapped_up_at", UTCDateTime(), nullable=True),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.Column("end_reason", sa.String(64), nullable=True),
        sa.Column("disposition", sa.String(32), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("triage", JSONValue, nullable=True),
        sa.Column("summary", JSONValue, nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(_one_of("channel", ("booth", "chat")), name=op.f("ck_consultations_channel")),
        _fk("consultations", "municipality_id", "municipalities.id"),
        _fk("consultations", "booth_id", "booths.id"),
        _fk("consultations", "agent_id", "staff.id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consultations")),
    )
    op.create_index(op.f("ix_consultations_state"), "consultations", ["state"])
    op.create_index(op.f("ix_consultations_requested_at"), "consultations", ["requested_at"])
    op.create_index(
        op.f("ix_consultations_municipality_id_requested_at"),
        "consultations",
        ["municipality_id", "requested_at"],
    )
    op.create_index(op.f("ix_consultations_booth_id"), "consultations", ["booth_id"])
    op.create_index(op.f("ix_consultations_agent_id"), "consultations", ["agent_id"])

    op.create_table(
        "consultation_events",
        sa.Column("id", SerialId, autoincrement=True, nullable=False),
        sa.Column("consultation_id", sa.String(64), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("detail", JSONValue, nullable=False),
        _fk("consultation_events", "consultation_id", "consultations.id", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consultation_events")),
    )
    op.create_index(op.f("ix_consultation_events_consultation_id"), "consultation_events", ["consultation_id"])

    op.create_table(
        "chat_messages",
        sa.Column("consultation_id", sa.String(64), nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("sender", sa.String(16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("client_id", sa.String(64), nullable=True),
        sa.Column("meta", JSONValue, nullable=True),
        sa.CheckConstraint(
            _one_of("sender", ("resident", "agent", "bot", "system")), name=op.f("ck_chat_messages_sender")
        ),
        _fk("chat_messages", "consultation_id", "consultations.id", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("consultation_id", "seq", name=op.f("pk_chat_messages")),
        sa.UniqueConstraint("consultation_id", "client_id", name=op.f("uq_chat_messages_consultation_id_client_id")),
    )

    op.create_table(
        "audit_log",
        sa.Column("id", SerialId, autoincrement=True, nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("detail", JSONValue, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index(op.f("ix_audit_log_at"), "audit_log", ["at"])


def downgrade() -> None:
    for table in (
        "audit_log",
        "chat_messages",
        "consultation_events",
        "consultations",
        "web_sessions",
        "staff_municipalities",
        "staff",
        "booths",
        "places",
        "municipalities",
    ):
        op.drop_table(table)
