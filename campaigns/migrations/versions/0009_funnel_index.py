"""funnel index: the manager's campaign page counts its funnel in one covering pass

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_attempt_funnel",
        "attempt",
        ["campaign_id", "contact_id", "outcome", "amd", "dialog_outcome", "id"],
    )


def downgrade() -> None:
    op.drop_index("ix_attempt_funnel", table_name="attempt")
