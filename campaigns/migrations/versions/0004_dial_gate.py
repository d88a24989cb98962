"""dial gate: when an attempt was dialled, per-number caps, why a contact is held

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("attempt", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("dialled_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
        batch_op.create_index("ix_attempt_phone_dialled", ["phone", "dialled_at"], unique=False)
    with op.batch_alter_table("campaign", schema=None) as batch_op:
        for col in ("number_max_per_minute", "number_max_per_hour", "number_max_per_day"):
            batch_op.add_column(sa.Column(col, sa.Integer(), nullable=True))
    with op.batch_alter_table("contact", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("hold_reason", sqlmodel.sql.sqltypes.AutoString(), nullable=True)
        )
    # Attempts made before this revision were all dialled (the hopper never outlived a run
    # that finished them): count them towards the per-number caps.
    op.execute(
        "UPDATE attempt SET dialled_at = started_at"
        " WHERE outcome IS NOT NULL AND outcome <> 'invalid'"
    )


def downgrade() -> None:
    with op.batch_alter_table("contact", schema=None) as batch_op:
        batch_op.drop_column("hold_reason")
    with op.batch_alter_table("campaign", schema=None) as batch_op:
        for col in ("number_max_per_day", "number_max_per_hour", "number_max_per_minute"):
            batch_op.drop_column(col)
    with op.batch_alter_table("attempt", schema=None) as batch_op:
        batch_op.drop_index("ix_attempt_phone_dialled")
        batch_op.drop_column("dialled_at")
