"""The manager's campaign list: archived campaigns are left out (shown, without actions, under a
toggle); its figures come from the server's background refresher, never counted on a request."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy.engine import Engine
from starlette.testclient import TestClient

from campaigns.calls import CallReport, finish_attempt
from campaigns.campaign_edit import set_archived
from campaigns.db import session
from campaigns.dialing import AttemptResult, claim
from campaigns.repo import CampaignSpec, create_campaign, get_campaign_by_name
from orchestrator.web.app import create_app
from tests.web.seed import PASSWORD, T0, seed


def _login(client: TestClient) -> None:
    form = client.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token is not None
    client.post("/login", data={"name": "park", "password": PASSWORD,
                                "csrf_token": token.group(1)})  # fmt: skip


def _progress(page: str, name: str) -> str:
    row = re.search(rf'<tr data-campaign="{name}">(.*?)</tr>', page, re.S)
    assert row is not None, page[-800:]
    found = re.search(r'class="progress-text">.*?</span></span> ([\d,]+ of [\d,]+)</td>',
                      row.group(1), re.S)  # fmt: skip
    assert found is not None, row.group(1)
    return found.group(1)


def test_archived_campaigns_are_left_out_or_shown_without_actions(tmp_path: Path) -> None:
    data = seed(tmp_path, n_leads=1)
    try:
        with session(data.engine) as s:
            spec = CampaignSpec(name="last-year", script_ref="ko-dormant-deposit")
            old = create_campaign(s, spec)
            set_archived(s, "last-year", True)
            old_id = old.id
        with TestClient(create_app(data.engine, "s" * 32)) as client:
            _login(client)
            page = client.get("/manager").text
            assert 'data-campaign="dormant-march"' in page
            assert 'data-campaign="last-year"' not in page
            assert "Show 1 archived campaign" in page
            everything = client.get("/manager", params={"archived": "1"}).text
            row = re.search(r'<tr data-campaign="last-year">(.*?)</tr>', everything, re.S)
            assert row is not None and "archived" in row.group(1)
            assert f"/manager/campaigns/{old_id}/" not in everything, "no Pause for an archived"
            assert 'hx-get="/manager?archived=1"' in everything, "the refresh keeps the toggle"
    finally:
        data.engine.dispose()


def _finish_one(engine: Engine) -> None:
    with session(engine) as s:
        cid = get_campaign_by_name(s, "dormant-march").id or 0
    [cl] = claim(engine, cid, 1, "w2", timedelta(minutes=10), now=T0)
    result = AttemptResult("answered", dialog_outcome="not_interested")
    finish_attempt(engine, cl.attempt_id, CallReport(result, [], None), now=T0)


def test_the_list_shows_the_refreshers_figures(tmp_path: Path) -> None:
    data = seed(tmp_path, n_leads=1, uncalled=2)  # 3 called and finished, 2 waiting
    try:
        app = create_app(data.engine, "s" * 32)
        app.state.rows.fresh_s = 3600  # the refresher counts once, at start-up
        with TestClient(app) as client:
            _login(client)
            assert _progress(client.get("/manager").text, "dormant-march") == "3 of 5"
            _finish_one(data.engine)
            for _ in range(2):  # no request counts: the figures are the refresher's
                page = client.get("/manager").text
                assert _progress(page, "dormant-march") == "3 of 5"
                assert re.search(r"figures counted \d+ s ago", page)
        app = create_app(data.engine, "s" * 32)
        app.state.rows.fresh_s = 0.3
        with TestClient(app) as client:
            _login(client)
            _finish_one(data.engine)
            deadline = time.monotonic() + 30  # generous on a loaded machine; the period is 0.3 s
            while _progress(client.get("/manager").text, "dormant-march") != "5 of 5":
                assert time.monotonic() < deadline, "the refresher did not count the new call"
                time.sleep(0.1)
    finally:
        data.engine.dispose()
