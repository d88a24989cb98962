"""The recogniser interface every engine implements, and the one place that picks an engine.

Two kinds of engine sit behind it:
  * streaming (vosk): every `push` decodes and returns a partial, sometimes a final;
  * utterance (faster-whisper): `push` only collects the audio the voice gate let through, and
    `finish` decodes the whole utterance at once (Whisper cannot stream).
`TurnListener`, the call session, `asr transcribe` and `models verify` use only this interface,
so a script's language (through its model) chooses the engine and nothing else changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import anyio

from asr_models.registry import ModelInfo
from asr_models.results import Result


@runtime_checkable
class RecogniserStream(Protocol):
    """One call's recogniser: push PCM chunks (with their call time), finish each utterance."""

    @property
    def grammar(self) -> tuple[str, ...] | None: ...

    def set_grammar(self, phrases: Sequence[str] | None) -> None:
        """Expected phrases for the next utterance (None: free vocabulary); between turns."""

    async def push(self, pcm: bytes, at: float | None = None) -> Result:
        """Take a chunk; a partial (empty for an utterance engine) or a final result."""

    async def finish(self) -> Result:
        """The final result of the current utterance; the stream is ready for the next one."""


@runtime_checkable
class Recogniser(Protocol):
    """A loaded model shared by every call of a process."""

    info: ModelInfo
    limiter: anyio.CapacityLimiter

    @property
    def streaming(self) -> bool:
        """True: results while the caller speaks; False: one result per finished utterance."""

    def open_stream(
        self, sample_rate: int = 8000, grammar: Sequence[str] | None = None
    ) -> RecogniserStream: ...


async def load_recogniser(
    info: ModelInfo, limiter: anyio.CapacityLimiter | None = None
) -> Recogniser:
    """The engine for `info` (by its `engine` field), loaded off the event loop."""
    if info.engine == "whisper":
        from asr_models.whisper_engine import WhisperEngine  # ctranslate2 loads only when used

        return await WhisperEngine.load(info, limiter)
    from asr_models.vosk_engine import VoskEngine

    return await VoskEngine.load(info, limiter)
