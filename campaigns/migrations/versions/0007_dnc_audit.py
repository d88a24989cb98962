"""dnc_audit: who added or removed a do-not-call number, when and why

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    table = op.create_table(
        "dnc_audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("phone", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("by", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_dnc_audit_phone", "dnc_audit", ["phone", "at"])
    # The entries listed before the audit trail existed: their add, as far as it is known.
    entry = sa.table("dnc_entry", *(sa.column(c) for c in ("phone", "reason", "source",
                                                           "added_at")))
    op.get_bind().execute(
        sa.insert(table).from_select(
            ["phone", "action", "reason", "source", "at"],
            sa.select(entry.c.phone, sa.literal("add"), entry.c.reason, entry.c.source,
                      entry.c.added_at),
        )
    )


def downgrade() -> None:
    op.drop_index("ix_dnc_audit_phone", table_name="dnc_audit")
    op.drop_table("dnc_audit")
