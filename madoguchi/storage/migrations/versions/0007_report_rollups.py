"""Daily report rollups and the change rows that tell the builder which days to rebuild.

Revision ID: 0007_report_rollups
Revises: 0006_csat
Create Date: 2026-12-06

``report_rollups`` holds one municipality's consultations of one local day added up (``madoguchi.reports.rollups``).
``report_rollup_changes`` is filled by triggers, in the transaction that changes a consultation (insert, delete,
or an update of a column the reports read) or records a bot-to-person handoff: every writer marks what it
touched, whichever process, the outbox's retried writes, the CLI or a bulk COPY. The builder deletes the change
rows it consumed (``DELETE … RETURNING``) under a per-town lock, then reads the rows.

Note for later migrations: SQLite's batch mode rebuilds a table and drops its triggers; a migration that alters
``consultations`` or ``consultation_events`` in batch mode must create these triggers again
(``tests/integration/reports/test_rollups.py`` checks they fire at the head revision).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from madoguchi.storage.models import SerialId, UTCDateTime

revision: str = "0007_report_rollups"
down_revision: str | None = "0006_csat"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WATCHED = (
    "municipality_id, channel, route, state, booth_id, agent_id, requested_at, answered_at, ended_at, "
    "wrapped_up_at, closed_at, csat"
)
_MARK = (
    "INSERT INTO report_rollup_changes (municipality_id, requested_at) "
    "VALUES ({row}.municipality_id, {row}.requested_at)"
)
_HANDOFF = (
    "INSERT INTO report_rollup_changes (municipality_id, requested_at) "
    "SELECT municipality_id, requested_at FROM consultations WHERE id = NEW.consultation_id"
)

POSTGRESQL = [
    f"""CREATE FUNCTION report_rollup_mark() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    {_MARK.format(row="OLD")};
  END IF;
  IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND (OLD.municipality_id IS DISTINCT FROM NEW.municipality_id
      OR OLD.requested_at IS DISTINCT FROM NEW.requested_at)) THEN
    {_MARK.format(row="NEW")};
  END IF;
  RETURN NULL;
END $$""",
    f"""CREATE FUNCTION report_rollup_mark_handoff() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  {_HANDOFF};
  RETURN NULL;
END $$""",
    f"""CREATE TRIGGER report_rollup_consultations AFTER INSERT OR DELETE OR UPDATE OF {WATCHED}
    ON consultations FOR EACH ROW EXECUTE FUNCTION report_rollup_mark()""",
    """CREATE TRIGGER report_rollup_handoffs AFTER INSERT ON consultation_events
    FOR EACH ROW WHEN (NEW.kind = 'handoff') EXECUTE FUNCTION report_rollup_mark_handoff()""",
]
SQLITE = [
    f"""CREATE TRIGGER report_rollup_consultations_insert AFTER INSERT ON consultations
    BEGIN {_MARK.format(row="NEW")}; END""",
    f"""CREATE TRIGGER report_rollup_consultations_update AFTER UPDATE OF {WATCHED} ON consultations
    BEGIN
      {_MARK.format(row="OLD")};
      INSERT INTO report_rollup_changes (municipality_id, requested_at) SELECT NEW.municipality_id, NEW.requested_at
        WHERE OLD.municipality_id IS NOT NEW.municipality_id OR OLD.requested_at IS NOT NEW.requested_at;
    END""",
    f"""CREATE TRIGGER report_rollup_consultations_delete AFTER DELETE ON consultations
    BEGIN {_MARK.format(row="OLD")}; END""",
    f"""CREATE TRIGGER report_rollup_handoffs AFTER INSERT ON consultation_events WHEN NEW.kind = 'handoff'
    BEGIN {_HANDOFF}; END""",
]


def upgrade() -> None:
    op.create_table(
        "report_rollups",
        sa.Column("municipality_id", sa.String(64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("zone", sa.String(64), nullable=False),
        sa.Column("settings_key", sa.String(64), nullable=False),
        sa.Column("tallies", sa.Text(), nullable=False),
        sa.Column("waits", sa.LargeBinary(), nullable=False),
        sa.Column("built_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("municipality_id", "day", name=op.f("pk_report_rollups")),
    )
    op.create_table(
        "report_rollup_changes",
        sa.Column("id", SerialId, autoincrement=True, nullable=False),
        sa.Column("municipality_id", sa.String(64), nullable=False),
        sa.Column("requested_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_rollup_changes")),
    )
    op.create_index(
        op.f("ix_report_rollup_changes_municipality_id_requested_at"),
        "report_rollup_changes",
        ["municipality_id", "requested_at"],
    )
    for statement in POSTGRESQL if op.get_bind().dialect.name == "postgresql" else SQLITE:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS report_rollup_handoffs ON consultation_events")
        op.execute("DROP TRIGGER IF EXISTS report_rollup_consultations ON consultations")
        op.execute("DROP FUNCTION IF EXISTS report_rollup_mark_handoff()")
        op.execute("DROP FUNCTION IF EXISTS report_rollup_mark()")
    else:
        for name in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS report_rollup_consultations_{name}")
        op.execute("DROP TRIGGER IF EXISTS report_rollup_handoffs")
    op.drop_index(op.f("ix_report_rollup_changes_municipality_id_requested_at"), "report_rollup_changes")
    op.drop_table("report_rollup_changes")
    op.drop_table("report_rollups")
