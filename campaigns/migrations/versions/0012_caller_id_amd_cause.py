"""caller_id_amd_cause: a campaign's caller ID (number and name); an attempt's AMD cause

Revision ID: 0012
Revises: 0011
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("campaign", sa.Column("caller_id", sqlmodel.sql.sqltypes.AutoString(),
                                        nullable=True))  # fmt: skip
    op.add_column("campaign", sa.Column("caller_name", sqlmodel.sql.sqltypes.AutoString(),
                                        nullable=True))  # fmt: skip
    op.add_column("attempt", sa.Column("amd_cause", sqlmodel.sql.sqltypes.AutoString(),
                                       nullable=True))  # fmt: skip


def downgrade() -> None:
    with op.batch_alter_table("attempt") as batch:
        batch.drop_column("amd_cause")
    with op.batch_alter_table("campaign") as batch:
        batch.drop_column("caller_name")
        batch.drop_column("caller_id")
