"""The console's QA search: phones and dates read in the home's region (`default_region`), as
`calls list` does (a Chinese home's QA finds a call by the national number a Chinese reviewer
types); the intents it accepts are those of the script versions the campaign stored, not of the
file on disk."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from sqlalchemy.engine import Engine
from starlette.testclient import TestClient

from campaigns.accounts import add_user
from campaigns.calls import CallReport, TurnRecord, finish_attempt
from campaigns.db import open_database, session
from campaigns.dialing import AttemptResult, claim
from campaigns.importer import import_contacts
from campaigns.repo import CampaignSpec, create_campaign
from campaigns.script_store import store_script
from orchestrator.campaign_script import read_script
from orchestrator.web.app import create_app
from tests.orchestrator.helpers import cli
from tests.web.seed import PASSWORD, T0

BEIJING = "010-6552-9988"  # a Beijing landline: read as Korean it is a Seoul mobile number


def _login(client: TestClient, name: str) -> None:
    form = client.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token is not None
    client.post("/login", data={"name": name, "password": PASSWORD,
                                "csrf_token": token.group(1)})  # fmt: skip


def _chinese_call(engine: Engine, tmp_path: Path) -> str:
    add_user(engine, "wang", "qa", PASSWORD)
    csv_path = tmp_path / "list.csv"
    csv_path.write_text(f"name,phone\n王伟,{BEIJING}\n", encoding="utf-8")
    with session(engine) as s:
        c = create_campaign(s, CampaignSpec(name="bj", script_ref="cmn-dormant-deposit",
                                            region="CN"))  # fmt: skip
        import_contacts(s, c, csv_path, now=T0 - timedelta(hours=1))
        assert c.id is not None
        cid = c.id
    [cl] = claim(engine, cid, 1, "w1", timedelta(minutes=10), now=T0)
    turns = [TurnRecord("customer", "请不要再打了", 1.0, 2.0, 0.9, "opt_out")]
    finish_attempt(engine, cl.attempt_id, CallReport(AttemptResult("answered"), turns, None),
                   now=T0)  # fmt: skip
    return cl.attempt_id


def test_a_chinese_home_finds_a_call_by_its_national_number(db_url: str, tmp_path: Path) -> None:
    engine = open_database(db_url)
    try:
        call_id = _chinese_call(engine, tmp_path)
        with TestClient(create_app(engine, "s" * 32, region="CN")) as client:
            _login(client, "wang")
            page = client.get("/qa", params={"phone": BEIJING})
            assert page.status_code == 200, page.text[:300]
            assert call_id[:8] in page.text, "the national number finds the call"
            csv = client.get("/qa/export.csv", params={"phone": BEIJING}).text
            assert call_id in csv and "+861065529988" in csv
            # A date without a campaign is read in the home's zone (Shanghai), not Seoul's:
            # the call at 09:00 Shanghai on 2026-03-04 is found from 09:00 and not from 09:30.
            assert call_id in client.get("/qa/export.csv",
                                         params={"since": "2026-03-04T09:00"}).text
            assert call_id not in client.get("/qa/export.csv",
                                             params={"since": "2026-03-04T09:30"}).text
    finally:
        engine.dispose()


def test_intents_come_from_the_stored_script_versions(db_url: str, tmp_path: Path) -> None:
    engine = open_database(db_url)
    try:
        add_user(engine, "seo", "qa", PASSWORD)
        script = tmp_path / "mine.yaml"
        script.write_text(read_script("ko-dormant-deposit").text, encoding="utf-8")
        source = read_script(str(script))
        with session(engine) as s:
            c = create_campaign(s, CampaignSpec(name="mine", script_ref=source.path))
            c = store_script(s, c, source.path, source.text)
            # The next version renames the intent `scam`; calls made before ran `scam`.
            store_script(s, c, source.path, source.text.replace("  scam:\n", "  fraud:\n"))
        script.unlink()  # the file is gone: the campaign runs its stored copy
        with TestClient(create_app(engine, "s" * 32)) as client:
            _login(client, "seo")
            for intent in ("scam", "fraud"):
                page = client.get("/qa", params={"intent": intent})
                assert page.status_code == 200, page.text[-600:]
                assert "No call matches." in page.text
            refused = client.get("/qa", params={"intent": "scamm"})
            assert refused.status_code == 400 and "unknown intent" in refused.text
        out = cli(tmp_path / "home", "--db", db_url, "calls", "list", "--intent", "fraud",
                  "--json")  # fmt: skip
        assert out == []
    finally:
        engine.dispose()


def test_qa_sees_the_customer_id_and_the_lists_columns(tmp_path: Path) -> None:
    from tests.web.seed import seed

    data = seed(tmp_path, n_leads=1)
    try:
        with TestClient(create_app(data.engine, "s" * 32)) as client:
            _login(client, "seo")
            found = client.get("/qa").text
            assert '<td class="customer-id">C7000</td>' in found
            assert '<td class="phone" title="+821055551000">010-5555-1000</td>' in found
            assert ">2026-03-04 10:00 Asia/Seoul</a>" in found, "the campaign's time, zone named"
            call = client.get(f"/qa/calls/{data.call_ids[0]}").text
            assert '<dd id="customer-id">C7000</dd>' in call
            assert ">2026-03-04 10:00 Asia/Seoul</dd>" in call
            assert '<dt class="list-column">branch</dt><dd>강남지점</dd>' in call
            export = client.get("/qa/export.csv").text
            assert "C7000" in export and "branch=강남지점" in export
    finally:
        data.engine.dispose()
