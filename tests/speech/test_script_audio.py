"""`outreach script run --audio`: WAV answers heard through the live call's recognition path."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from typer.testing import CliRunner

from orchestrator.cli import app
from tests.speech.test_cli import say_to
from tests.speech.test_models import OUTREACH


def run(tmp_path: Path, *args: str) -> tuple[int, str]:
    done = CliRunner().invoke(app, ["--home", str(tmp_path / "home"), "script", "run",
                                    "ko-dormant-deposit", "--var", "name=김민수", *args])
    return done.exit_code, done.output


def test_audio_answers_are_heard_with_the_states_grammar(tmp_path: Path) -> None:
    yes = say_to(tmp_path, "네")
    code, output = run(tmp_path, "--audio", str(yes), "--json")
    assert code == 0, output
    first = json.loads(output)["turns"][0]
    assert (first["audio"], first["customer"], first["intent"]) == (str(yes), "네", "yes")
    assert first["doubtful"] is False and 0.0 < first["confidence"] <= 1.0


def test_an_off_script_question_is_not_taken_as_an_opt_out(tmp_path: Path) -> None:
    # "What is the rate?" is forced onto grammar words by the model (no [unk]); the hearing is
    # doubtful, so the robot confirms instead of blocking the number.
    code, output = run(tmp_path, "--audio", str(say_to(tmp_path, "네")),
                       "--audio", str(say_to(tmp_path, "금리가 얼마예요")), "--json")
    assert code == 0, output
    result = json.loads(output)
    assert result["outcome"] != "opt_out"
    assert result["turns"][1]["doubtful"] is True


def test_a_bad_wav_is_one_line_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.wav"
    bad.write_text("not audio")
    done = subprocess.run([OUTREACH, "--home", str(tmp_path / "home"), "script", "run",
                           "ko-dormant-deposit", "--var", "name=김민수", "--audio", str(bad)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert "bad.wav" in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_hearing_doubts_under_the_scripts_one_threshold(tmp_path: Path) -> None:
    # espeak-ng's 예 is heard as 네 at about 0.84: sure enough under the bundled 0.6, doubtful
    # once the script's `defaults.confirm_below` (the one doubt setting) is raised above it.
    scripts = Path(__file__).resolve().parents[2] / "dialogs" / "scripts"
    bundled = scripts / "ko-dormant-deposit.yaml"
    strict = tmp_path / "strict.yaml"
    strict.write_text(bundled.read_text(encoding="utf-8").replace(
        "confirm_below: 0.6", "confirm_below: 0.95"), encoding="utf-8")
    wav = say_to(tmp_path, "예")
    code, output = run(tmp_path, "--audio", str(wav), "--json")
    assert code == 0, output
    first = json.loads(output)["turns"][0]
    assert first["intent"] == "yes" and 0.6 <= first["confidence"] < 0.95
    assert first["doubtful"] is False
    done = CliRunner().invoke(app, ["--home", str(tmp_path / "home"), "script", "run",
                                    str(strict), "--var", "name=김민수", "--audio", str(wav),
                                    "--json"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.output)["turns"][0]["doubtful"] is True
