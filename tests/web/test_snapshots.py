"""Costly manager figures: shown at once, refreshed after a stale view, one refresh at once;
the server's refresher keeps active campaigns' figures counted so no page request waits."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from pathlib import Path

import anyio
from sqlalchemy.engine import Engine
from starlette.testclient import TestClient

from campaigns.accounts import add_user
from campaigns.calls import CallReport, finish_attempt
from campaigns.db import open_database, session
from campaigns.dialing import AttemptResult, claim
from campaigns.importer import import_contacts
from campaigns.repo import CampaignSpec, create_campaign
from orchestrator.web.app import create_app
from orchestrator.web.snapshots import Snapshots
from tests.web.seed import PASSWORD, T0


def test_a_stale_figure_is_served_then_refreshed_after_the_response() -> None:
    counted: list[int] = []

    def count() -> int:
        counted.append(1)
        return len(counted)

    async def scenario() -> None:
        snaps = Snapshots(fresh_s=3600)
        assert (await snaps.get("k", count))[:2] == (1, 0.0)  # the first view waits for it
        value, _, task = await snaps.get("k", count)
        assert value == 1 and task is None and len(counted) == 1  # fresh: not counted again
        snaps.fresh_s = 0
        value, _, task = await snaps.get("k", count)
        assert value == 1 and task is not None  # stale: shown as it was, refresh scheduled
        again = await snaps.get("k", count)
        assert again[2] is None  # a refresh already pending: not a second one
        await task()
        assert len(counted) == 2 and (await snaps.get("k", count))[0] == 2

    anyio.run(scenario)


def _store_call(engine: Engine, campaign_id: int, outcome: str) -> None:
    [cl] = claim(engine, campaign_id, 1, "w1", timedelta(minutes=10), now=T0)
    finish_attempt(engine, cl.attempt_id, CallReport(AttemptResult(outcome), [], None), now=T0)


def _login(client: TestClient) -> None:
    form = client.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token is not None
    client.post("/login", data={"name": "park", "password": PASSWORD,
                                "csrf_token": token.group(1)})  # fmt: skip


def _dialled(page: str) -> int:
    found = re.search(r"<dt>Dialled</dt><dd>(\d+)</dd>", page)
    assert found is not None, page[:500]
    return int(found.group(1))


def test_the_server_keeps_active_campaigns_figures_fresh(db_url: str, tmp_path: Path) -> None:
    engine = open_database(db_url)
    try:
        _keeps_fresh(engine, tmp_path)
    finally:
        engine.dispose()


def _keeps_fresh(engine: Engine, tmp_path: Path) -> None:
    add_user(engine, "park", "manager", PASSWORD)
    csv_path = tmp_path / "list.csv"
    csv_path.write_text("name,phone\n" + "".join(f"c{i},010-5555-{1000 + i}\n" for i in range(4)))
    with session(engine) as s:
        c = create_campaign(s, CampaignSpec(name="warm", script_ref="ko-dormant-deposit"))
        import_contacts(s, c, csv_path, now=T0 - timedelta(hours=1))
        assert c.id is not None
        cid = c.id
    _store_call(engine, cid, "answered")
    app = create_app(engine, "s" * 32)
    snaps: Snapshots = app.state.snapshots
    snaps.fresh_s = 0.5
    with TestClient(app) as client:  # runs the lifespan: the refresher counts at start-up
        assert ("funnel", cid) in snaps.keys_kept()  # counted before any page was asked for
        _login(client)
        page = client.get(f"/manager/campaigns/{cid}").text
        assert _dialled(page) == 1
        _store_call(engine, cid, "no_answer")  # a call stored while the page is open
        deadline = time.monotonic() + 30  # generous on a loaded machine; the period is 0.5 s
        while _dialled(client.get(f"/manager/campaigns/{cid}").text) != 2:
            assert time.monotonic() < deadline, "the figures were not refreshed"
            time.sleep(0.1)
