"""The Alembic migrations build exactly the tables the models declare (both backends), so a
column or index added to a model without its migration is caught here, not in production."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

from campaigns.db import open_database


def test_migrations_match_the_models(db_url: str) -> None:
    engine = open_database(db_url)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    finally:
        engine.dispose()
    assert diff == []


def test_calls_stored_before_the_search_table_are_searchable_after_the_upgrade(
    db_url: str,
) -> None:
    from alembic import command
    from alembic.config import Config

    from campaigns.db import MIGRATIONS, create_db_engine
    from campaigns.search import CallFilter, search_calls
    from tests.campaigns.helpers import T0

    engine = create_db_engine(db_url)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "0005")  # the last one before call_search
            conn.execute(
                sa.text(
                    "INSERT INTO campaign (id, name, script_ref, region, time_zone, windows, "
                    "excluded_dates, max_channels, cps, max_attempts, max_per_day, retry_delays, "
                    "status, created_at) VALUES (1, 'old', 'x', 'KR', 'Asia/Seoul', '{}', '[]', 1, "
                    "1, 3, 3, '{}', 'active', :t)"
                ),
                {"t": T0},
            )
            conn.execute(
                sa.text(
                    "INSERT INTO contact (id, campaign_id, phone, time_zone, attributes, status, "
                    "queued, attempts, day_attempts, next_attempt_at, created_at) VALUES (1, 1, "
                    "'+821000000000', 'Asia/Seoul', '{}', 'done', false, 1, 1, :t, :t)"
                ),
                {"t": T0},
            )
            conn.execute(
                sa.text(
                    "INSERT INTO attempt (id, campaign_id, contact_id, phone, worker_id, "
                    "started_at, lease_until, outcome, score_breakdown) VALUES ('a1', 1, 1, "
                    "'+821000000000', 'w', :t, :t, 'answered', '[]')"
                ),
                {"t": T0},
            )
            for seq, (who, text, conf, intent) in enumerate(
                [
                    ("robot", "Hello", None, None),
                    ("customer", "STOP calling", 0.4, "opt_out"),
                    ("customer", "now", 0.8, None),
                ]
            ):
                conn.execute(
                    sa.text(
                        "INSERT INTO turn (attempt_id, seq, speaker, text, start_s, end_s, "
                        "confidence, intent) VALUES ('a1', :s, :w, :x, 0, 1, :c, :i)"
                    ),
                    {"s": seq, "w": who, "x": text, "c": conf, "i": intent},
                )
            command.upgrade(cfg, "head")
        rows, total = search_calls(
            engine, CallFilter(text="stop CALLING", intent="opt_out", below_confidence=0.5)
        )
        assert total == 1 and rows[0]["lowest_confidence"] == 0.4
    finally:
        engine.dispose()
