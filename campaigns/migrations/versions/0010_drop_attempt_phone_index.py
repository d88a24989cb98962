"""drop ix_attempt_phone: ix_attempt_phone_dialled (phone, dialled_at) serves every phone lookup

The call search's exact-number match and the per-number caps both use the two-column index on
SQLite and on PostgreSQL (EXPLAIN, with and without the one-column index); the one-column index
only cost a second write on every attempt insert.

Revision ID: 0010
Revises: 0009
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_attempt_phone", table_name="attempt")


def downgrade() -> None:
    op.create_index("ix_attempt_phone", "attempt", ["phone"])
