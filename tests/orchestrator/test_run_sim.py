"""The whole job on simulated customers: every persona's call ends as it should, with the real
recogniser, synthesiser and dialog engine, and the report adds up."""

from __future__ import annotations

import wave
from pathlib import Path

from tests.orchestrator.helpers import EXPECTED, check_outcomes, cli, persona_list


def test_every_persona_ends_as_it_should_on_sim(tmp_path: Path) -> None:
    home = tmp_path / "home"
    cli(home, "campaign", "create", "sim1", "--script", "ko-dormant-deposit", "--window",
        "00:00-24:00", "--allow-night", "--days", "mon-sun", "--max-channels", "6",
        "--cps", "5")  # fmt: skip
    imported = cli(home, "contacts", "import", "sim1", str(persona_list(tmp_path / "l.csv", {})),
                   "--json")  # fmt: skip
    assert imported["imported"] == len(EXPECTED)
    phones = {p: f"+82105555{1000 + i}" for i, p in enumerate(EXPECTED)}
    summary = cli(home, "run", "sim1", "--telephony", "sim", "--until-done", "--speed", "2",
                  "--json")  # fmt: skip
    assert summary["dialled"] == summary["finished"] == len(EXPECTED)
    assert summary["stopped_by"] == "done"
    assert summary["response_latency_s"]["n"] > 0
    report = check_outcomes(home, "sim1", phones)
    assert report["dialled"] == len(EXPECTED) and report["in_flight"] == 0
    assert report["answered"] == 8 and report["human"] == 7
    assert report["leads_by_tier"] == {"hot": 3}
    assert report["contacts_by_status"] == {"done": 4, "dnc": 1, "retry": 6}
    # The opt-out is on the do-not-call list; the interrupting customer cut the first prompt.
    blocked = cli(home, "dnc", "check", phones["opt_out"], "--json")
    assert blocked["blocked"] is True
    calls = {c["phone"]: c for c in cli(home, "calls", "list", "--json")}
    cut = cli(home, "calls", "show", calls[phones["interrupts"]]["id"], "--json")
    assert "[cut at" in cut["turns"][0]["text"]
    said = [t for t in cut["turns"] if t["speaker"] == "customer"]
    assert said and all(t["confidence"] is not None and t["end_s"] >= t["start_s"] for t in said)
    with wave.open(cut["recording_path"]) as rec:  # both directions, placed by call time
        assert (rec.getnchannels(), rec.getframerate()) == (2, 8000)
        assert rec.getnframes() / 8000 >= max(t["end_s"] for t in cut["turns"]) - 0.1
        frames = rec.readframes(rec.getnframes())
    caller, robot = frames[0::4] + frames[1::4], frames[2::4] + frames[3::4]
    assert caller.strip(b"\x00") and robot.strip(b"\x00"), "neither side is silent"
