"""Test helpers: a campaign with contacts written straight into the real database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from campaigns.db import open_database, session
from campaigns.models import Contact
from campaigns.repo import CampaignSpec, create_campaign

ENGINES: list[Engine] = []  # disposed after each test by tests/campaigns/conftest.py
T0 = datetime(2026, 3, 4, 3, 0, tzinfo=UTC)  # a Wednesday, 12:00 in Seoul


def make_campaign(url: str, n: int, **spec: object) -> tuple[Engine, int]:
    engine = open_database(url)
    ENGINES.append(engine)
    with session(engine) as s:
        args: dict[str, object] = {"name": "c1", "script_ref": "ko-dormant-deposit"} | spec
        campaign = create_campaign(s, CampaignSpec(**args))  # type: ignore[arg-type]
        cid = campaign.id
    assert cid is not None
    add_contacts(engine, cid, n)
    return engine, cid


def add_contacts(
    engine: Engine, campaign_id: int, n: int, tz: str = "Asia/Seoul", start: int = 0
) -> None:
    rows = [
        {
            "campaign_id": campaign_id,
            "phone": f"+8210{start + i:08d}",
            "name": f"customer {start + i}",
            "time_zone": tz,
            "attributes": {},
            "status": "new",
            "queued": True,
            "attempts": 0,
            "day_attempts": 0,
            "next_attempt_at": T0 - timedelta(hours=1),
            "created_at": T0 - timedelta(hours=1),
        }
        for i in range(n)
    ]
    with engine.begin() as conn:
        for i in range(0, len(rows), 5000):
            conn.execute(sa.insert(Contact.__table__), rows[i : i + 5000])  # type: ignore[attr-defined]
