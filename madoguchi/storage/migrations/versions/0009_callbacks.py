"""Call-back requests: a resident nobody could answer leaves a phone number; staff call back and mark it done.

Revision ID: 0009_callbacks
Revises: 0008_opening_hours
Create Date: 2026-12-06

The phone number is nulled when the call-back is done; the row goes with its consultation when records are purged.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from madoguchi.storage.models import UTCDateTime

revision: str = "0009_callbacks"
down_revision: str | None = "0008_opening_hours"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "callback_requests",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("consultation_id", sa.String(64), nullable=False),
        sa.Column("municipality_id", sa.String(64), nullable=False),
        sa.Column("route", sa.String(64), nullable=False),
        sa.Column("language", sa.String(16), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("booth_id", sa.String(64), nullable=True),
        sa.Column("phone", sa.String(32), nullable=True),
        sa.Column("requested_at", UTCDateTime(), nullable=False),
        sa.Column("done_at", UTCDateTime(), nullable=True),
        sa.Column("done_by", sa.String(80), nullable=True),
        sa.ForeignKeyConstraint(
            ["consultation_id"],
            ["consultations.id"],
            name=op.f("fk_callback_requests_consultation_id_consultations"),
        ),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["municipalities.id"],
            name=op.f("fk_callback_requests_municipality_id_municipalities"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_callback_requests")),
    )
    op.create_index(op.f("ix_callback_requests_consultation_id"), "callback_requests", ["consultation_id"])
    op.create_index(
        op.f("ix_callback_requests_municipality_id_done_at_requested_at"),
        "callback_requests",
        ["municipality_id", "done_at", "requested_at"],
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_callback_requests_municipality_id_done_at_requested_at"), table_name="callback_requests")
    op.drop_index(op.f("ix_callback_requests_consultation_id"), table_name="callback_requests")
    op.drop_table("callback_requests")
