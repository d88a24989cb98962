"""Whole `outreach run`s through the sandbox Asterisk with SIPp as the carrier and the called
customer (the `sipp` trunk, tests/sipp.py): what a campaign manager sets and reads with the CLI,
checked against what the foreign SIP user agent received (issue 12). Never skipped."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dialogs.script import resolve_ref
from tests.orchestrator.helpers import cli
from tests.sandbox import running_sandbox
from tests.sipp import CHANNEL, require_sipp_trunk, running_sipp

PHONES = ["010-5555-2101", "010-5555-2102", "010-5555-2103", "010-5555-2104", "010-5555-2105"]


@pytest.fixture
def sipp_env() -> dict[str, str]:
    sandbox = running_sandbox()
    require_sipp_trunk()
    return {
        "OUTREACH_AMI_SECRET": sandbox.secret(),
        "OUTREACH_ASTERISK_CHANNEL": CHANNEL,
        "OUTREACH_ASTERISK_SIMULATED_CUSTOMERS": "false",  # SIPp is the customer
        "OUTREACH_RING_TIMEOUT_S": "10",
    }


def _campaign(home: Path, tmp: Path, n: int, *options: str, script: str = "ko-dormant-deposit"
              ) -> None:  # fmt: skip
    cli(home, "campaign", "create", "s", "--script", script, "--window", "00:00-24:00",
        "--allow-night", "--days", "mon-sun", "--cps", "5", *options)  # fmt: skip
    rows = ["name,phone"] + [f"고객{i},{p}" for i, p in enumerate(PHONES[:n])]
    (tmp / "l.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    cli(home, "contacts", "import", "s", str(tmp / "l.csv"), "--json")


def _run(home: Path, env: dict[str, str]) -> dict[str, Any]:
    summary: dict[str, Any] = cli(home, "run", "s", "--telephony", "asterisk", "--until-done",
                                  "--json", env=env)  # fmt: skip
    return summary


def _calls(home: Path) -> list[dict[str, Any]]:
    calls = cli(home, "calls", "list", "--campaign", "s", "--json")
    return [cli(home, "calls", "show", c["id"], "--json") for c in calls]


def test_the_campaigns_caller_id_is_what_the_called_phone_receives(
    tmp_path: Path, sipp_env: dict[str, str]
) -> None:
    home = tmp_path / "home"
    _campaign(home, tmp_path, 1, "--caller-id", "1588-5000", "--caller-name", "OO Bank")
    shown = cli(home, "campaign", "show", "s", "--json")
    assert (shown["caller_id"], shown["caller_name"]) == ("+8215885000", "OO Bank")
    with running_sipp(tmp_path, "answer_then_hang_up") as sipp:
        summary = _run(home, sipp_env)
    assert summary["finished"] == 1, summary
    (invite,) = sipp.invites()
    assert '"OO Bank" <sip:+8215885000@' in str(invite.header("From")), invite.text
    assert "+8215885000" in str(invite.header("P-Asserted-Identity")), invite.text
    # Changed and removed by `campaign edit`: the next call shows the trunk's default.
    cli(home, "campaign", "edit", "s", "--caller-id", "02-1234-5678")
    shown = cli(home, "campaign", "show", "s", "--json")
    assert (shown["caller_id"], shown["caller_name"]) == ("+82212345678", "OO Bank")
    cli(home, "campaign", "edit", "s", "--caller-id", "")
    shown = cli(home, "campaign", "show", "s", "--json")
    assert (shown["caller_id"], shown["caller_name"]) == (None, None)


def test_a_trunk_answering_503_is_recorded_as_a_trunk_failure_with_its_cause(
    tmp_path: Path, sipp_env: dict[str, str]
) -> None:
    home = tmp_path / "home"
    _campaign(home, tmp_path, 1)
    with running_sipp(tmp_path, "reject_503"):
        _run(home, sipp_env)
    (call,) = _calls(home)
    assert call["outcome"] == "trunk_failed", call
    assert "SIP 503" in call["cause"]
    (contact,) = cli(home, "contacts", "list", "s", "--json")
    assert contact["status"] == "retry"


@pytest.mark.parametrize("greet", [True, False])
def test_a_silent_pick_up_is_greeted_and_its_amd_cause_stored(
    tmp_path: Path, sipp_env: dict[str, str], greet: bool
) -> None:
    home = tmp_path / "home"
    _campaign(home, tmp_path, 1)
    env = {**sipp_env, "OUTREACH_AMD_GREET_ON_SILENCE": str(greet).lower(),
           "OUTREACH_AMD_INITIAL_SILENCE_MS": "1500"}  # fmt: skip
    # The customer picks up and says nothing for 9 s, then hangs up.
    with running_sipp(tmp_path, "answer_then_hang_up", on_line_ms=9000):
        _run(home, env)
    (call,) = _calls(home)
    robot = [t for t in call["turns"] if t["speaker"] == "robot"]
    assert call["amd"] == "machine" and call["amd_cause"] == "INITIALSILENCE-1500-1500", call
    if greet:
        assert call["outcome"] == "answered" and robot, "the robot greeted the silent line"
    else:
        assert call["outcome"] == "machine" and not robot, call


def _transfer_on_silence(tmp: Path) -> Path:
    """The Korean script, but a greeting met with silence goes straight to an agent."""
    text = resolve_ref("ko-dormant-deposit").read_text(encoding="utf-8")
    reprompt = '    reprompt: "{name} 고객님 맞으신가요? 네 또는 아니요로 말씀해 주세요."\n'
    assert reprompt in text, "the bundled script's greeting changed: update this test"
    text = text.replace(reprompt, reprompt + "    silence: {max: 0, then: close_transfer}\n"
                        "    timeout_s: 2\n", 1)  # fmt: skip
    path = tmp / "transfer-on-silence.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_transferred_calls_hold_their_channel_until_they_end(
    tmp_path: Path, sipp_env: dict[str, str]
) -> None:
    home = tmp_path / "home"
    script = _transfer_on_silence(tmp_path)
    _campaign(home, tmp_path, 3, "--max-channels", "2", "--queue", "sales", script=str(script))
    # SIPp stays on the line until Asterisk hangs up: after the transfer, when the sandbox's
    # agent leaves the queue call (5 s).
    with running_sipp(tmp_path, "answer_silent") as sipp:
        summary = _run(home, {**sipp_env, "OUTREACH_AMD_GREET_ON_SILENCE": "true"})
    calls = _calls(home)
    assert [c["dialog_outcome"] for c in calls] == ["transfer"] * 3, summary
    assert len(sipp.invites()) == 3
    assert sipp.peak_calls() == 2, "the trunk never had more calls than the channel limit"
