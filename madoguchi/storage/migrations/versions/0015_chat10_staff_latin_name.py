"""A staff member's name in Latin letters, shown to residents who do not read Japanese (a Vietnamese resident
read 「窓口 二葉」 in her chat's top bar).

Revision ID: 0015_chat10_staff_latin_name
Revises: 0014_trust10_chat_client_keys
Create Date: 2026-12-07

Empty for everyone until an admin gives one: residents then read "a staff member" in their language.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_chat10_staff_latin_name"
down_revision: str | None = "0014_trust10_chat_client_keys"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("staff", recreate="never") as batch:
        batch.add_column(sa.Column("latin_name", sa.String(200), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("staff", recreate="never") as batch:
        batch.drop_column("latin_name")
