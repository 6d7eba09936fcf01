"""Who took part in each consultation, one row per participant and stint, so a call can have more than two.

Revision ID: 0003_consultation_participants
Revises: 0002_event_record_key
Create Date: 2026-12-06

Existing consultations get their resident's side (from ``resident_ref`` or the booth) and, when one answered,
their agent; ``consultations.agent_id`` and ``resident_ref`` stay, so exports read as before.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from madoguchi.storage.models import SerialId, UTCDateTime

revision: str = "0003_consultation_participants"
down_revision: str | None = "0002_event_record_key"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "consultation_participants",
        sa.Column("id", SerialId, autoincrement=True, nullable=False),
        sa.Column("consultation_id", sa.String(64), nullable=False),
        sa.Column("participant", sa.String(200), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("staff_id", sa.String(64), nullable=True),
        sa.Column("joined_at", UTCDateTime(), nullable=False),
        sa.Column("left_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["consultation_id"],
            ["consultations.id"],
            name=op.f("fk_consultation_participants_consultation_id_consultations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consultation_participants")),
        sa.UniqueConstraint(
            "consultation_id",
            "participant",
            "joined_at",
            name=op.f("uq_consultation_participants_consultation_id_participant_joined_at"),
        ),
    )
    op.create_index(
        op.f("ix_consultation_participants_consultation_id"), "consultation_participants", ["consultation_id"]
    )
    op.create_index(op.f("ix_consultation_participants_staff_id"), "consultation_participants", ["staff_id"])
    op.execute(
        "INSERT INTO consultation_participants (consultation_id, participant, role, staff_id, joined_at, left_at) "
        "SELECT id, COALESCE(resident_ref, 'booth:' || booth_id), 'resident', NULL, requested_at, "
        "COALESCE(ended_at, closed_at) FROM consultations WHERE resident_ref IS NOT NULL OR booth_id IS NOT NULL"
    )
    op.execute(
        "INSERT INTO consultation_participants (consultation_id, participant, role, staff_id, joined_at, left_at) "
        "SELECT id, 'agent:' || agent_id, 'agent', agent_id, answered_at, closed_at FROM consultations "
        "WHERE agent_id IS NOT NULL AND answered_at IS NOT NULL"
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_consultation_participants_staff_id"), table_name="consultation_participants")
    op.drop_index(op.f("ix_consultation_participants_consultation_id"), table_name="consultation_participants")
    op.drop_table("consultation_participants")
