"""lead leases, callbacks kept with their agent, QA marks, playback audit, call-search indexes

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CLAIMED = sa.text("status = 'claimed'")


def upgrade() -> None:
    with op.batch_alter_table("lead", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("lease_until", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
        batch_op.add_column(
            sa.Column("callback_agent_id", sqlmodel.sql.sqltypes.AutoString(), nullable=True)
        )
        batch_op.create_index(
            "ux_lead_one_claim_per_agent",
            ["agent_id"],
            unique=True,
            sqlite_where=CLAIMED,
            postgresql_where=CLAIMED,
        )
        batch_op.create_index("ix_lead_callback_agent", ["callback_agent_id", "status"])
    with op.batch_alter_table("attempt", schema=None) as batch_op:
        batch_op.create_index("ix_attempt_started", ["started_at"])
        batch_op.create_index("ix_attempt_phone", ["phone"])
    op.create_table(
        "qa_mark",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("attempt_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("reviewer", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("verdict", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("tags", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("comment", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["attempt_id"], ["attempt.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_qa_mark_attempt", "qa_mark", ["attempt_id", "id"])
    op.create_table(
        "playback_audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("attempt_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["attempt_id"], ["attempt.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_playback_at", "playback_audit", ["at"])
    op.create_index("ix_playback_call", "playback_audit", ["attempt_id"])


def downgrade() -> None:
    op.drop_table("playback_audit")
    op.drop_table("qa_mark")
    with op.batch_alter_table("attempt", schema=None) as batch_op:
        batch_op.drop_index("ix_attempt_phone")
        batch_op.drop_index("ix_attempt_started")
    with op.batch_alter_table("lead", schema=None) as batch_op:
        batch_op.drop_index("ix_lead_callback_agent")
        batch_op.drop_index("ux_lead_one_claim_per_agent")
        batch_op.drop_column("callback_agent_id")
        batch_op.drop_column("lease_until")
