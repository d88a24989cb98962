"""Console test data made through the real domain functions: a campaign imported from a CSV list
(customer id and a branch column), calls stored with transcripts, scores and a WAV recording,
leads in the queue, and one account per role."""

from __future__ import annotations

import math
import struct
import wave
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.engine import Engine

from campaigns.accounts import add_user
from campaigns.calls import CallReport, LeadDraft, TurnRecord, finish_attempt
from campaigns.db import open_database, session
from campaigns.dialing import AttemptResult, claim
from campaigns.importer import import_contacts
from campaigns.repo import CampaignSpec, create_campaign
from campaigns.script_store import version_of

PASSWORD = "correct horse battery"
USERS = {"mina": "agent", "joon": "agent", "seo": "qa", "park": "manager"}
T0 = datetime(2026, 3, 4, 1, 0, tzinfo=UTC)  # a Wednesday, 10:00 in Seoul
RECORDING_S = 12.0
TURNS = [
    TurnRecord("robot", "안녕하세요, 한빛은행 AI 상담원입니다. 휴면 예금 안내 드려도 될까요?",
               0.0, 3.5,
               prompt_id="greeting"),
    TurnRecord("customer", "네 말씀하세요", 4.0, 5.2, confidence=0.91, intent="yes",
               state="greeting"),
    TurnRecord("robot", "고객님 계좌에 휴면 예금이 있습니다. 금리 상담을 원하시나요?", 5.5, 8.0,
               prompt_id="offer"),
    TurnRecord("customer", "금리가 얼마나 돼요", 8.6, 10.4, confidence=0.42, intent="interested",
               state="offer"),
]  # fmt: skip



SEED_SCRIPT_VERSION = version_of("the script the seeded calls ran")

@dataclass
class Seeded:
    url: str
    engine: Engine
    campaign: str
    call_ids: list[str]
    lead_ids: list[int]
    recording: Path


def write_wav(path: Path, seconds: float = RECORDING_S, rate: int = 8000) -> Path:
    """A tone that changes pitch each second: a real, playable mono 16-bit WAV."""
    frames = bytearray()
    for i in range(int(seconds * rate)):
        f = 300 + 100 * (i // rate % 5)
        frames += struct.pack("<h", int(8000 * math.sin(2 * math.pi * f * i / rate)))
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(bytes(frames))
    return path


def seed(home: Path, n_leads: int = 4, uncalled: int = 0) -> Seeded:
    """A console database under `home`: users, one campaign, `n_leads` warm/hot leads, two
    opt-out calls, and `uncalled` contacts not called yet."""
    url = f"sqlite:///{home / 'outreach.db'}"
    engine = open_database(url)
    for name, role in USERS.items():
        add_user(engine, name, role, PASSWORD)
    lines = ["name,phone,客户号,branch"]
    lines += [f"고객{i},010-5555-{1000 + i},C{7000 + i},강남지점"
              for i in range(n_leads + 2 + uncalled)]
    csv_path = home / "list.csv"
    csv_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    recording = write_wav(home / "recordings" / "call.wav")
    with session(engine) as s:
        c = create_campaign(s, CampaignSpec(name="dormant-march", script_ref="ko-dormant-deposit"))
        import_contacts(s, c, csv_path, now=T0 - timedelta(hours=1))
        assert c.id is not None
        cid = c.id
    calls, leads = [], []
    for i, cl in enumerate(claim(engine, cid, n_leads + 2, "w1", timedelta(minutes=10), now=T0)):
        lead = i < n_leads
        score, tier = (80 - i, "hot") if i % 2 == 0 else (60 - i, "warm")
        result = AttemptResult(
            "answered", dialog_outcome="interested" if lead else "opt_out", score=score,
            tier=tier, duration_s=RECORDING_S, recording_path=str(recording),
            score_breakdown=[{"points": 40, "reason": "said yes to the offer"},
                             {"points": score - 40, "reason": "asked about the rate"}],
        )  # fmt: skip
        draft = LeadDraft(score, tier, "A", f"asked about the deposit rate ({i})") if lead else None
        turns = TURNS if lead else [TurnRecord("customer", "다시는 전화하지 마세요", 1.0, 2.0, 0.88,
                                                "opt_out")]  # fmt: skip
        report = CallReport(result, turns, draft, opt_out=not lead,
                            script_version=SEED_SCRIPT_VERSION)  # fmt: skip
        lead_id = finish_attempt(engine, cl.attempt_id, report, now=T0)
        calls.append(cl.attempt_id)
        if lead_id is not None:
            leads.append(lead_id)
    return Seeded(url, engine, "dormant-march", calls, leads, recording)
