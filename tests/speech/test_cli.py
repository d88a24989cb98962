"""The speech commands as a user runs them: JSON shapes, files written, errors in one line."""

from __future__ import annotations

import json
import subprocess
import wave
from pathlib import Path

from typer.testing import CliRunner

from orchestrator.cli import app
from tests.speech.test_models import OUTREACH


def say_to(tmp_path: Path, text: str, rate: int = 8000) -> Path:
    out = tmp_path / "said.wav"
    done = CliRunner().invoke(app, ["--home", str(tmp_path / "home"), "tts", "say", text,
                                    "--voice", "ko", "--out", str(out), "--rate", str(rate)])
    assert done.exit_code == 0, done.output
    return out


def test_tts_say_writes_a_wav_at_the_asked_rate(tmp_path: Path) -> None:
    out = say_to(tmp_path, "안녕하세요", rate=16000)
    with wave.open(str(out)) as f:
        assert (f.getframerate(), f.getnchannels(), f.getsampwidth()) == (16000, 1, 2)
        assert f.getnframes() > 16000 * 0.3
    again = CliRunner().invoke(app, ["--home", str(tmp_path / "home"), "tts", "say",
                                     "안녕하세요", "--rate", "16000"])
    assert again.exit_code == 0 and again.output.startswith("cached:")


def test_asr_transcribe_grammar_json_shape(tmp_path: Path) -> None:
    wav = say_to(tmp_path, "좋아요")
    done = CliRunner().invoke(app, ["--home", str(tmp_path / "home"), "asr", "transcribe",
                                    str(wav), "--grammar", "네,아니요,좋아요", "--json"])
    assert done.exit_code == 0, done.output
    result = json.loads(done.stdout)
    assert set(result) == {"text", "words", "duration_s", "rtf"}
    assert result["text"] == "좋아요"
    [word] = result["words"]
    assert set(word) == {"word", "start", "end", "conf"} and word["word"] == "좋아요"
    assert 0 <= word["start"] < word["end"] <= result["duration_s"]


def test_asr_transcribe_free_vocabulary_table(tmp_path: Path) -> None:
    wav = say_to(tmp_path, "네 좋아요")
    done = CliRunner().invoke(app, ["--home", str(tmp_path / "home"), "asr", "transcribe",
                                    str(wav), "--model", "ko"])
    assert done.exit_code == 0, done.output
    assert "rtf" in done.output and "word" in done.output


def test_errors_a_user_can_cause_print_one_line(tmp_path: Path) -> None:
    not_wav = tmp_path / "notes.wav"
    not_wav.write_text("hello")
    cases = [
        (["asr", "transcribe", str(tmp_path / "missing.wav")], "no such file"),
        (["asr", "transcribe", str(not_wav)], "not a readable PCM WAV"),
        (["asr", "transcribe", str(not_wav), "--model", "nope"], "no model named 'nope'"),
        (["tts", "say", "hi", "--voice", "xx"], "no voice 'xx'"),
        (["models", "verify", "nope"], "no model named"),
    ]
    for args, expected in cases:
        done = subprocess.run([str(OUTREACH), "--home", str(tmp_path / "home"), *args],
                              capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 2, (args, done.stderr)
        assert expected in " ".join(done.stderr.split()), (args, done.stderr)
        assert "Traceback" not in done.stderr
