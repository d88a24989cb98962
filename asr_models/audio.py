"""PCM helpers for recognition: WAV reading and streaming resampling to the recogniser's rate.

Telephony audio is 8 kHz signed 16-bit little-endian mono; anything else is converted here, once,
with soxr (audioop is gone from Python 3.13).
"""

from __future__ import annotations

import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soxr

from asr_models.errors import AudioFormatError

TELEPHONY_RATE = 8000
SAMPLE_WIDTH = 2


@dataclass(frozen=True, slots=True)
class Pcm:
    """Signed 16-bit mono samples at `rate` Hz."""

    data: bytes
    rate: int

    @property
    def duration_s(self) -> float:
        return len(self.data) / SAMPLE_WIDTH / self.rate


def read_wav(path: Path) -> Pcm:
    """A WAV file's samples; stereo is mixed down, other sample widths are refused with advice."""
    try:
        with wave.open(str(path), "rb") as f:
            width, channels, rate = f.getsampwidth(), f.getnchannels(), f.getframerate()
            raw = f.readframes(f.getnframes())
    except FileNotFoundError:
        raise AudioFormatError(f"{path}: no such file") from None
    except (wave.Error, EOFError, OSError) as exc:
        raise AudioFormatError(
            f"{path} is not a readable PCM WAV file ({exc}); convert it with "
            f"`sox IN -b 16 -c 1 OUT.wav`"
        ) from exc
    if width != SAMPLE_WIDTH:
        raise AudioFormatError(
            f"{path} has {8 * width}-bit samples; recognition needs 16-bit PCM "
            f"(convert with `sox IN -b 16 -c 1 OUT.wav`)"
        )
    samples = np.frombuffer(raw, dtype="<i2")
    if channels > 1:
        samples = samples.reshape(-1, channels).mean(axis=1).astype("<i2")
    return Pcm(samples.tobytes(), rate)


class Resampler:
    """Streaming conversion of 16-bit PCM chunks from one rate to another (a no-op when equal).

    soxr keeps filter state between chunks, so 20 ms frames resample without clicks at the joins.
    """

    def __init__(self, in_rate: int, out_rate: int) -> None:
        if in_rate <= 0 or out_rate <= 0:
            raise AudioFormatError(f"invalid sample rate {in_rate} -> {out_rate}")
        self.in_rate = in_rate
        self.out_rate = out_rate
        self._stream = None
        if in_rate != out_rate:
            self._stream = soxr.ResampleStream(in_rate, out_rate, 1, dtype="int16")

    def convert(self, pcm: bytes, last: bool = False) -> bytes:
        if len(pcm) % SAMPLE_WIDTH:
            raise AudioFormatError(
                f"a PCM chunk of {len(pcm)} bytes is not whole 16-bit samples"
            )
        if self._stream is None:
            return pcm
        samples = np.frombuffer(pcm, dtype="<i2")
        out: np.ndarray = self._stream.resample_chunk(samples, last=last)
        return out.astype("<i2").tobytes()


def resample(pcm: Pcm, rate: int) -> Pcm:
    """The whole of `pcm` at `rate`."""
    if pcm.rate == rate:
        return pcm
    return Pcm(Resampler(pcm.rate, rate).convert(pcm.data, last=True), rate)
