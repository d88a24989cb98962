"""Fixtures for the telephony tests: the anyio backend, and real espeak-ng speech at 8 kHz."""

from __future__ import annotations

import io
import subprocess
import wave
from collections.abc import Awaitable, Callable

import anyio
import numpy as np
import pytest
import soxr

Speak = Callable[[str, str], Awaitable[bytes]]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def espeak_pcm(text: str, language: str) -> bytes:
    """`text` spoken by espeak-ng (voice = language: ko, cmn, en-us) as 8 kHz s16le mono."""
    wav = subprocess.run(
        ["espeak-ng", "-v", language, "--stdout", text], check=True, capture_output=True
    ).stdout
    with wave.open(io.BytesIO(wav)) as w:
        rate = w.getframerate()
        samples = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    resampled = soxr.resample(samples, rate, 8000)
    return np.asarray(resampled, dtype="<i2").tobytes()


@pytest.fixture(scope="session")
def speak() -> Speak:
    """The TTS the orchestrator would inject: espeak-ng in a worker thread, cached per phrase."""
    cache: dict[tuple[str, str], bytes] = {}

    async def _speak(text: str, language: str) -> bytes:
        key = (text, language)
        if key not in cache:
            cache[key] = await anyio.to_thread.run_sync(espeak_pcm, text, language)
        return cache[key]

    return _speak
