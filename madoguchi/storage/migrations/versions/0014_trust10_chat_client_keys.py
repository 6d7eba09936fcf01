"""Chat lines' ``client_id`` cleared: from now on it holds a keyed hash (HMAC under the deployment's key).

Revision ID: 0014_trust10_chat_client_keys
Revises: 0013_office9_booth_last_seen
Create Date: 2026-12-07

Rows stored before held the id as the page sent it (before session 11) or its bare SHA-256 with the case's id
(session 11): either can be linked, and a 個人番号 in an id found again by trying every number. They only served
to recognise a retried line for a few minutes, so they are emptied instead of rewritten (the raw ids are not
known for the bare hashes); a retry across the upgrade is stored as a new line at worst. ``NULL`` keeps the
unique ``(consultation_id, client_id)`` constraint satisfied (NULLs are distinct). No downgrade: nothing to put
back.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0014_trust10_chat_client_keys"
down_revision: str | None = "0013_office9_booth_last_seen"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("UPDATE chat_messages SET client_id = NULL WHERE client_id IS NOT NULL")


def downgrade() -> None:
    pass  # the emptied ids are not restored; keyed ones written since stay (they match nothing older)
