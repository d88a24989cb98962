"""Two workers expiring the same run-out lease at once (issue 12). On PostgreSQL two dialer
workers claim from one campaign concurrently; the one that loses the race for a stale attempt
must simply leave it to the winner, not stop with AlreadyRecorded."""

from __future__ import annotations

import threading
from datetime import timedelta

import sqlalchemy as sa

from campaigns.db import write_connection
from campaigns.dialing import Claim, _expire, campaign_row, claim
from campaigns.models import Attempt, Contact
from campaigns.repo import policy_of
from tests.campaigns.helpers import T0, make_campaign

LEASE = timedelta(minutes=10)
A = Attempt.__table__  # type: ignore[attr-defined]


def test_the_worker_losing_an_expiry_race_keeps_claiming(db_url: str) -> None:
    engine, cid = make_campaign(db_url, 3)
    (stale,) = claim(engine, cid, 1, "dead-worker", LEASE, now=T0)
    later = T0 + LEASE + timedelta(minutes=1)
    got: list[Claim] = []
    errors: list[BaseException] = []

    def second_worker() -> None:
        try:
            got.extend(claim(engine, cid, 2, "w2", LEASE, now=later))
        except BaseException as exc:  # what would stop that worker's dialer
            errors.append(exc)

    other = threading.Thread(target=second_worker)
    # The first worker is inside its claim: it has expired the stale lease and not yet committed
    # when the second worker's claim arrives at the same attempt.
    with write_connection(engine) as conn, conn.begin():
        policy = policy_of(campaign_row(conn, cid))
        assert _expire(conn, policy, A.c.campaign_id == cid, later) == 1
        other.start()
        other.join(1.5)
    other.join(60)
    assert not other.is_alive()
    assert errors == [], f"the second worker stopped: {errors[0]!r}" if errors else ""
    assert len(got) == 2 and stale.contact_id not in {c.contact_id for c in got}
    with engine.connect() as c:
        outcome = c.execute(sa.select(A.c.outcome).where(A.c.id == stale.attempt_id)).scalar()
        attempts = c.execute(
            sa.select(Contact.attempts).where(Contact.id == stale.contact_id)  # type: ignore[arg-type]
        ).scalar()
    assert (outcome, attempts) == ("expired", 1), "the stale attempt is closed and counted once"
