"""script_snapshot: the campaign keeps its script (absolute path, text, version); calls record
the version they ran; older versions are kept in script_version

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _source(ref: str) -> Path | None:
    """The campaign's script file, where it can still be found (relative paths: from the
    directory the upgrade runs in; bundled names: the installed package's file)."""
    from dialogs.script import resolve_ref

    try:
        path = resolve_ref(ref).resolve()
    except Exception:  # noqa: BLE001 - an unknown name: nothing to backfill
        return None
    return path if path.is_file() else None


def upgrade() -> None:
    op.add_column("campaign", sa.Column("script_path", sqlmodel.sql.sqltypes.AutoString(),
                                        nullable=True))  # fmt: skip
    op.add_column("campaign", sa.Column("script_text", sa.Text(), nullable=True))
    op.add_column("campaign", sa.Column("script_version", sqlmodel.sql.sqltypes.AutoString(),
                                        nullable=True))  # fmt: skip
    op.add_column("attempt", sa.Column("script_version", sqlmodel.sql.sqltypes.AutoString(),
                                       nullable=True))  # fmt: skip
    versions = op.create_table(
        "script_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("version", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("source_path", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("stored_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_script_version_campaign", "script_version", ["campaign_id", "stored_at"])
    import hashlib

    campaign = sa.table("campaign", sa.column("id"), sa.column("script_ref"),
                        sa.column("script_path"), sa.column("script_text"),
                        sa.column("script_version"))  # fmt: skip
    conn = op.get_bind()
    now = datetime.now(UTC)
    for cid, ref in conn.execute(sa.select(campaign.c.id, campaign.c.script_ref)).all():
        path = _source(ref)
        if path is None:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            conn.execute(sa.update(campaign).where(campaign.c.id == cid)
                         .values(script_path=str(path)))  # fmt: skip
            continue
        version = hashlib.sha256(text.encode("utf-8")).hexdigest()
        conn.execute(sa.update(campaign).where(campaign.c.id == cid).values(
            script_path=str(path), script_text=text, script_version=version))  # fmt: skip
        conn.execute(sa.insert(versions).values(campaign_id=cid, version=version, text=text,
                                                source_path=str(path), stored_at=now))  # fmt: skip


def downgrade() -> None:
    op.drop_index("ix_script_version_campaign", table_name="script_version")
    op.drop_table("script_version")
    op.drop_column("attempt", "script_version")
    op.drop_column("campaign", "script_version")
    op.drop_column("campaign", "script_text")
    op.drop_column("campaign", "script_path")
