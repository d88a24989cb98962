"""call_search: one row per call (transcript text, lowest confidence, intents) for QA's search

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    table = op.create_table(
        "call_search",
        sa.Column("attempt_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("lowest_confidence", sa.Float(), nullable=True),
        sa.Column("intents", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(["attempt_id"], ["attempt.id"]),
        sa.PrimaryKeyConstraint("attempt_id"),
    )
    _backfill(op.get_bind(), table)


def _backfill(conn: sa.Connection, table: sa.Table) -> None:
    """The calls stored before this migration get their rows (same rules as call_text.py)."""
    turn = sa.table(
        "turn",
        *(sa.column(c) for c in ("attempt_id", "seq", "speaker", "text", "confidence", "intent")),
    )
    q = sa.select(turn).order_by(turn.c.attempt_id, turn.c.seq)
    rows: list[dict[str, Any]] = []
    current: str | None = None
    lines: list[Any] = []

    def flush() -> None:
        if current is None:
            return
        heard = [
            t.confidence for t in lines if t.speaker == "customer" and t.confidence is not None
        ]
        intents = list(dict.fromkeys(t.intent for t in lines if t.intent))
        rows.append(
            {
                "attempt_id": current,
                "text": "\n".join(t.text for t in lines).lower(),
                "lowest_confidence": min(heard) if heard else None,
                "intents": "," + ",".join(intents) + "," if intents else "",
            }
        )

    for t in conn.execute(q):
        if t.attempt_id != current:
            flush()
            current, lines = t.attempt_id, []
            if len(rows) >= 5000:
                conn.execute(sa.insert(table), rows)
                rows.clear()
        lines.append(t)
    flush()
    if rows:
        conn.execute(sa.insert(table), rows)


def downgrade() -> None:
    op.drop_table("call_search")
