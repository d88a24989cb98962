"""A simulated telephone line for tests and benchmarks: what a caller's voice becomes on its way
to the robot, so that recognition and voice-gate figures are not measured on studio audio.

`through_line` resamples to 8 kHz, band-limits to the 300-3400 Hz telephone band and round-trips
G.711 mu-law (the codec of the sandbox's SIP trunk); `add_noise` mixes noise at a given SNR first
(white, or babble-like noise shaped to the speech band), as a street or an office would.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import soxr

from asr_models.audio import TELEPHONY_RATE, Pcm

Noise = Literal["white", "babble"]
MU = 255.0


def _floats(pcm: Pcm) -> np.ndarray:
    return np.frombuffer(pcm.data, dtype="<i2").astype(np.float64) / 32768.0


def _pcm(samples: np.ndarray, rate: int) -> Pcm:
    clipped = np.clip(samples, -1.0, 1.0 - 1 / 32768)
    return Pcm((clipped * 32768.0).astype("<i2").tobytes(), rate)


def _band(samples: np.ndarray, rate: int, low: float = 300.0, high: float = 3400.0) -> np.ndarray:
    spectrum = np.fft.rfft(samples)
    freqs = np.fft.rfftfreq(len(samples), 1 / rate)
    spectrum[(freqs < low) | (freqs > high)] = 0
    out: np.ndarray = np.fft.irfft(spectrum, len(samples))
    return out


def _mulaw(samples: np.ndarray) -> np.ndarray:
    """Encode to 8-bit mu-law and back: the codec's quantisation noise."""
    encoded = np.sign(samples) * np.log1p(MU * np.abs(samples)) / np.log1p(MU)
    levels = np.round((encoded + 1) / 2 * 255) / 255 * 2 - 1
    out: np.ndarray = np.sign(levels) * np.expm1(np.abs(levels) * np.log1p(MU)) / MU
    return out


def add_noise(pcm: Pcm, snr_db: float, kind: Noise = "white", seed: int = 0) -> Pcm:
    """`pcm` with noise whose power is `snr_db` below the speech's (measured on the loud part)."""
    x = _floats(pcm)
    rng = np.random.default_rng(seed)
    noise = rng.standard_normal(len(x))
    if kind == "babble":  # speech-shaped: energy where voices are, not flat like hiss
        noise = _band(noise, pcm.rate, 200.0, 2500.0)
    frame = max(1, pcm.rate // 50)
    n = len(x) // frame
    power = np.mean(x[: n * frame].reshape(n, frame) ** 2, axis=1) if n else np.array([0.0])
    loud = power[power > 0.1 * power.max()] if power.max() > 0 else power
    speech_power = float(np.mean(loud)) if len(loud) else 0.0
    noise *= np.sqrt(speech_power / 10 ** (snr_db / 10) / max(float(np.mean(noise**2)), 1e-12))
    return _pcm(x + noise, pcm.rate)


def through_line(pcm: Pcm) -> Pcm:
    """`pcm` as it arrives over a G.711 telephone call: 8 kHz, 300-3400 Hz, mu-law."""
    x = _floats(pcm)
    if pcm.rate != TELEPHONY_RATE:
        x = soxr.resample(x, pcm.rate, TELEPHONY_RATE)
    return _pcm(_mulaw(_band(np.asarray(x), TELEPHONY_RATE)), TELEPHONY_RATE)
