"""Recorded prompts: WAVs named by the script (relative to it), checked by `script check`, read
at any rate and channel count, joined with synthesised parts such as the customer's name."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from dialogs import check_script, load_script
from dialogs.tts import PromptCache, Pyttsx3Engine, TtsError
from dialogs.tts.recorded import load_recording
from orchestrator.prompt_audio import call_specs, prompt_pcm
from tests.dialogs.test_checker import GOOD
from tests.speech.conftest import run


def record(path: Path, text: str, rate: int = 44100, channels: int = 2, bits: int = 24) -> Path:
    """A "studio" recording: espeak-ng speech converted by sox to a rate and format unlike the
    call's (what a recording booth delivers)."""
    raw = path.with_suffix(".raw.wav")
    subprocess.run(["espeak-ng", "-v", "en-us", "-w", str(raw), text], check=True)
    subprocess.run(["sox", str(raw), "-r", str(rate), "-c", str(channels), "-b", str(bits),
                    str(path)], check=True)
    return path


def script_with(tmp_path: Path, recordings: str) -> Path:
    text = GOOD.replace("states:\n", f"recordings:\n{recordings}states:\n", 1)
    path = tmp_path / "rec.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_recording_at_44khz_stereo_is_read_at_the_call_rate(tmp_path: Path) -> None:
    wav = record(tmp_path / "bye.wav", "Goodbye, and thank you.")
    seconds = float(subprocess.run(["soxi", "-D", str(wav)], capture_output=True, text=True,
                                   check=True).stdout)
    pcm = load_recording(wav, 8000)
    assert len(pcm) / 2 / 8000 == pytest.approx(seconds, abs=0.01)  # resampled, mono
    level = np.frombuffer(pcm, dtype="<i2").astype(float) / 32768
    assert 0.05 < float(np.abs(level).max()) <= 0.9


def test_recorded_parts_play_around_the_synthesised_name(tmp_path: Path) -> None:
    record(tmp_path / "hello_a.wav", "Hi")
    record(tmp_path / "hello_b.wav", "this is an automated assistant for Acme Bank.",
           rate=16000, channels=1, bits=16)
    path = script_with(tmp_path, "  hello: [{wav: hello_a.wav}, {say: '{name}'}, "
                                 "{wav: hello_b.wav}]\n  bye: bye.wav\n")
    record(tmp_path / "bye.wav", "Goodbye.")
    assert check_script(path).ok, check_script(path).errors
    script = load_script(path)
    cache = PromptCache(tmp_path / "prompts", Pyttsx3Engine())
    values = {"name": "Alice"}
    text = script.render("hello", values)
    _, made = run(prompt_pcm, cache, script, "hello", text, values)
    assert made == 1  # only the name is synthesised; the recorded parts never are
    pcm, made = run(prompt_pcm, cache, script, "hello", text, values)
    name = run(cache.get, script.voice.spec("Alice"))
    assert made == 0 and name.cached
    expected = (load_recording(tmp_path / "hello_a.wav", 8000) + name.pcm
                + load_recording(tmp_path / "hello_b.wav", 8000))
    assert pcm == expected
    # Rendering ahead of the call synthesises only the name, not the recorded text.
    specs = {s.text for s in call_specs(script, values)}
    assert "Alice" in specs and text not in specs and "Goodbye." not in specs
    bye, _ = run(prompt_pcm, cache, script, "bye", "Goodbye.", values)
    assert bye == load_recording(tmp_path / "bye.wav", 8000)


def test_script_check_names_missing_unreadable_and_unknown(tmp_path: Path) -> None:
    (tmp_path / "notes.wav").write_text("not audio", encoding="utf-8")
    path = script_with(tmp_path, "  hello: [{wav: gone.wav}, {say: '{name} {nick}'}]\n"
                                 "  bye: notes.wav\n  goodbye: bye.wav\n")
    report = check_script(path)
    errors = [str(e) for e in report.errors]
    assert any("gone.wav does not exist" in e and "relative to the script" in e for e in errors)
    assert any("notes.wav is not a PCM WAV file" in e and "sox" in e for e in errors)
    assert any("recordings.goodbye: no prompt has this id" in e for e in errors)
    assert any("variable 'nick' that is not declared" in e for e in errors)
    assert all(":" in e.split("rec.yaml")[1][:2] for e in errors)  # each error has its line


def test_a_recording_that_never_says_the_name_is_warned(tmp_path: Path) -> None:
    record(tmp_path / "hello.wav", "Hello, this is an automated assistant for Acme Bank.")
    report = check_script(script_with(tmp_path, "  hello: hello.wav\n"))
    assert report.ok
    assert any("recordings.hello" in str(w) and "{name}" in str(w) for w in report.warnings)


def test_a_file_removed_after_the_check_fails_the_prompt_clearly(tmp_path: Path) -> None:
    record(tmp_path / "bye.wav", "Goodbye.")
    script = load_script(script_with(tmp_path, "  bye: bye.wav\n"))
    (tmp_path / "bye.wav").unlink()
    cache = PromptCache(tmp_path / "prompts", Pyttsx3Engine())
    with pytest.raises(TtsError, match=r"bye.wav cannot be read"):
        run(prompt_pcm, cache, script, "bye", "Goodbye.", {"name": "A"})
