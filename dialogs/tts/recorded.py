"""Recorded prompts: a WAV made by a person, read at any rate and channel count and brought to the
call's rate, mono 16-bit, at the loudness of the synthesised prompts it is joined with.

    pcm = load_recording(Path("prompts/greeting_a.wav"), 8000)

Files are read once per process (keyed by path, size and modification time, so a re-recorded
file is picked up). Uncompressed WAV is read (PCM 8, 16, 24 or 32-bit, or float; plain or
extensible headers); anything else is a `TtsError` saying how to convert it.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import soxr

from dialogs.tts.errors import TtsError
from dialogs.tts.kokoro import normalise

CONVERT = "convert it with `sox IN.wav -b 16 OUT.wav` (any rate and channel count is fine)"


def load_recording(path: Path, sample_rate: int) -> bytes:
    """The recording's speech as 16-bit mono PCM at `sample_rate`."""
    try:
        stat = path.stat()
    except OSError as exc:
        raise TtsError(f"recorded prompt {path} cannot be read ({exc.strerror}); check the path "
                       "(relative to the script file)") from exc
    return _load(str(path), stat.st_size, stat.st_mtime_ns, sample_rate)


def describe_recording(path: Path) -> str:
    """'2.4 s, 44100 Hz, 2 channels' for `script check`; TtsError when it is not usable."""
    wav = read_wav_file(path)
    seconds = wav.frames / wav.rate
    many = "s" if wav.channels > 1 else ""
    return f"{seconds:.1f} s, {wav.rate} Hz, {wav.channels} channel{many}"


@dataclass(frozen=True)
class WavData:
    samples: np.ndarray  # float64 in [-1, 1], interleaved
    rate: int
    channels: int

    @property
    def frames(self) -> int:
        return len(self.samples) // self.channels


def read_wav_file(path: Path) -> WavData:
    """A RIFF WAV's samples: PCM 8/16/24/32-bit or IEEE float, plain or WAVE_FORMAT_EXTENSIBLE
    (what recording software writes for 24-bit or multichannel audio, which Python's `wave`
    module of 3.11 refuses)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise TtsError(f"recorded prompt {path} does not exist; check the path (relative to "
                       "the script file)") from None
    except OSError as exc:
        raise TtsError(f"recorded prompt {path} cannot be read ({exc.strerror})") from exc
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise TtsError(f"recorded prompt {path} is not a PCM WAV file; {CONVERT}")
    fmt: tuple[int, int, int, int] | None = None
    pos = 12
    while pos + 8 <= len(data):
        cid, size = data[pos:pos + 4], struct.unpack_from("<I", data, pos + 4)[0]
        body = data[pos + 8:pos + 8 + size]
        if cid == b"fmt " and len(body) >= 16:
            tag, channels, rate = struct.unpack_from("<HHI", body)
            bits = struct.unpack_from("<H", body, 14)[0]
            if tag == 0xFFFE and len(body) >= 26:  # extensible: the real format is in the GUID
                tag = struct.unpack_from("<H", body, 24)[0]
            fmt = (tag, channels, rate, bits)
        elif cid == b"data" and fmt is not None:
            return _decode(path, body, *fmt)
        pos += 8 + size + (size & 1)
    raise TtsError(f"recorded prompt {path} has no audio data; {CONVERT}")


def _decode(path: Path, body: bytes, tag: int, channels: int, rate: int, bits: int) -> WavData:
    if channels < 1 or rate < 1000:
        raise TtsError(f"recorded prompt {path} has a broken header; {CONVERT}")
    if tag == 1 and bits in (8, 16, 24, 32):
        samples = _as_float(body[: len(body) - len(body) % (bits // 8)], bits // 8)
    elif tag == 3 and bits in (32, 64):
        kind = "<f4" if bits == 32 else "<f8"
        samples = np.frombuffer(body[: len(body) - len(body) % (bits // 8)], dtype=kind)
        samples = samples.astype(np.float64)
    else:
        raise TtsError(f"recorded prompt {path} is not PCM (format {tag}, {bits} bits); "
                       f"{CONVERT}")
    samples = samples[: len(samples) - len(samples) % channels]
    if samples.size == 0:
        raise TtsError(f"recorded prompt {path} holds no audio; record it again")
    return WavData(samples, rate, channels)


@lru_cache(maxsize=512)
def _load(path: str, _size: int, _mtime: int, sample_rate: int) -> bytes:
    wav = read_wav_file(Path(path))
    samples = wav.samples.reshape(-1, wav.channels).mean(axis=1)
    if wav.rate != sample_rate:
        samples = soxr.resample(samples, wav.rate, sample_rate)
    pcm = np.asarray(np.clip(samples * 32767, -32768, 32767), dtype="<i2")
    return bytes(normalise(pcm).tobytes())


def _as_float(raw: bytes, width: int) -> np.ndarray:
    if width == 1:
        return (np.frombuffer(raw, dtype=np.uint8).astype(np.float64) - 128) / 128
    if width == 2:
        return np.frombuffer(raw, dtype="<i2").astype(np.float64) / 32768
    if width == 3:
        b = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        value = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
        return np.where(value >= 1 << 23, value - (1 << 24), value).astype(np.float64) / (1 << 23)
    return np.frombuffer(raw, dtype="<i4").astype(np.float64) / (1 << 31)
