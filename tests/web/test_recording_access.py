"""Who may hear a lead's recording: the agent who took it, also after their lease lapsed (the
lead is theirs until another agent takes it), then the agent who took it over, never the one who
gave it back. QA and managers hear every call."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

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
