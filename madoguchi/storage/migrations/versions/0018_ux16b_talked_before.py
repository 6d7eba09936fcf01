"""The talk of a case's earlier calls (session 16): ``consultations.talked_before_s``.

Revision ID: 0018_ux16b_talked_before
Revises: 0017_booth16_booth_names
Create Date: 2026-12-08

A transfer (or a call cut and answered again) sets ``answered_at`` to the new call's answer. Before this column
the reports took ``answered_at - queued`` as the resident's wait, so the first agent's talk counted as waiting
(a tester's transferred booth call: 162 s "wait", service level 0 %) and the handling time lost it.
``talked_before_s`` holds the seconds of the earlier calls; NULL for a case with none and for rows stored before
(not rewritten: the participants table holds their calls). It is written in the same update as ``route`` or
``ended_at``, which 0007's triggers watch, so no trigger changes; a plain ADD COLUMN (no batch rebuild) keeps
SQLite's triggers.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018_ux16b_talked_before"
down_revision: str | None = "0017_booth16_booth_names"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("consultations", sa.Column("talked_before_s", sa.Float(), nullable=True))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_column("consultations", "talked_before_s")
        return
    op.execute("ALTER TABLE consultations DROP COLUMN talked_before_s")
