"""Overload never becomes a wrong outcome: with a recogniser too slow for the calls in flight
(the real one, slowed: tests/orchestrator/slow_asr.py), the worker stops taking new calls while
it is unhealthy, and a call whose hearing fell behind ends as `degraded` (transcript kept, retried
soon) instead of with a business outcome taken from late or missing audio."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from asr_models import Recogniser
from orchestrator import runtime
from tests.orchestrator.helpers import cli
from tests.orchestrator.slow_asr import SlowRecogniser
from tests.sandbox import running_sandbox

CALLS = 10


def _slowed(monkeypatch: pytest.MonkeyPatch, cost_s: float) -> None:
    real_load = runtime.load_recogniser

    async def load(info: Any, limiter: Any = None) -> Recogniser:
        return SlowRecogniser(await real_load(info, limiter), cost_s)

    monkeypatch.setattr(runtime, "load_recogniser", load)


@pytest.mark.parametrize("telephony", ["sim", "asterisk"])
def test_overload_stops_dialling_and_no_business_outcome_from_degraded_audio(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, telephony: str
) -> None:
    env = {}
    if telephony == "asterisk":  # the real path: audio arrives in real time, late or not
        env = {"OUTREACH_AMI_SECRET": running_sandbox().secret(), "OUTREACH_RING_TIMEOUT_S": "8"}
    # Each 100 ms of speech costs 500 ms on one "core": one caller speaking is already more
    # than it hears in real time, and ten calls answer within two seconds.
    _slowed(monkeypatch, 0.5)
    home = tmp_path / "home"
    cli(home, "campaign", "create", "over", "--script", "ko-dormant-deposit", "--window",
        "00:00-24:00", "--allow-night", "--days", "mon-sun", "--max-channels", str(CALLS),
        "--cps", "5")  # fmt: skip
    rows = ["name,phone,persona"] + [f"고객{i},010-5555-{2000 + i},interested"
                                     for i in range(CALLS)]  # fmt: skip
    (tmp_path / "l.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    cli(home, "contacts", "import", "over", str(tmp_path / "l.csv"), "--json")
    summary = cli(home, "run", "over", "--telephony", telephony, "--until-done", "--json",
                  env=env)
    calls = cli(home, "calls", "list", "--campaign", "over", "--json")
    outcomes = [c["dialog_outcome"] for c in calls]
    # Every `interested` customer either ended right, or was marked degraded: never a wrong one.
    assert set(outcomes) <= {"transfer", "degraded"}, outcomes
    assert "degraded" in outcomes, outcomes  # the overload did happen
    # The worker said it held back new calls while unhealthy, and why.
    health = summary["health"]
    assert health["held_back_s"] > 0 and health["reasons"], health
    assert summary["outcomes"].get("degraded", 0) == outcomes.count("degraded")
    for c in calls:
        if c["dialog_outcome"] != "degraded":
            continue
        shown = cli(home, "calls", "show", c["id"], "--json")
        assert shown["turns"], "the transcript of a degraded call is kept"
        assert "degraded" in (shown["cause"] or ""), shown["cause"]
    # Degraded contacts are retried soon, not closed and not counted against their attempts.
    contacts = {c["phone"]: c for c in cli(home, "contacts", "list", "over", "--json")}
    for c in calls:
        if c["dialog_outcome"] == "degraded":
            contact = contacts[c["phone"]]
            assert contact["status"] == "retry" and contact["attempts"] == 0, contact
