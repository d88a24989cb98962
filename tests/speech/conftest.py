"""Real components for the speech tests: the bundled Korean vosk model and espeak-ng.

The model loads once per test session (about 2 s, a few hundred MB); prompts are synthesised into
one session cache so each phrase is rendered once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import anyio
import pytest

from asr_models import ModelInfo, TurnConfig, TurnListener, Utterance, VoskEngine, resolve
from dialogs.tts import PromptCache, PromptSpec, Pyttsx3Engine

ANSWERS = ["네", "아니요", "좋아요", "싫어요", "나중에"]
FRAME = 320  # 20 ms at 8 kHz, 16-bit
T = TypeVar("T")


def run(fn: Callable[..., Awaitable[T]], *args: Any) -> T:
    return anyio.run(fn, *args)


def silence(seconds: float, rate: int = 8000) -> bytes:
    return bytes(int(seconds * rate) * 2)


@pytest.fixture(scope="session")
def ko_model(tmp_path_factory: pytest.TempPathFactory) -> ModelInfo:
    return resolve("ko", tmp_path_factory.mktemp("models"))


@pytest.fixture(scope="session")
def engine(ko_model: ModelInfo) -> VoskEngine:
    return VoskEngine(ko_model)


@pytest.fixture(scope="session")
def prompts(tmp_path_factory: pytest.TempPathFactory) -> PromptCache:
    return PromptCache(tmp_path_factory.mktemp("prompts"), Pyttsx3Engine())


@pytest.fixture(scope="session")
def say(prompts: PromptCache) -> Callable[..., bytes]:
    """Korean speech from espeak-ng as 16-bit PCM at the asked rate (8 kHz by default)."""

    def speak(text: str, rate: int = 8000, voice: str = "ko") -> bytes:
        return run(prompts.get, PromptSpec(text, voice, sample_rate=rate)).pcm

    return speak


async def listen(engine: VoskEngine, audio: bytes, grammar: list[str] | None,
                 rate: int = 8000, config: TurnConfig | None = None,
                 chunk: int = FRAME) -> tuple[list[Any], TurnListener]:
    """Feed `audio` in telephone-sized chunks through VAD and the recogniser; all events."""
    listener = TurnListener(engine.open_stream(8000), rate, config)
    listener.expect(grammar)
    events: list[Any] = []
    for i in range(0, len(audio), chunk):
        events += await listener.feed(audio[i:i + chunk])
    last = await listener.close()
    if last is not None:
        events.append(last)
    return events, listener


def utterances(events: list[Any]) -> list[Utterance]:
    return [e for e in events if isinstance(e, Utterance)]


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"
