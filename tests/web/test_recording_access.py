"""Who may hear a lead's recording: the agent who took it, also after their lease lapsed (the
lead is theirs until another agent takes it), then the agent who took it over, never the one who
gave it back. QA and managers hear every call."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from starlette.testclient import TestClient

from campaigns.leads import list_leads, next_lead
from campaigns.repo import utcnow
from orchestrator.web.app import create_app
from tests.web.seed import PASSWORD, seed


def _login(client: TestClient, name: str) -> str:
    """Log in as `name`; the session's CSRF token."""
    form = client.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token is not None
    client.post("/login", data={"name": name, "password": PASSWORD,
                                "csrf_token": token.group(1)})  # fmt: skip
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/desk").text)
    assert found is not None
    return found.group(1)


def test_a_lapsed_lead_is_heard_by_its_agent_until_another_takes_it(tmp_path: Path) -> None:
    data = seed(tmp_path, n_leads=2)
    engine = data.engine
    try:
        app = create_app(engine, "s" * 32, lead_lease=timedelta(minutes=30))
        with TestClient(app) as mina, TestClient(app) as joon:
            token = _login(mina, "mina")
            _login(joon, "joon")
            mina.post("/desk/next", data={"csrf_token": token})
            call = f"/recordings/{data.call_ids[0]}"  # the best lead's call: mina's now
            assert mina.get(call).status_code == 200
            assert joon.get(call).status_code == 403
            # mina's lease lapses (the lead goes back to the queue) while her player is open.
            later = utcnow() + timedelta(hours=1)
            list_leads(engine, now=later)
            again = mina.get(call, headers={"Range": "bytes=4000-"})  # a seek in her player
            assert again.status_code == 206, "a lapsed lead is still hers until someone takes it"
            taken = next_lead(engine, "joon", now=later)
            assert taken is not None and taken["id"] == data.lead_ids[0]
            assert mina.get(call).status_code == 403, "joon took it over: no longer hers"
            assert joon.get(call).status_code == 200
            # A lead given back on purpose is nobody's: its recording is not heard from the desk.
            token = _login(joon, "joon")
            joon.post(f"/desk/leads/{data.lead_ids[0]}/release", data={"csrf_token": token})
            assert joon.get(call).status_code == 403
    finally:
        engine.dispose()


def test_the_open_card_keeps_its_lead_and_a_callback_time_keeps_its_offset(
    tmp_path: Path,
) -> None:
    """The desk renews the lease of the lead on its card (docs/leads.md: while the card is
    open), and a call-back time is read by `leads done --at`'s parser: an offset is kept."""
    from campaigns.leads import held_lead

    data = seed(tmp_path, n_leads=2)
    try:
        app = create_app(data.engine, "s" * 32, lead_lease=timedelta(seconds=3))
        with TestClient(app) as mina:
            token = _login(mina, "mina")
            mina.post("/desk/next", data={"csrf_token": token})
            desk = mina.get("/desk").text
            lead = data.lead_ids[0]
            assert f'hx-post="/desk/leads/{lead}/renew" hx-trigger="every 1s"' in desk
            before = (held_lead(data.engine, "mina") or {})["lease_until"]
            time.sleep(1.1)
            renewed = mina.post(f"/desk/leads/{lead}/renew", headers={"X-CSRF-Token": token})
            assert renewed.status_code == 204
            after = (held_lead(data.engine, "mina") or {})["lease_until"]
            assert after > before, "the lease restarts from the renewal"
            assert mina.post(f"/desk/leads/{lead}/renew").status_code == 403, "CSRF checked"
            # 10:00 in Shanghai is 11:00 for this Seoul customer (a Monday, inside the hours).
            done = mina.post(f"/desk/leads/{lead}/result", data={
                "csrf_token": token, "result": "callback",
                "callback_at": "2030-12-09T10:00+08:00"})  # fmt: skip
            assert done.status_code == 200 and "saved" in done.text, done.text[-500:]
            with data.engine.connect() as conn:
                at = conn.execute(sa.text("SELECT callback_at FROM lead WHERE id = :i"),
                                  {"i": lead}).scalar()  # fmt: skip
            assert str(at).startswith("2030-12-09 02:00"), at
    finally:
        data.engine.dispose()
