"""A deliberately slowed recogniser: the real one, with every decode also holding one of a few
"cores" for a fixed time. A small honest peer for overload tests: it hears exactly what the real
recogniser hears, only too slowly when many callers speak at once (as an overloaded CPU does)."""

from __future__ import annotations

import time
from collections.abc import Sequence

import anyio

from asr_models import Recogniser
from asr_models.recogniser import RecogniserStream
from asr_models.registry import ModelInfo
from asr_models.results import Result


class SlowRecogniser:
    def __init__(self, real: Recogniser, cost_s: float, cores: int = 1) -> None:
        self.real = real
        self.info: ModelInfo = real.info
        self.limiter = real.limiter
        self.cost_s = cost_s
        self.cores = anyio.CapacityLimiter(cores)

    @property
    def streaming(self) -> bool:
        return self.real.streaming

    def open_stream(
        self, sample_rate: int = 8000, grammar: Sequence[str] | None = None
    ) -> RecogniserStream:
        return _SlowStream(self, self.real.open_stream(sample_rate, grammar))


class _SlowStream:
    def __init__(self, owner: SlowRecogniser, real: RecogniserStream) -> None:
        self.owner = owner
        self.real = real

    @property
    def grammar(self) -> tuple[str, ...] | None:
        return self.real.grammar

    def set_grammar(self, phrases: Sequence[str] | None) -> None:
        self.real.set_grammar(phrases)

    async def push(self, pcm: bytes, at: float | None = None) -> Result:
        await anyio.to_thread.run_sync(time.sleep, self.owner.cost_s, limiter=self.owner.cores)
        return await self.real.push(pcm, at)

    async def finish(self) -> Result:
        return await self.real.finish()
