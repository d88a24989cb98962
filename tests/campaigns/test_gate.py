"""The dial gate, asked just before every Originate, on SQLite and PostgreSQL: a claim that waited
in the hopper is dialled only if it still may be (do-not-call, campaign status, window, caps,
calls to the same number from other campaigns), and a refused one goes back uncounted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from campaigns.db import session
from campaigns.dialing import AttemptResult, Claim, claim, record_outcome
from campaigns.dnc import add_dnc
from campaigns.gate import admit
from campaigns.models import Attempt, Campaign, Contact
from campaigns.policy import NumberCaps
from campaigns.repo import set_status
from tests.campaigns.helpers import T0, add_contacts, make_campaign

LEASE = timedelta(minutes=10)


def _contact(engine: sa.Engine, contact_id: int) -> sa.Row[tuple[object, ...]]:
    with engine.connect() as conn:
        t = Contact.__table__  # type: ignore[attr-defined]
        row = conn.execute(sa.select(t).where(t.c.id == contact_id)).first()
    assert row is not None
    return row


def _attempts(engine: sa.Engine) -> list[sa.Row[tuple[object, ...]]]:
    with engine.connect() as conn:
        return list(conn.execute(sa.select(Attempt.__table__)).all())  # type: ignore[attr-defined]


def test_a_number_listed_while_its_claim_waits_is_not_dialled(db_url: str) -> None:
    engine, cid = make_campaign(db_url, 2)
    first, second = claim(engine, cid, 2, "w1", LEASE, now=T0)
    with session(engine) as s:  # `outreach dnc add` from another terminal, while both wait
        add_dnc(s, [first.phone], "customer asked", "cli", now=T0)
    res = admit(engine, [first, second], LEASE, now=T0 + timedelta(seconds=5))
    assert res.admitted == second
    assert [(r.claim, r.kind) for r in res.refused] == [(first, "dnc")]
    listed = _contact(engine, first.contact_id)
    assert (listed.status, listed.queued, listed.attempts) == ("dnc", False, 0)
    assert [a.id for a in _attempts(engine)] == [second.attempt_id], "no attempt counted"
    # And it is not claimed again later either (the busy one is).
    record_outcome(engine, second.attempt_id, AttemptResult("busy"), now=T0 + timedelta(minutes=1))
    later = claim(engine, cid, 5, "w1", LEASE, now=T0 + timedelta(days=1))
    assert [c.contact_id for c in later] == [second.contact_id]


def test_a_campaign_paused_while_claims_wait_dials_none_of_them(db_url: str) -> None:
    engine, cid = make_campaign(db_url, 3)
    claims = claim(engine, cid, 3, "w1", LEASE, now=T0)
    with session(engine) as s:
        set_status(s, "c1", "paused")
    res = admit(engine, claims, LEASE, now=T0 + timedelta(seconds=1))
    assert res.admitted is None
    assert {r.kind for r in res.refused} == {"paused"} and res.used == 3
    assert _attempts(engine) == []
    for c in claims:  # back in the queue as they were, due again on resume
        row = _contact(engine, c.contact_id)
        assert (row.status, row.queued, row.attempts, row.current_attempt_id) == (
            "new", True, 0, None)  # fmt: skip


def test_a_campaign_archived_while_claims_wait_dials_none_of_them(db_url: str) -> None:
    from campaigns.campaign_edit import set_archived

    engine, cid = make_campaign(db_url, 2)
    claims = claim(engine, cid, 2, "w1", LEASE, now=T0)
    with session(engine) as s:
        set_archived(s, "c1", True)
    res = admit(engine, claims, LEASE, now=T0 + timedelta(seconds=1))
    assert res.admitted is None and {r.reason for r in res.refused} == {"the campaign is archived"}
    assert _attempts(engine) == []


def test_claims_still_waiting_when_the_window_closes_wait_for_its_next_opening(
    db_url: str,
) -> None:
    engine, cid = make_campaign(db_url, 2)  # 09:00-20:00 Seoul, mon-sat
    before_close = datetime(2026, 3, 4, 10, 59, 30, tzinfo=UTC)  # Wed 19:59:30 in Seoul
    claims = claim(engine, cid, 2, "w1", LEASE, now=before_close)
    assert len(claims) == 2
    res = admit(engine, claims, LEASE, now=before_close + timedelta(seconds=40))  # 20:00:10
    assert res.admitted is None and [r.kind for r in res.refused] == ["window", "window"]
    thursday_9am = datetime(2026, 3, 5, 0, 0, tzinfo=UTC)
    for c in claims:
        row = _contact(engine, c.contact_id)
        assert row.next_attempt_at == thursday_9am and row.attempts == 0
        assert row.hold_reason == "window"
    assert _attempts(engine) == []


def test_a_claim_whose_lease_ran_out_is_not_dialled(db_url: str) -> None:
    engine, cid = make_campaign(db_url, 1)
    (c,) = claim(engine, cid, 1, "w1", timedelta(minutes=1), now=T0)
    res = admit(engine, [c], LEASE, now=T0 + timedelta(minutes=2))
    assert res.admitted is None and [r.kind for r in res.refused] == ["lease"]
    row = _contact(engine, c.contact_id)
    assert (row.status, row.current_attempt_id, row.attempts) == ("new", None, 0)


def test_admitted_call_is_marked_dialled_with_a_fresh_lease(db_url: str) -> None:
    engine, cid = make_campaign(db_url, 1)
    (c,) = claim(engine, cid, 1, "w1", LEASE, now=T0)
    later = T0 + timedelta(minutes=8)  # waited 8 of its 10 minutes in the hopper
    assert admit(engine, [c], LEASE, now=later).admitted == c
    (att,) = _attempts(engine)
    assert att.dialled_at == later and att.lease_until == later + LEASE


def _dial_one(engine: sa.Engine, cid: int, now: datetime, caps: NumberCaps) -> Claim | None:
    """One worker's turn: claim one contact, ask the gate, finish the call at once (no answer)."""
    got = claim(engine, cid, 1, f"w{cid}", LEASE, now=now, caps=caps)
    if not got:
        return None
    res = admit(engine, got, LEASE, caps=caps, now=now)
    if res.admitted is not None:
        record_outcome(engine, res.admitted.attempt_id, AttemptResult("no_answer"), now=now)
    return res.admitted


