"""A simulated telephone line for tests and benchmarks: what a caller's voice becomes on its way
to the robot, so that recognition and voice-gate figures are not measured on studio audio.

`through_line` resamples to 8 kHz, band-limits to the 300-3400 Hz telephone band and round-trips
G.711 mu-law (the codec of the sandbox's SIP trunk); `add_noise` mixes noise at a given SNR first
(white, or babble-like noise shaped to the speech band), as a street or an office would.
"""

from __future__ import annotations

from dataclasses import dataclass
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


def _telephone_band(pcm: Pcm) -> np.ndarray:
    """`pcm` as floats at 8 kHz, band-limited to 300-3400 Hz: what every line does first."""
    x = _floats(pcm)
    if pcm.rate != TELEPHONY_RATE:
        x = soxr.resample(x, pcm.rate, TELEPHONY_RATE)
    return _band(np.asarray(x), TELEPHONY_RATE)


def through_line(pcm: Pcm) -> Pcm:
    """`pcm` as it arrives over a G.711 telephone call: 8 kHz, 300-3400 Hz, mu-law."""
    return _pcm(_mulaw(_telephone_band(pcm)), TELEPHONY_RATE)


# ---- G.711 as the ITU tables (Asterisk's codecs): exact mu-law and A-law codes ----------------

_U_SEG_END = np.array([0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF])
_A_SEG_END = np.array([0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF])
_BIAS = 0x84


def ulaw_encode(samples: np.ndarray) -> np.ndarray:
    x = samples.astype(np.int32) >> 2  # 14-bit, as the Sun/ITU reference code
    mask = np.where(x < 0, 0x7F, 0xFF)
    mag = np.minimum(np.abs(x), 8159) + 0x21
    seg = np.searchsorted(_U_SEG_END, mag)
    code = np.where(seg >= 8, 0x7F, (seg << 4) | ((mag >> (seg + 1)) & 0x0F))
    return (code ^ mask).astype(np.uint8)


def ulaw_decode(codes: np.ndarray) -> np.ndarray:
    u = ~codes.astype(np.int32) & 0xFF
    exponent = (u >> 4) & 0x07
    mag = (((u & 0x0F) << 3) + _BIAS) << exponent
    return np.where(u & 0x80, _BIAS - mag, mag - _BIAS).astype(np.int16)


def alaw_encode(samples: np.ndarray) -> np.ndarray:
    x = samples.astype(np.int32) >> 3  # 13-bit
    mask = np.where(x >= 0, 0xD5, 0x55)
    x = np.where(x >= 0, x, -x - 1)
    seg = np.searchsorted(_A_SEG_END, x)  # first segment whose end is >= x
    low = np.where(seg < 2, (x >> 1) & 0x0F, (x >> np.maximum(seg, 1)) & 0x0F)
    code = np.where(seg >= 8, 0x7F, (seg << 4) | low)
    return ((code ^ mask) & 0xFF).astype(np.uint8)


def alaw_decode(codes: np.ndarray) -> np.ndarray:
    a = codes.astype(np.int32) ^ 0x55
    seg = (a & 0x70) >> 4
    t = (a & 0x0F) << 4
    t = np.where(seg == 0, t + 8, (t + 0x108) << np.maximum(seg - 1, 0))
    return np.where(a & 0x80, t, -t).astype(np.int16)


CODECS = {"ulaw": (ulaw_encode, ulaw_decode), "alaw": (alaw_encode, alaw_decode)}


@dataclass(frozen=True, slots=True)
class Line:
    """One simulated trunk: 8 kHz, the telephone band, a G.711 codec (mu-law as in Korea, A-law
    as in China), then white noise at `snr_db` (None: none). Seeded, so a call sounds the same
    again."""

    codec: str = "ulaw"
    snr_db: float | None = 20.0

    def __post_init__(self) -> None:
        if self.codec not in CODECS:
            raise ValueError(f"unknown codec {self.codec!r} (known: {', '.join(CODECS)})")

    def carry(self, pcm: Pcm, seed: int = 0) -> Pcm:
        """`pcm` as the far end hears it."""
        encode, decode = CODECS[self.codec]
        band = np.clip(_telephone_band(pcm) * 32768.0, -32768, 32767)
        heard = decode(encode(band.astype(np.int16))).astype(np.float64)
        if self.snr_db is not None and heard.size:
            power = float(np.mean(heard**2))
            rng = np.random.default_rng(seed)
            heard = heard + rng.normal(0.0, np.sqrt(power / 10 ** (self.snr_db / 10)), heard.size)
        out = np.clip(np.round(heard), -32768, 32767).astype("<i2")
        return Pcm(out.tobytes(), TELEPHONY_RATE)
