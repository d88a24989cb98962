"""campaign_tally, contact_flag: `campaign report`'s counts kept as the rows change

At ten million contacts the report counted every contact by status and every attempt per
contact on each call (7.8 s). On PostgreSQL, statement-level triggers with transition tables
now write the change of each count into campaign_tally in the same statement (so in the same
transaction) as the change itself, whatever code makes it; the report sums a few rows. The
triggers are made before the backfill: they lock the three tables against writes until this
migration commits, so no change falls between the backfill and the first trigger. SQLite gets
the tables only (its report counts the rows; 0.64 s at 1M contacts).

Revision ID: 0013
Revises: 0012
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# campaigns.policy.BUSINESS_OUTCOMES when this was written (tests/campaigns/test_tally.py checks
# the two agree): a contact with a dialog ending in one of these has a completed dialog.
BUSINESS = ("callback", "completed", "interested", "not_interested", "opt_out", "transfer",
            "wrong_person")  # fmt: skip

# One row per funnel condition an attempt meets (campaigns.charts.contact_conditions).
FLAGS = f"""
  CROSS JOIN LATERAL (VALUES
    ('dialled', r.outcome IS NOT NULL AND r.outcome <> 'invalid'),
    ('answered', r.outcome IN ('answered', 'machine')),
    ('human', r.outcome = 'answered' AND (r.amd IS NULL OR r.amd <> 'machine')),
    ('completed', COALESCE(r.dialog_outcome IN ({", ".join(f"'{b}'" for b in BUSINESS)}), false)),
    ('invalid', r.outcome = 'invalid')) AS f(flag, yes)
  WHERE f.yes"""


def _contact_sql(rows: str) -> str:
    """The status counts of contacts `rows` (signed rows: a `d` column of +1 / -1)."""
    return f"""
    INSERT INTO campaign_tally (campaign_id, kind, key, n)
      SELECT campaign_id, 'status', status, sum(d) FROM ({rows}) AS x
      GROUP BY campaign_id, status HAVING sum(d) <> 0;"""


def _attempt_sql(rows: str) -> str:
    """Counts by outcome and dialog outcome, then per-contact flag counts; a contact whose
    count of a flag crosses zero moves the campaign's contact count of that flag."""
    return f"""
    INSERT INTO campaign_tally (campaign_id, kind, key, n)
      SELECT campaign_id, kind, key, sum(d) FROM (
        SELECT campaign_id, 'outcome' AS kind, COALESCE(outcome, '') AS key, d FROM ({rows}) a
        UNION ALL
        SELECT campaign_id, 'dialog', dialog_outcome, d FROM ({rows}) b
        WHERE dialog_outcome IS NOT NULL) AS x
      GROUP BY campaign_id, kind, key HAVING sum(d) <> 0;
    WITH delta AS (
      SELECT r.campaign_id, r.contact_id, f.flag, sum(r.d) AS d FROM ({rows}) AS r {FLAGS}
      GROUP BY r.campaign_id, r.contact_id, f.flag HAVING sum(r.d) <> 0
    ), moved AS (
      INSERT INTO contact_flag AS cf (contact_id, flag, campaign_id, n)
        SELECT contact_id, flag, campaign_id, d FROM delta
      ON CONFLICT (contact_id, flag) DO UPDATE SET n = cf.n + EXCLUDED.n
      RETURNING cf.contact_id, cf.flag, cf.campaign_id, cf.n
    )
    INSERT INTO campaign_tally (campaign_id, kind, key, n)
      SELECT m.campaign_id, 'contact', m.flag,
             sum(CASE WHEN m.n > 0 AND m.n - delta.d <= 0 THEN 1
                      WHEN m.n <= 0 AND m.n - delta.d > 0 THEN -1 ELSE 0 END)
      FROM moved AS m JOIN delta USING (contact_id, flag)
      GROUP BY m.campaign_id, m.flag
      HAVING sum(CASE WHEN m.n > 0 AND m.n - delta.d <= 0 THEN 1
                      WHEN m.n <= 0 AND m.n - delta.d > 0 THEN -1 ELSE 0 END) <> 0;"""


def _turn_sql(rows: str) -> str:
    """Intents heard, per campaign (the turn's attempt gives the campaign)."""
    return f"""
    INSERT INTO campaign_tally (campaign_id, kind, key, n)
      SELECT a.campaign_id, 'intent', t.intent, sum(t.d) FROM ({rows}) AS t
      JOIN attempt AS a ON a.id = t.attempt_id WHERE t.intent IS NOT NULL
      GROUP BY a.campaign_id, t.intent HAVING sum(t.d) <> 0;"""


SIGNED = {
    "INSERT": "SELECT *, 1 AS d FROM new_rows",
    "DELETE": "SELECT *, -1 AS d FROM old_rows",
    "UPDATE": "SELECT *, 1 AS d FROM new_rows UNION ALL SELECT *, -1 AS d FROM old_rows",
}
BODIES = {"contact": _contact_sql, "attempt": _attempt_sql, "turn": _turn_sql}


def _pg_upgrade() -> None:
    for table, body in BODIES.items():
        for event, rows in SIGNED.items():
            fn = f"tally_{table}_{event.lower()}"
            op.execute(
                f"CREATE FUNCTION {fn}() RETURNS trigger LANGUAGE plpgsql"
                f" SET search_path FROM CURRENT AS $$ BEGIN {body(rows)}\n RETURN NULL; END $$"
            )
            refs = {"INSERT": "NEW TABLE AS new_rows", "DELETE": "OLD TABLE AS old_rows",
                    "UPDATE": "OLD TABLE AS old_rows NEW TABLE AS new_rows"}[event]  # fmt: skip
            op.execute(
                f"CREATE TRIGGER {fn} AFTER {event} ON {table} REFERENCING {refs}"
                f" FOR EACH STATEMENT EXECUTE FUNCTION {fn}()"
            )
    # The backfill, under the triggers' locks: the same counts from the rows as they are.
    for table, body in BODIES.items():
        op.execute(body(f"SELECT *, 1 AS d FROM {table}"))


def upgrade() -> None:
    op.create_table(
        "campaign_tally",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_campaign_tally", "campaign_tally", ["campaign_id", "kind", "key"])
    op.create_table(
        "contact_flag",
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("flag", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("contact_id", "flag"),
    )
    if op.get_bind().dialect.name == "postgresql":
        _pg_upgrade()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in BODIES:
            for event in SIGNED:
                fn = f"tally_{table}_{event.lower()}"
                op.execute(f"DROP TRIGGER {fn} ON {table}")
                op.execute(f"DROP FUNCTION {fn}()")
    op.drop_table("contact_flag")
    op.drop_index("ix_campaign_tally", table_name="campaign_tally")
    op.drop_table("campaign_tally")
