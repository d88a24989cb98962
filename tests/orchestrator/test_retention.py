"""Retention: recordings and transcripts older than the period are deleted, the calls and their
outcomes and leads are kept, a dry run deletes nothing, and each real run is audited."""

from __future__ import annotations

import json
import wave
from datetime import timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from typer.testing import CliRunner

from campaigns.calls import CallReport, LeadDraft, TurnRecord, finish_attempt
from campaigns.db import open_database
from campaigns.dialing import AttemptResult, claim
from campaigns.models import Attempt, Turn
from campaigns.repo import utcnow
from orchestrator.cli import app
from tests.campaigns.helpers import T0, make_campaign

A = Attempt.__table__  # type: ignore[attr-defined]
TT = Turn.__table__  # type: ignore[attr-defined]


def _wav(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(2), w.setsampwidth(2), w.setframerate(8000)
        w.writeframes(b"\0\0\0\0" * 8000)
    return path


def _calls(db_url: str, recordings: Path) -> tuple[list[str], str]:
    """Three calls made on T0 (long ago) and one made yesterday, each with a recording and a
    transcript; the first old call made a lead."""
    engine, cid = make_campaign(db_url, 4)
    ids = []
    for i, c in enumerate(claim(engine, cid, 4, "w1", timedelta(minutes=10), now=T0)):
        rec = _wav(recordings / f"{c.attempt_id}.wav")
        said = "transfer" if i == 0 else "not_interested"
        result = AttemptResult("answered", dialog_outcome=said, recording_path=str(rec))
        turns = [TurnRecord("robot", "안녕하세요", 0.0, 1.0),
                 TurnRecord("customer", "네 관심 있어요", 1.5, 2.5, 0.9, "yes")]  # fmt: skip
        lead = LeadDraft(80, "hot", "A", "wants a specialist") if i == 0 else None
        finish_attempt(engine, c.attempt_id, CallReport(result, turns, lead), now=T0)
        ids.append(c.attempt_id)
    with engine.begin() as conn:
        conn.execute(sa.update(A).where(A.c.id == ids[3])
                     .values(started_at=utcnow() - timedelta(days=1)))  # fmt: skip
    engine.dispose()
    return ids[:3], ids[3]


def _cli(db_url: str, home: Path, *args: str, **env: str) -> Any:
    result = CliRunner().invoke(app, ["--db", db_url, "--home", str(home), *args], env=env)
    return result


def _turns(db_url: str) -> dict[str, int]:
    engine = sa.create_engine(db_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as conn:
        rows = conn.execute(sa.select(TT.c.attempt_id, sa.func.count()).group_by(TT.c.attempt_id))
        counted = {r[0]: int(r[1]) for r in rows}
    engine.dispose()
    return counted


def test_old_recordings_and_transcripts_go_and_the_calls_stay(db_url: str, tmp_path: Path) -> None:
    home, recordings = tmp_path / "home", tmp_path / "home" / "recordings"
    old, recent = _calls(db_url, recordings)
    days = {"OUTREACH_RETENTION_DAYS": "100"}
    longer = _cli(db_url, home, "retention", "run", "--json", **days,
                  OUTREACH_RETENTION_CAMPAIGN_DAYS='{"c1": 400}')  # fmt: skip
    assert longer.exit_code == 0, longer.output
    assert json.loads(longer.stdout)[0]["recordings"] == 0  # c1 keeps its calls 400 days

    dry = _cli(db_url, home, "retention", "run", "--dry-run", "--json", **days)
    assert dry.exit_code == 0, dry.output
    (planned,) = json.loads(dry.stdout)
    assert (planned["calls"], planned["recordings"], planned["transcripts"]) == (3, 3, 3)
    assert planned["turns"] == 6 and planned["bytes"] == 3 * (32000 + 44)
    assert all((recordings / f"{i}.wav").exists() for i in [*old, recent]), "dry run deleted"
    assert len(_turns(db_url)) == 4

    real = _cli(db_url, home, "retention", "run", "--by", "kim", **days)
    assert real.exit_code == 0, real.output
    assert "c1: deleted 3 recordings (0.1 MB) and 3 transcripts (6 lines)" in real.stdout
    assert not any((recordings / f"{i}.wav").exists() for i in old)
    assert (recordings / f"{recent}.wav").exists()
    assert set(_turns(db_url)) == {recent}
    calls = json.loads(_cli(db_url, home, "calls", "list", "--json").stdout)
    assert len(calls) == 4 and {c["outcome"] for c in calls} == {"answered"}
    shown = json.loads(_cli(db_url, home, "calls", "show", old[0], "--json").stdout)
    assert shown["turns"] == [] and shown["recording_path"] is None
    assert shown["dialog_outcome"] == "transfer" and shown["lead"] is not None
    audit, first = json.loads(_cli(db_url, home, "retention", "audit", "--json").stdout)
    assert (audit["by"], audit["days"], audit["recordings"], audit["turns"]) == ("kim", 100, 3, 6)
    assert (first["days"], first["recordings"]) == (400, 0)  # every real run is kept
    again = _cli(db_url, home, "retention", "run", "--json", **days)
    assert json.loads(again.stdout)[0]["calls"] == 0  # nothing left to delete


def test_retention_needs_a_period_and_campaign_names_that_exist(
    sqlite_url: str, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    _calls(sqlite_url, home / "recordings")
    none = _cli(sqlite_url, home, "retention", "run")
    assert none.exit_code != 0 and "OUTREACH_RETENTION_DAYS" in str(none.exception)
    typo = _cli(sqlite_url, home, "retention", "run", OUTREACH_RETENTION_DAYS="30",
                OUTREACH_RETENTION_CAMPAIGN_DAYS='{"cl": 400}')  # fmt: skip
    assert typo.exit_code != 0 and "names cl, which is not a campaign" in str(typo.exception)
    assert len(_turns(sqlite_url)) == 4, "nothing was deleted"


def test_calls_are_walked_in_batches_each_once(
    db_url: str, tmp_path: Path, monkeypatch: Any
) -> None:
    """Several batches (two calls each here) cover every old call once, dry or real."""
    from campaigns import retention

    monkeypatch.setattr(retention, "BATCH", 2)
    _calls(db_url, tmp_path / "recordings")  # 3 old calls, all started at the same moment
    engine = open_database(db_url)
    seen: list[int] = []
    try:
        dry = retention.sweep(engine, 1, 100, dry_run=True, on_batch=lambda s: seen.append(s.calls))
        assert (dry.calls, dry.recordings, dry.turns, seen) == (3, 3, 6, [2, 3])
        real = retention.sweep(engine, 1, 100)
        assert (real.calls, real.recordings, real.transcripts) == (3, 3, 3)
    finally:
        engine.dispose()
