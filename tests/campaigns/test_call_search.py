"""QA's call search, QA marks and the playback audit log, on both backends: every filter finds
what a reviewer means and nothing else; typos are refused with the valid values."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from campaigns.audit import list_playbacks, record_playback
from campaigns.calls import CallReport, LeadDraft, TurnRecord, finish_attempt
from campaigns.dialing import AttemptResult, claim
from campaigns.errors import InvalidInput, NotFound
from campaigns.models import Attempt
from campaigns.qa_marks import mark_call, marks_of
from campaigns.search import CallFilter, check_filter, search_calls
from tests.campaigns.helpers import T0, make_campaign

LEASE = timedelta(minutes=10)
A = Attempt.__table__  # type: ignore[attr-defined]  # sqlmodel declares __table__ untyped


def robot(text: str) -> TurnRecord:
    return TurnRecord("robot", text, 0.0, 1.0)


def said(text: str, conf: float | None, intent: str | None = None) -> TurnRecord:
    return TurnRecord("customer", text, 1.5, 2.5, confidence=conf, intent=intent)


def calls(db_url: str) -> tuple[Engine, dict[str, str]]:
    """Five calls a day apart (T0 - 4 days ... T0); returns name -> call id."""
    engine, cid = make_campaign(db_url, 5)
    plan = {
        # matcher missed this opt-out: no intent, only the words
        "stop_unmatched": (AttemptResult("answered", dialog_outcome="no_response"),
                           [robot("Hello from the bank"), said("Please STOP calling me", 0.41)]),
        "opt_out": (AttemptResult("answered", dialog_outcome="opt_out"),
                    [robot("안녕하세요"), said("전화하지 마세요", 0.93, "opt_out")]),
        "hot": (AttemptResult("answered", dialog_outcome="transfer", score=90, tier="hot"),
                [robot("안녕하세요"), said("네 관심 있어요 100%", 0.88, "interested")]),
        "warm": (AttemptResult("answered", dialog_outcome="interested", score=60, tier="warm"),
                 [robot("안녕하세요"), said("글쎄요 a_b", 0.62, "interested")]),
        "busy": (AttemptResult("busy"), []),
    }  # fmt: skip
    ids: dict[str, str] = {}
    claims = claim(engine, cid, 5, "w1", LEASE, now=T0)
    for day, (c, (name, (result, turns))) in enumerate(zip(claims, plan.items(), strict=True)):
        lead = LeadDraft(result.score or 0, result.tier or "", "A", "x") if result.tier else None
        finish_attempt(engine, c.attempt_id, CallReport(result, turns, lead), now=T0)
        with engine.begin() as conn:  # the calls were made a day apart
            started = T0 - timedelta(days=4 - day)
            conn.execute(sa.update(A).where(A.c.id == c.attempt_id).values(started_at=started))
        ids[name] = c.attempt_id
    return engine, ids


def found(engine: Engine, ids: dict[str, str], **filters: object) -> set[str]:
    rows, total = search_calls(engine, CallFilter(**filters))  # type: ignore[arg-type]
    assert total == len(rows)
    by_id = {v: k for k, v in ids.items()}
    return {by_id[r["id"]] for r in rows}


def test_text_search_finds_the_words_in_any_case_not_the_matchers_label(db_url: str) -> None:
    engine, ids = calls(db_url)
    assert found(engine, ids, text="stop calling") == {"stop_unmatched"}
    assert found(engine, ids, text="하지 마") == {"opt_out"}
    assert found(engine, ids, intent="opt_out") == {"opt_out"}  # the label misses one of them
    assert found(engine, ids, text="100%") == {"hot"}, "% is a character, not a wildcard"
    assert found(engine, ids, text="a_b") == {"warm"}
    assert found(engine, ids, text="bank") == {"stop_unmatched"}  # robot lines too


def test_confidence_date_phone_score_and_tier_filters(db_url: str) -> None:
    engine, ids = calls(db_url)
    assert found(engine, ids, below_confidence=0.7) == {"stop_unmatched", "warm"}
    assert found(engine, ids, min_confidence=0.8) == {"opt_out", "hot"}
    assert found(engine, ids, since=T0 - timedelta(days=2)) == {"hot", "warm", "busy"}
    assert found(engine, ids, since=T0 - timedelta(days=3), until=T0 - timedelta(days=1)) == {
        "opt_out", "hot"}  # fmt: skip
    rows, _ = search_calls(engine, CallFilter())
    hot_phone = next(r["phone"] for r in rows if r["id"] == ids["hot"])
    national = "0" + hot_phone[3:6] + "-" + hot_phone[6:10] + "-" + hot_phone[10:]
    assert found(engine, ids, phone=national) == {"hot"}
    assert found(engine, ids, phone=hot_phone) == {"hot"}
    assert found(engine, ids, phone=hot_phone[-4:]) == {"hot"}  # the digits QA remembers
    assert found(engine, ids, tier="hot") == {"hot"}
    assert found(engine, ids, min_score=50, max_score=70) == {"warm"}
    assert found(engine, ids, outcome="busy") == {"busy"}
    assert found(engine, ids, outcome="transfer") == {"hot"}
    assert found(engine, ids, outcome="answered", text="안녕") == {"opt_out", "hot", "warm"}


def test_a_page_and_the_total(db_url: str) -> None:
    engine, ids = calls(db_url)
    page, total = search_calls(engine, CallFilter(), limit=2, offset=1)
    assert total == 5 and [r["id"] for r in page] == [ids["warm"], ids["hot"]]  # newest first
    assert page[0]["lowest_confidence"] == 0.62 and page[0]["intents"] == ["interested"]
    assert page[0]["campaign"] == "c1" and page[0]["qa"] is None
    texts, total = search_calls(engine, CallFilter(text="안녕"), limit=2)
    assert total == 3 and len(texts) == 2  # counted in the same pass as the page
    assert search_calls(engine, CallFilter(text="안녕"), limit=2, offset=10) == ([], 3)


def test_a_capped_count_stops_after_the_cap_but_pages_the_same(db_url: str) -> None:
    engine, ids = calls(db_url)
    page, total = search_calls(engine, CallFilter(text="안녕"), limit=2, count_cap=1)
    assert total == 2, "counted to cap + 1, meaning 'more than the cap'"
    assert [r["id"] for r in page] == [ids["warm"], ids["hot"]]  # the same newest-first page
    assert search_calls(engine, CallFilter(text="안녕"), limit=2, count_cap=5)[1] == 3


def test_qa_marks_are_stored_and_filterable(db_url: str) -> None:
    engine, ids = calls(db_url)
    mark_call(engine, ids["hot"], "qa-lee", "pass", ["clean"], now=T0)
    mark_call(engine, ids["stop_unmatched"], "qa-lee", "pass", now=T0)
    # A second look: the latest mark is the current one, the first one is kept.
    why = "customer asked to stop; the matcher missed it"
    later = T0 + timedelta(minutes=5)
    mark_call(engine, ids["stop_unmatched"], "qa-choi", "fail", ["Missed opt-out", "asr"], why,
              now=later)  # fmt: skip
    history = marks_of(engine, ids["stop_unmatched"])
    assert [(m["reviewer"], m["verdict"]) for m in history] == [("qa-choi", "fail"),
                                                                  ("qa-lee", "pass")]  # fmt: skip
    assert history[0]["tags"] == ["missed opt-out", "asr"]
    assert found(engine, ids, reviewed=True) == {"hot", "stop_unmatched"}
    assert found(engine, ids, reviewed=False) == {"opt_out", "warm", "busy"}
    assert found(engine, ids, verdict="fail") == {"stop_unmatched"}
    assert found(engine, ids, verdict="pass") == {"hot"}
    assert found(engine, ids, tag="asr") == {"stop_unmatched"}
    assert found(engine, ids, tag="as") == set(), "a tag matches whole"
    rows, _ = search_calls(engine, CallFilter(verdict="fail"))
    assert rows[0]["qa"]["comment"] == "customer asked to stop; the matcher missed it"
    with pytest.raises(InvalidInput, match="use one of pass, fail"):
        mark_call(engine, ids["hot"], "qa-lee", "ok")
    with pytest.raises(InvalidInput, match="without ','"):
        mark_call(engine, ids["hot"], "qa-lee", "pass", ["a,b"])
    with pytest.raises(NotFound):
        mark_call(engine, "no-such-call", "qa-lee", "pass")


def test_unknown_values_are_refused_with_the_valid_ones(db_url: str) -> None:
    engine, _ = calls(db_url)
    with pytest.raises(InvalidInput, match=r"unknown outcome 'opt-out': use one of .*opt_out"):
        check_filter(engine, CallFilter(outcome="opt-out"))
    with pytest.raises(InvalidInput, match=r"unknown intent 'optout': use one of .*opt_out"):
        check_filter(engine, CallFilter(intent="optout"), {"yes", "no"})
    with pytest.raises(InvalidInput, match="unknown tier 'Hot'"):
        check_filter(engine, CallFilter(tier="Hot"))
    with pytest.raises(InvalidInput, match="between 0 and 1"):
        check_filter(engine, CallFilter(below_confidence=70))
    with pytest.raises(InvalidInput, match="--until must be later"):
        check_filter(engine, CallFilter(since=T0, until=T0))
    check_filter(engine, CallFilter(outcome="transfer", intent="no"), {"yes", "no"})
    check_filter(engine, CallFilter(intent="interested"))  # heard in stored calls


def test_every_playback_is_in_the_audit_log(db_url: str) -> None:
    engine, ids = calls(db_url)
    record_playback(engine, "qa-lee", ids["hot"], T0)
    record_playback(engine, "kim", ids["hot"], T0 + timedelta(minutes=1))
    record_playback(engine, "qa-lee", ids["warm"], T0 + timedelta(minutes=2))
    log = list_playbacks(engine)
    assert [(r["user"], r["call_id"]) for r in log] == [
        ("qa-lee", ids["warm"]), ("kim", ids["hot"]), ("qa-lee", ids["hot"])]  # fmt: skip
    assert log[0]["at"].startswith((T0 + timedelta(minutes=2)).isoformat()[:19])
    assert len(list_playbacks(engine, call_id=ids["hot"])) == 2
    assert len(list_playbacks(engine, user="kim")) == 1
    assert len(list_playbacks(engine, since=T0 + timedelta(seconds=30))) == 2
    with pytest.raises(NotFound):
        record_playback(engine, "kim", "no-such-call")
