"""Consultation events carry the live state's record key, unique, so writing a pending record twice stores it once.

Revision ID: 0002_event_record_key
Revises: 0001_initial
Create Date: 2026-11-24

The server queues every state change in the live state's outbox and writes it to the database afterwards (see
``madoguchi.signaling.counter``); any process may write a pending record, and a write whose commit reply was lost
is retried. The unique ``record_key`` turns the second write into a no-op. Existing rows get NULL, which the
unique index allows any number of times on both databases.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_event_record_key"
down_revision: str | None = "0001_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("consultation_events", sa.Column("record_key", sa.String(128), nullable=True))
    op.create_index(op.f("ix_consultation_events_record_key"), "consultation_events", ["record_key"], unique=True)


def downgrade() -> None:
    op.drop_index(op.f("ix_consultation_events_record_key"), table_name="consultation_events")
    with op.batch_alter_table("consultation_events") as batch:
        batch.drop_column("record_key")
