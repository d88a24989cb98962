"""`script eval --spoken`: the answers quoted in issue 9, spoken by each caller voice over a
simulated G.711 line with noise, heard by the real Korean model; no harmful outcome with doubt,
while the grammar-only hearing of the same audio (the old live path) blocks or loses opt-outs."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from typer.testing import CliRunner

from orchestrator.cli import app
from tests.speech.test_models import OUTREACH

QUOTED = """\
script: ko-dormant-deposit
cases:
  greeting:
    "no": ["아닌데요"]
    opt_out: ["전화 그만하세요"]
  reason:
    ask_rate: ["금리가 얼마예요"]
    not_interested: ["됐어요"]
    opt_out: ["전화 그만하세요"]
"""


def test_quoted_answers_spoken_by_every_voice_do_no_harm(tmp_path: Path) -> None:
    corpus = tmp_path / "quoted.yaml"
    corpus.write_text(QUOTED, encoding="utf-8")
    done = CliRunner().invoke(app, ["--home", str(tmp_path / "home"), "script", "eval",
                                    "ko-dormant-deposit", "--corpus", str(corpus), "--spoken",
                                    "--json"])
    assert done.exit_code == 0, done.output
    result = json.loads(done.stdout)
    voices = result["voices"]
    assert len(voices) >= 3 and result["answers_per_voice"] == 5
    for v in voices:
        heard = [(r["text"], r["heard"], r["action"]) for r in v["adopted"]["results"]]
        invented = [r for r in v["adopted"]["results"]
                    if r["harm"] and not r["harm"].startswith("missed opt-out")]  # fmt: skip
        assert invented == [], (v["voice"], heard)  # no opt-out, lead or transfer not asked for
        assert all(r["heard"] for r in v["adopted"]["results"])  # speech was heard
    # A stop-calling request can still be misheard as a confident grammar word (espeak's output
    # varies slightly from run to run, and one voice's "전화 그만하세요" is then and again heard as
    # "아니요": docs/dialogs.md, known spoken limits), so missed opt-outs are compared with the old
    # grammar-only hearing of the same audio, which loses and invents them.
    live = sum(v["adopted"]["harmful"] for v in voices)
    assert live < sum(v["grammar_only"]["harmful"] for v in voices)
    assert live <= 1, [v["adopted"]["harm"] for v in voices]


def test_unknown_voice_is_one_line(tmp_path: Path) -> None:
    corpus = tmp_path / "quoted.yaml"
    corpus.write_text(QUOTED, encoding="utf-8")
    done = subprocess.run([OUTREACH, "--home", str(tmp_path / "home"), "script", "eval",
                           "ko-dormant-deposit", "--corpus", str(corpus), "--spoken", "--voice",
                           "robotic"], capture_output=True, text=True, timeout=120)
    assert done.returncode != 0 and "no caller voice robotic" in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
