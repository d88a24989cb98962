"""The prompt cache: each prompt is synthesised once and kept on disk as a WAV at the call's rate.

The key is a hash of (text, voice, speaking rate, pitch and speed, pronunciation overrides, sample
rate, engine name and version), so a new espeak-ng or another voice never serves stale audio. A
cache holds several engines by name ("espeak", "kokoro"); each prompt names the one that speaks
it. Files appear atomically (write, then rename), so a crash or a second process never reads
half a prompt; concurrent requests for the same prompt in one process wait for one synthesis
instead of each doing it.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import wave
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import anyio
import numpy as np
import soxr

from dialogs.tts.engine import DEFAULT_PITCH, DEFAULT_RATE, Audio, SpeechRequest, TtsEngine
from dialogs.tts.errors import TtsError

TELEPHONY_RATE = 8000
BATCH = 16  # prompts per child process when pre-rendering


DEFAULT_ENGINE = "espeak"


@dataclass(frozen=True, slots=True)
class PromptSpec:
    text: str
    voice: str
    rate: int = DEFAULT_RATE
    sample_rate: int = TELEPHONY_RATE
    pitch: int = DEFAULT_PITCH
    engine: str = DEFAULT_ENGINE
    speed: float = 1.0
    pronounce: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Voice:
    """Who speaks a script's prompts: an engine ("espeak" or "kokoro"), its voice, the pace, and
    the script's pronunciation overrides (word -> pinyin with tone numbers)."""

    name: str
    engine: str = DEFAULT_ENGINE
    speed: float = 1.0
    pronounce: tuple[tuple[str, str], ...] = field(default=())

    def spec(self, text: str, sample_rate: int = TELEPHONY_RATE) -> PromptSpec:
        return PromptSpec(text, self.name, sample_rate=sample_rate, engine=self.engine,
                          speed=self.speed, pronounce=self.pronounce)

    def __str__(self) -> str:
        return self.name if self.engine == DEFAULT_ENGINE else f"{self.engine}:{self.name}"


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
    """Prompts on disk under `directory`. `engine` is one engine for every prompt, or engines by
    name (see `default_engines()`), each prompt spoken by the one its spec names."""

    def __init__(self, directory: Path, engine: TtsEngine | Mapping[str, TtsEngine]) -> None:
        self.directory = directory
        self.engines: Mapping[str, TtsEngine] | None = None
        if isinstance(engine, Mapping):
            self.engines = dict(engine)
            engine = self.engines[DEFAULT_ENGINE]
        self.engine: TtsEngine = engine
        self._inflight: dict[str, anyio.Event] = {}

    def engine_for(self, spec: PromptSpec) -> TtsEngine:
        if self.engines is None:
            return self.engine
        found = self.engines.get(spec.engine)
        if found is None:
            raise TtsError(f"no speech engine {spec.engine!r}; use one of "
                           f"{', '.join(sorted(self.engines))}")
        return found

    def key(self, spec: PromptSpec) -> str:
        engine = self.engine_for(spec)
        ident: list[object] = [spec.text, spec.voice, spec.rate, spec.pitch, spec.sample_rate,
                               engine.name, engine.version]
        if spec.speed != 1.0 or spec.pronounce:
            ident += [spec.speed, [list(p) for p in spec.pronounce]]
        return hashlib.sha256(json.dumps(ident, ensure_ascii=False).encode()).hexdigest()

    def path_of(self, spec: PromptSpec) -> Path:
        key = self.key(spec)
        return self.directory / key[:2] / f"{key}.wav"

    def is_cached(self, spec: PromptSpec) -> bool:
        """The prompt is on disk, whole (a get() would not synthesise). Reads the header only, as
        `_load` decides: the dialer asks this of every prompt of every contact it claims."""
        try:
            with wave.open(str(self.path_of(spec)), "rb") as f:
                return _usable(f, spec)
        except (OSError, wave.Error, EOFError):
            return False

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
        by_engine: dict[str, list[PromptSpec]] = {}
        for spec in todo:
            by_engine.setdefault(spec.engine, []).append(spec)
        for group in by_engine.values():
            for i in range(0, len(group), BATCH):
                for prompt in await self._render(group[i:i + BATCH]):
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
                if not _usable(f, spec):
                    return None
                return Prompt(spec, f.readframes(f.getnframes()), path, cached=True)
        except (OSError, wave.Error, EOFError):
            return None  # absent or damaged: synthesise again

    async def _render(self, specs: list[PromptSpec]) -> list[Prompt]:
        events = {self.key(s): anyio.Event() for s in specs}
        self._inflight.update(events)
        try:
            audio = await self.engine_for(specs[0]).synthesize_many(
                [SpeechRequest(s.text, s.voice, s.rate, s.pitch, s.speed, s.pronounce)
                 for s in specs])
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


def default_engines(home: Path | None = None) -> dict[str, TtsEngine]:
    """The engines a script may name: espeak-ng and Kokoro (the copy in `home`/voices when
    `models add kokoro` installed one, else the packaged parts). Kokoro's model is found (and its
    child process started) only when a prompt needs it."""
    from dialogs.tts.engine import Pyttsx3Engine
    from dialogs.tts.kokoro import KokoroEngine

    return {DEFAULT_ENGINE: Pyttsx3Engine(), "kokoro": KokoroEngine(home=home)}


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
    """The engine's audio at the call's rate (espeak-ng renders at 22050 Hz, Kokoro at 24 kHz)."""
    if audio.sample_rate == sample_rate:
        return audio.pcm
    samples = np.frombuffer(audio.pcm, dtype="<i2")
    return np.asarray(soxr.resample(samples, audio.sample_rate, sample_rate), dtype="<i2").tobytes()


def _usable(f: wave.Wave_read, spec: PromptSpec) -> bool:
    """A stored prompt in the format `spec` asks for (else it is synthesised again)."""
    return f.getframerate() == spec.sample_rate and f.getsampwidth() == 2
