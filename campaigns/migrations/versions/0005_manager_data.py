"""campaign recogniser model; contact customer id index (search by the CRM's id)

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("campaign", sa.Column("asr_model", sa.String(), nullable=True))
    op.create_index("ix_contact_customer", "contact", ["customer_id"])


def downgrade() -> None:
    op.drop_index("ix_contact_customer", table_name="contact")
    with op.batch_alter_table("campaign") as batch:
        batch.drop_column("asr_model")
