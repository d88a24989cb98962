"""The simulated phone line: G.711 round trips keep speech-level audio, noise lands at its SNR."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from asr_models import Pcm
from asr_models.phoneline import Line, alaw_decode, alaw_encode, ulaw_decode, ulaw_encode

Codec = Callable[[np.ndarray], np.ndarray]


def snr_db(clean: np.ndarray, heard: np.ndarray) -> float:
    err = heard.astype(np.float64) - clean.astype(np.float64)
    return float(10 * np.log10(np.mean(clean.astype(np.float64) ** 2) / np.mean(err**2)))


@pytest.mark.parametrize(("encode", "decode"), [(ulaw_encode, ulaw_decode),
                                                (alaw_encode, alaw_decode)])
def test_a_codec_round_trip_keeps_a_voice_level_tone(encode: Codec, decode: Codec) -> None:
    t = np.arange(8000) / 8000
    tone = (8000 * np.sin(2 * np.pi * 440 * t)).astype(np.int16)
    back = decode(encode(tone))
    assert back.dtype == np.int16 and 30 < snr_db(tone, back) < 45  # G.711: about 38 dB
    ramp = np.arange(-32768, 32768, 64, dtype=np.int16)
    assert np.all(np.diff(decode(encode(ramp)).astype(np.int32)) >= 0)  # order is kept
    assert set(np.unique(encode(ramp))) <= set(range(256))


def test_the_line_resamples_and_adds_noise_at_the_asked_snr() -> None:
    t = np.arange(16000) / 16000
    voice = (6000 * np.sin(2 * np.pi * 300 * t)).astype("<i2").tobytes()
    heard = Line("alaw", 15.0).carry(Pcm(voice, 16000), seed=3)
    assert heard.rate == 8000 and abs(heard.duration_s - 1.0) < 0.01
    clean = Line("alaw", None).carry(Pcm(voice, 16000))
    measured = snr_db(np.frombuffer(clean.data, "<i2"), np.frombuffer(heard.data, "<i2"))
    assert 14.0 < measured < 16.0
    assert heard == Line("alaw", 15.0).carry(Pcm(voice, 16000), seed=3)  # seeded: repeatable
    with pytest.raises(ValueError, match="unknown codec"):
        Line("gsm")
