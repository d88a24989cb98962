"""The voice gate on synthetic and synthesised audio: what is decoded and what is skipped."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from asr_models import AudioFormatError, GateStep, VadConfig, VoiceGate
from tests.speech.conftest import FRAME, silence


def steps(gate: VoiceGate, audio: bytes) -> list[GateStep]:
    return [gate.step(audio[i:i + FRAME]) for i in range(0, len(audio) - FRAME + 1, FRAME)]


def test_speech_is_fed_with_padding_and_silence_is_not(say: Callable[..., bytes]) -> None:
    gate = VoiceGate(8000)
    audio = silence(1.0) + say("아니요") + silence(2.0)
    out = steps(gate, audio)
    starts = [s for s in out if s.started]
    assert len(starts) == 1
    start = starts[0]
    # Decoding begins 300 ms before the frame that confirmed speech, so onsets are not clipped.
    assert len(start.feed) == 16 * FRAME
    assert start.at == pytest.approx(out.index(start) * 0.02 - 0.3)
    fed_s = sum(len(s.feed) for s in out) / 16000
    speech_s = len(say("아니요")) / 16000
    assert fed_s < speech_s + 0.7
    assert not any(s.feed for s in out[-50:])  # the last second of silence costs nothing


def test_faint_hiss_and_clicks_do_not_open_a_turn() -> None:
    rng = np.random.default_rng(7)
    hiss = rng.normal(0, 30, 8000 * 3).astype("<i2").tobytes()  # about -60 dBFS line noise
    click = np.zeros(8000, dtype="<i2")
    click[4000:4080] = 20000  # 10 ms pop
    out = steps(VoiceGate(8000), silence(0.5) + hiss + click.tobytes())
    assert not any(s.started for s in out)
    assert not any(s.feed for s in out)


def test_trailing_silence_is_counted_until_the_turn_ends(say: Callable[..., bytes]) -> None:
    gate = VoiceGate(8000, VadConfig(padding_ms=200))
    out = steps(gate, silence(0.5) + say("네") + silence(1.0))
    assert out[-1].in_speech and out[-1].silence_ms >= 800
    gate.end_turn()
    assert gate.step(bytes(FRAME)).silence_ms == 0


def test_wrong_frame_sizes_and_rates_are_refused() -> None:
    with pytest.raises(AudioFormatError, match="resample first"):
        VoiceGate(22050)
    with pytest.raises(AudioFormatError, match="320 bytes"):
        VoiceGate(8000).step(bytes(100))


def _turns(config: VadConfig, audio: bytes) -> list[tuple[float, float]]:
    """(start, end) of each turn the gate opens, ending it after 700 ms of silence as the
    listener does."""
    gate = VoiceGate(8000, config)
    turns: list[tuple[float, float]] = []
    start = None
    for i in range(0, len(audio) - FRAME + 1, FRAME):
        step = gate.step(audio[i:i + FRAME])
        if step.started:
            start = step.at
        if step.in_speech and step.silence_ms >= 700 and start is not None:
            turns.append((start, gate.time_s))
            gate.end_turn()
            start = None
    return turns


def test_silero_gate_finds_each_answer_in_line_noise_where_webrtc_never_closes(
        say: Callable[..., bytes]) -> None:
    """Two answers in white noise at 10 dB SNR through the phone line (bench/bench_vad.py has the
    figures): Silero opens one turn per answer and closes it; webrtcvad hears speech throughout,
    so the turn never ends and the second answer is never a turn of its own."""
    from asr_models import Pcm
    from asr_models.phoneline import add_noise, through_line

    clean = silence(1.0) + say("네") + silence(2.0) + say("아니요") + silence(2.0)
    noisy = through_line(add_noise(Pcm(clean, 8000), 10.0, seed=3)).data
    silero = _turns(VadConfig(engine="silero"), noisy)
    assert len(silero) == 2
    first_end = (len(silence(1.0) + say("네"))) / 16000
    assert silero[0][0] < first_end < silero[1][0]
    webrtc = _turns(VadConfig(engine="webrtc"), noisy)
    assert len(webrtc) <= 1 and (not webrtc or webrtc[0][1] > silero[1][0])
