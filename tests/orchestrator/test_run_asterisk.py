"""The whole job through the sandbox Asterisk: every call crosses AMI, a real SIP trunk, RTP and
AudioSocket. Each persona's call must end as on `sim` (tests/orchestrator/helpers.py EXPECTED);
busy and no-answer come back later; the interested ones are transferred live to the sales queue.
Never skipped: without the sandbox this fails and says how to start it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from campaigns.db import open_database, session
from campaigns.models import Attempt, Contact
from campaigns.repo import get_campaign_by_name
from telephony.sandbox import numbers
from tests.orchestrator.helpers import EXPECTED, check_outcomes, cli
from tests.sandbox import running_sandbox

# Dial-level personas are numbers with fixed behaviour in the sandbox's dialplan.
SPECIAL = {
    "line_busy": numbers.BUSY,
    "no_answer": numbers.NO_ANSWER,
    "unreachable": numbers.UNALLOCATED,
    "answering_machine": numbers.MACHINE,
}


@pytest.fixture
def asterisk_env() -> dict[str, str]:
    sandbox = running_sandbox()
    return {"OUTREACH_AMI_SECRET": sandbox.secret(), "OUTREACH_RING_TIMEOUT_S": "8"}


def test_every_persona_through_the_sandbox_asterisk(
    tmp_path: Path, asterisk_env: dict[str, str]
) -> None:
    home = tmp_path / "home"
    cli(home, "campaign", "create", "pbx", "--script", "ko-dormant-deposit", "--window",
        "00:00-24:00", "--allow-night", "--days", "mon-sun", "--max-channels", "11", "--cps", "5",
        "--queue", "sales")  # fmt: skip
    phones = {p: SPECIAL.get(p, f"+82105555{1000 + i}") for i, p in enumerate(EXPECTED)}
    engine = open_database(f"sqlite:///{home / 'outreach.db'}")
    with session(engine) as s:
        cid = get_campaign_by_name(s, "pbx").id
    now = datetime.now(UTC)
    with engine.begin() as conn:  # the sandbox's test numbers are not valid public numbers
        conn.execute(sa.insert(Contact), [
            {"campaign_id": cid, "phone": phones[p], "name": f"고객{i}", "time_zone": "Asia/Seoul",
             "attributes": {"persona": p}, "status": "new", "queued": True, "attempts": 0,
             "day_attempts": 0, "next_attempt_at": now, "created_at": now}
            for i, p in enumerate(EXPECTED)])  # fmt: skip
    summary = cli(home, "run", "pbx", "--telephony", "asterisk", "--until-done", "--json",
                  env=asterisk_env)  # fmt: skip
    assert summary["dialled"] == summary["finished"] == len(EXPECTED), summary
    report = check_outcomes(home, "pbx", phones)
    assert report["dialled"] == len(EXPECTED) and report["in_flight"] == 0
    assert report["contacts_by_status"] == {"done": 4, "dnc": 1, "retry": 6}
    leads = cli(home, "leads", "list", "--json")
    assert {lead["status"] for lead in leads} == {"transferred"}  # live, to the sales queue
    blocked = cli(home, "dnc", "check", phones["opt_out"], "--json")
    assert blocked["blocked"] is True
    with engine.connect() as conn:
        causes = dict(conn.execute(sa.select(Attempt.phone, Attempt.cause)).all())  # type: ignore[call-overload]
    engine.dispose()
    assert "486" in (causes[numbers.BUSY] or "") and "404" in (causes[numbers.UNALLOCATED] or "")
