"""One outcome vocabulary (issue 12): the names a call can end with, their retry rules and whether
they are a result of the conversation, in campaigns.policy.OUTCOMES; the script checker takes its
script outcomes from there, so a script ending with a name the retry policy does not know is
refused by `script check` and `campaign create` in one line, instead of being retried as
"unknown"."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from campaigns.errors import InvalidInput
from campaigns.policy import (
    DEFAULT_RETRY,
    OUTCOMES,
    SCRIPT_OUTCOMES,
    CallingPolicy,
    ContactProgress,
    after_attempt,
    make_windows,
    parse_retry,
)
from dialogs import HUNG_UP, bundled_scripts, load_script
from dialogs.script import resolve_ref
from telephony.base import DialOutcome
from tests.campaigns.helpers import T0

OUTREACH = str(Path(sys.executable).parent / "outreach")


def _script_ending_with(tmp_path: Path, outcome: str) -> Path:
    text = resolve_ref("en-dormant-deposit").read_text(encoding="utf-8")
    assert "    outcome: not_interested\n" in text
    path = tmp_path / "declined.yaml"
    path.write_text(text.replace("    outcome: not_interested\n", f"    outcome: {outcome}\n"),
                    encoding="utf-8")  # fmt: skip
    return path


@pytest.mark.parametrize("command", ["check", "create"])
def test_a_script_outcome_the_retry_policy_does_not_know_is_refused_in_one_line(
    tmp_path: Path, command: str
) -> None:
    script = str(_script_ending_with(tmp_path, "declined"))
    args = (["script", "check", script] if command == "check"
            else ["campaign", "create", "c", "--script", script])  # fmt: skip
    # The real command, as a manager runs it (errors go to stderr); a wide terminal, or Rich
    # would wrap the line at 80 columns.
    env = {**os.environ, "OUTREACH_HOME": str(tmp_path / "home"), "COLUMNS": "400"}
    result = subprocess.run([OUTREACH, *args], env=env, capture_output=True, text=True,
                            timeout=120)  # fmt: skip
    output = result.stdout + result.stderr
    assert result.returncode != 0 and "Traceback" not in output, output
    (line,) = [ln for ln in output.splitlines() if "'declined'" in ln]
    assert "is not an outcome the retry policy knows" in line, output
    assert "not_interested" in line, "it says which names may be used"
    if command == "create":
        listed = subprocess.run([OUTREACH, "campaign", "list", "--json"], env=env,
                                capture_output=True, text=True, timeout=120)  # fmt: skip
        assert json.loads(listed.stdout or "[]") == [], "no campaign was created"


def test_every_outcome_a_call_can_end_with_has_a_rule() -> None:
    """Dial results, script end states, the engine's and the orchestrator's own outcomes."""
    produced = {d.value for d in DialOutcome} | {"machine", "expired", "invalid"}
    produced |= {s.outcome for name in bundled_scripts()
                 for s in load_script(name).model.states.values() if s.outcome}  # fmt: skip
    produced |= {HUNG_UP, "error", "interrupted", "degraded"}
    assert produced <= set(OUTCOMES), produced - set(OUTCOMES)
    policy = CallingPolicy(make_windows("00:00-24:00", "mon-sun"), max_attempts=10)
    progress = ContactProgress(0, 0, None, "Asia/Seoul")
    for name in sorted(set(OUTCOMES) - {"answered", "invalid"}):
        rule = OUTCOMES[name]
        dial, dialog = ("answered", name) if rule.column == "dialog_outcome" else (name, None)
        d = after_attempt(policy, progress, dial, T0, dialog_outcome=dialog)
        assert "unknown" not in d.reason or name == "unknown", (name, d)
        if rule.retry is None:
            assert d.status in ("done", "dnc"), (name, d)
        else:
            assert d.status == "retry" and d.next_at is not None, (name, d)
            assert d.next_at - T0 >= rule.retry - timedelta(seconds=1), (name, d)
    assert set(SCRIPT_OUTCOMES) <= {n for n, r in OUTCOMES.items() if r.column == "dialog_outcome"}


def test_a_retry_rule_for_an_outcome_that_is_never_retried_says_so() -> None:
    with pytest.raises(InvalidInput) as err:
        parse_retry("interested=2h")
    assert "interested is never retried" in str(err.value)
    assert "no_response" in str(err.value) and "interested" not in str(err.value).split(";")[1]
    assert parse_retry("error=30m") == {"error": timedelta(minutes=30)}
    assert set(DEFAULT_RETRY) == {n for n, r in OUTCOMES.items() if r.retry is not None}
