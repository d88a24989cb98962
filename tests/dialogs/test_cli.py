"""`outreach script check|run|chat|list` through the real CLI app (CliRunner and a subprocess)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from orchestrator.cli import app

runner = CliRunner()
OUTREACH = Path(sys.executable).parent / "outreach"


def test_check_json_shape_for_a_bundled_script() -> None:
    result = runner.invoke(app, ["script", "check", "ko-dormant-deposit", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"ok": True, "errors": [], "warnings": [], "states": 12}


def test_check_fails_with_located_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "name: x\nlanguage: en-us\nvoice: en-us\non_behalf_of: Acme\nstart: nowhere\n"
        "intents: {}\nstates: {}\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["script", "check", str(bad), "--json"])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["ok"] is False
    assert f"{bad}:5: start state 'nowhere' does not exist" in report["errors"]
    human = runner.invoke(app, ["script", "check", str(bad)])
    assert "error:" in human.stdout and "failed" in human.stdout


def test_run_json_for_an_interested_korean_customer() -> None:
    result = runner.invoke(app, [
        "script", "run", "ko-dormant-deposit", "--var", "name=김민수",
        "--say", "네", "--say", "좋아요", "--say", "네", "--json",
    ])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert set(out) == {"turns", "outcome", "score", "tier", "score_breakdown"}
    assert [t["intent"] for t in out["turns"]] == ["yes", "interested", "yes", None]
    assert [t["customer"] for t in out["turns"]] == ["네", "좋아요", "네", None]
    assert "김민수" in out["turns"][0]["robot"] and "AI" in out["turns"][0]["robot"]
    assert (out["outcome"], out["score"], out["tier"]) == ("transfer", 100, "hot")
    assert out["score_breakdown"][0] == {"points": 10, "reason": "greeting: yes (본인 확인)"}


def test_run_with_answers_running_out_means_silence() -> None:
    result = runner.invoke(app, ["script", "run", "en-dormant-deposit", "--var", "name=Sam",
                                 "--say", "yes", "--json"])
    out = json.loads(result.stdout)
    assert out["outcome"] == "no_response"
    assert [t["intent"] for t in out["turns"]][1:4] == ["silence", "silence", "silence"]


def test_run_needs_the_contact_name() -> None:
    result = runner.invoke(app, ["script", "run", "en-dormant-deposit", "--say", "yes"])
    assert result.exit_code != 0
    assert "name" in str(result.exception)


def test_chat_in_a_plain_terminal() -> None:
    typed = "who is this\nyes\n\nnot really interested\n"
    result = runner.invoke(app, ["script", "chat", "en-dormant-deposit", "--var", "name=Sam"],
                           input=typed)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "automated assistant calling on behalf of Harbor Savings Bank" in out
    assert "intent: who" in out and "intent: yes" in out and "intent: not_interested" in out
    assert "Sorry, I didn't hear anything." in out  # the empty line was silence
    assert "outcome: not_interested" in out


def test_chat_end_of_input_hangs_up() -> None:
    result = runner.invoke(app, ["script", "chat", "cmn-dormant-deposit", "--var", "name=王伟"],
                           input="好的\n")
    assert result.exit_code == 0
    assert "intent: yes" in result.stdout and "outcome: hung_up" in result.stdout


def test_list_bundled_scripts_json() -> None:
    result = runner.invoke(app, ["script", "list", "--json"])
    rows = json.loads(result.stdout)
    assert {r["name"]: r["voice"] for r in rows} == {
        "cmn-dormant-deposit": "kokoro:jm_kumo", "en-dormant-deposit": "en-us",
        "ko-dormant-deposit": "ko"}
    assert {r["name"]: r["engine"] for r in rows}["cmn-dormant-deposit"] == "kokoro"


def test_errors_print_one_line_without_a_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "broken.yaml"
    bad.write_text("name: [unclosed\n", encoding="utf-8")
    proc = subprocess.run([str(OUTREACH), "script", "run", str(bad), "--say", "yes"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    message = " ".join(proc.stderr.split())  # rich wraps long lines
    assert f"{bad}:2: not valid YAML" in message
    proc = subprocess.run([str(OUTREACH), "script", "check", "no-such-script"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "bundled" in proc.stderr