def test_one_number_in_three_campaigns_is_called_only_as_the_number_caps_allow(
    db_url: str,
) -> None:
    """One customer due in three campaigns, each willing to call every 2 minutes: together they
    call the number at most once a minute, 5 times an hour, 8 times a day (the settings' caps
    for the minute and hour, the campaigns' own per-day cap, as a regional preset sets it)."""
    spec = {"window": "00:00-24:00", "days": "mon-sun", "max_attempts": 20,
            "max_per_day": 20, "retry": "no_answer=2m"}  # fmt: skip
    ids = []
    for name in ("a", "b", "c"):
        engine, cid = make_campaign(db_url, 0, name=name, **spec)
        add_contacts(engine, cid, 1)  # the same number, +821000000000, in every campaign
        ids.append(cid)
    with session(engine) as s:
        s.exec(sa.update(Contact).values(next_attempt_at=T0))  # type: ignore[call-overload]
        s.exec(sa.update(Campaign).values(number_max_per_day=8))  # type: ignore[call-overload]
        s.commit()
    caps = NumberCaps(per_minute=1, per_hour=5)
    dialled: list[datetime] = []
    # Minute by minute for two hours, then every ten minutes to the next day; the three workers
    # take turns in a changing order, as independent processes would.
    steps = [*range(0, 120), *range(120, 27 * 60, 10)]
    for i, minute in enumerate(steps):
        now = T0 + timedelta(minutes=minute)
        for cid in ids[i % 3 :] + ids[: i % 3]:
            if _dial_one(engine, cid, now, caps) is not None:
                dialled.append(now)
    assert dialled, "the number was called"
    for i, t in enumerate(dialled):
        assert not [u for u in dialled[i + 1 :] if u - t < timedelta(minutes=1)], "per minute"
        assert len([u for u in dialled[i:] if u - t < timedelta(hours=1)]) <= 5, "per hour"
        assert len([u for u in dialled[i:] if u - t < timedelta(days=1)]) <= 8, "per day"
    # The caps are reached, not just respected: 5 in the first hour, 8 in the first day, and
    # calls again the next day.
    assert len([t for t in dialled if t - T0 < timedelta(hours=1)]) == 5
    assert len([t for t in dialled if t - T0 < timedelta(days=1)]) == 8
    assert any(t - T0 >= timedelta(days=1) for t in dialled)
    assert len({a.campaign_id for a in _attempts(engine)}) == 3, "every campaign had its turns"


def test_two_campaigns_claiming_the_same_number_at_once_make_one_call(db_url: str) -> None:
    spec = {"window": "00:00-24:00", "days": "mon-sun"}
    engine_a, a = make_campaign(db_url, 1, name="a", **spec)
    engine_b, b = make_campaign(db_url, 1, name="b", **spec)
    (ca,) = claim(engine_a, a, 1, "wa", LEASE, now=T0)
    (cb,) = claim(engine_b, b, 1, "wb", LEASE, now=T0)  # claimed before either was dialled
    assert admit(engine_a, [ca], LEASE, now=T0).admitted == ca
    res = admit(engine_b, [cb], LEASE, now=T0 + timedelta(seconds=1))
    assert res.admitted is None and res.refused[0].kind == "in call"
    ended = T0 + timedelta(seconds=40)
    record_outcome(engine_a, ca.attempt_id, AttemptResult("no_answer"), now=ended)
    (again,) = claim(engine_b, b, 1, "wb", LEASE, now=T0 + timedelta(minutes=3))
    caps = NumberCaps(per_hour=1)
    res = admit(engine_b, [again], LEASE, caps=caps, now=T0 + timedelta(minutes=3))
    assert res.admitted is None and res.refused[0].kind == "number cap"
    assert res.refused[0].until == T0 + timedelta(hours=1)
    assert _contact(engine_b, cb.contact_id).next_attempt_at == T0 + timedelta(hours=1)
