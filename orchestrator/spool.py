"""Finished calls the database would not take, kept on disk until it does (docs/reliability.md).

When storing a call still fails after the dialer's tries, its whole report (outcome, turns, lead,
opt-out) is written to `OUTREACH_HOME/unsaved/<attempt id>.json` (0600: it holds what the
customer said). The next run of the worker stores each file before it dials: the attempt has been
closed as `expired` by then, so the report is put on it as a late report (campaigns/late.py).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from campaigns.calls import CallReport, LeadDraft, TurnRecord, finish_attempt
from campaigns.dialing import AttemptResult
from campaigns.errors import AlreadyRecorded, NotFound

log = logging.getLogger(__name__)


def _when(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def dumps(report: CallReport) -> str:
    def iso(value: object) -> str:
        if isinstance(value, datetime):
            return value.isoformat()
        raise TypeError(f"cannot keep {type(value).__name__} in a spooled report")

    return json.dumps(dataclasses.asdict(report), default=iso, ensure_ascii=False)


def loads(text: str) -> CallReport:
    d = json.loads(text)
    r = d["result"]
    result = AttemptResult(**{**r, "callback_at": _when(r["callback_at"]),
                              "answered_at": _when(r["answered_at"]),
                              "score_breakdown": tuple(r["score_breakdown"])})  # fmt: skip
    lead = d["lead"]
    draft = LeadDraft(**{**lead, "callback_at": _when(lead["callback_at"])}) if lead else None
    turns = [TurnRecord(**t) for t in d["turns"]]
    return CallReport(result, turns, draft, d["opt_out"], d["webhook"], d["extra"],
                      d["script_version"])  # fmt: skip


def keep(folder: Path, attempt_id: str, report: CallReport) -> Path:
    """Write the report where the next run finds it; only the owner may read it."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{attempt_id}.json"
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(dumps(report))
    tmp.replace(path)
    return path


def replay(engine: Engine, folder: Path) -> int:
    """Store every kept report; a stored (or already stored) one's file is removed. Returns how
    many were stored; a report the database still refuses stays for the next run."""
    stored = 0
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            finish_attempt(engine, path.stem, loads(path.read_text(encoding="utf-8")))
            stored += 1
        except (AlreadyRecorded, NotFound) as exc:
            log.warning("kept call %s not stored: %s", path.stem, exc)
        except Exception:
            log.exception("kept call %s still cannot be stored; kept for the next run", path.stem)
            continue
        path.unlink()
    return stored
