"""The prompt cache: each prompt is synthesised once and kept on disk as a WAV at the call's rate.

The key is a hash of (text, voice, speaking rate and pitch, sample rate, engine name and
version), so a new espeak-ng or another voice never serves stale audio. Files appear atomically
(write, then rename), so a crash or a second process never reads half a prompt; concurrent
requests for the same prompt in one process wait for one synthesis instead of each doing it.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import wave
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import anyio
import numpy as np
import soxr

from dialogs.tts.engine import DEFAULT_PITCH, DEFAULT_RATE, Audio, SpeechRequest, TtsEngine
from dialogs.tts.errors import TtsError

TELEPHONY_RATE = 8000
BATCH = 16  # prompts per child process when pre-rendering


@dataclass(frozen=True, slots=True)
class PromptSpec:
    text: str
    voice: str
    rate: int = DEFAULT_RATE
    sample_rate: int = TELEPHONY_RATE
    pitch: int = DEFAULT_PITCH


@dataclass(frozen=True, slots=True)
class Prompt:
    """A rendered prompt: 16-bit mono PCM at `spec.sample_rate`, stored at `path`."""

    spec: PromptSpec
    pcm: bytes
    path: Path
    cached: bool  # True when it came from disk without synthesis

    @property
    def duration_s(self) -> float:
        return len(self.pcm) / 2 / self.spec.sample_rate


class PromptCache:
    def __init__(self, directory: Path, engine: TtsEngine) -> None:
        self.directory = directory
        self.engine = engine
        self._inflight: dict[str, anyio.Event] = {}

    def key(self, spec: PromptSpec) -> str:
        ident = [spec.text, spec.voice, spec.rate, spec.pitch, spec.sample_rate,
                 self.engine.name, self.engine.version]
        return hashlib.sha256(json.dumps(ident, ensure_ascii=False).encode()).hexdigest()

    def path_of(self, spec: PromptSpec) -> Path:
        key = self.key(spec)
        return self.directory / key[:2] / f"{key}.wav"

    async def get(self, spec: PromptSpec) -> Prompt:
        """The prompt from disk, or synthesised now and stored (templated prompts too)."""
        return (await self.prerender([spec]))[0]

    async def prerender(self, specs: Sequence[PromptSpec],
                        progress: Callable[[int, int], None] | None = None) -> list[Prompt]:
        """Render every prompt not yet cached (e.g. a campaign's fixed prompts before dialling)."""
        found: dict[PromptSpec, Prompt] = {}
        todo: list[PromptSpec] = []
        for spec in dict.fromkeys(specs):
            prompt = await self._wait_or_load(spec)
            if prompt is None:
                todo.append(spec)
            else:
                found[spec] = prompt
        total = len(found) + len(todo)
        if progress:
            progress(len(found), total)
        for i in range(0, len(todo), BATCH):
            for prompt in await self._render(todo[i:i + BATCH]):
                found[prompt.spec] = prompt
            if progress:
                progress(len(found), total)
        return [found[s] for s in specs]

    async def _wait_or_load(self, spec: PromptSpec) -> Prompt | None:
        busy = self._inflight.get(self.key(spec))
        if busy is not None:
            await busy.wait()
        return self._load(spec)

    def _load(self, spec: PromptSpec) -> Prompt | None:
        path = self.path_of(spec)
        try:
            with wave.open(str(path), "rb") as f:
                if f.getframerate() != spec.sample_rate or f.getsampwidth() != 2:
                    return None
                return Prompt(spec, f.readframes(f.getnframes()), path, cached=True)
        except (OSError, wave.Error, EOFError):
            return None  # absent or damaged: synthesise again

    async def _render(self, specs: list[PromptSpec]) -> list[Prompt]:
        events = {self.key(s): anyio.Event() for s in specs}
        self._inflight.update(events)
        try:
            audio = await self.engine.synthesize_many(
                [SpeechRequest(s.text, s.voice, s.rate, s.pitch) for s in specs])
            return [self._store(s, a) for s, a in zip(specs, audio, strict=True)]
        finally:
            for key, event in events.items():
                self._inflight.pop(key, None)
                event.set()

    def _store(self, spec: PromptSpec, audio: Audio) -> Prompt:
        pcm = convert(audio, spec.sample_rate)
        path = self.path_of(spec)
        write_wav(path, pcm, spec.sample_rate)
        return Prompt(spec, pcm, path, cached=False)


def write_wav(path: Path, pcm: bytes, sample_rate: int) -> None:
    """Write 16-bit mono PCM as a WAV that appears whole or not at all (write, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".part")
    try:
        with os.fdopen(fd, "wb") as raw, wave.open(raw, "wb") as f:
            f.setnchannels(1)
            f.setsampwidth(2)
            f.setframerate(sample_rate)
            f.writeframes(pcm)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise TtsError(f"cannot write {path}: {exc}") from exc


def convert(audio: Audio, sample_rate: int) -> bytes:
    """The engine's audio at the call's rate (espeak-ng renders at 22050 Hz)."""
    if audio.sample_rate == sample_rate:
        return audio.pcm
    samples = np.frombuffer(audio.pcm, dtype="<i2")
    return np.asarray(soxr.resample(samples, audio.sample_rate, sample_rate), dtype="<i2").tobytes()

