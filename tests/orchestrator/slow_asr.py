"""Recognisers that are the real one with a wait before every decode, small honest peers for
overload tests: they hear exactly what the real recogniser hears, only later.

- `SlowRecogniser`: every decode also holds one of a few "cores" for a fixed time, so it is too
  slow when many callers speak at once (as an overloaded CPU is).
- `HeldChecker`: every decode waits until the test sets `go` (a checker that is busy)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence

import anyio

from asr_models import Recogniser
from asr_models.recogniser import RecogniserStream
from asr_models.registry import ModelInfo
from asr_models.results import Result


class _Delayed:
    """The real recogniser, whose streams await `self.wait()` before each chunk is decoded."""

    def __init__(self, real: Recogniser) -> None:
        self.real = real
        self.info: ModelInfo = real.info
        self.limiter = real.limiter

    async def wait(self) -> None:
        raise NotImplementedError

    @property
    def streaming(self) -> bool:
        return self.real.streaming

    def open_stream(
        self, sample_rate: int = 8000, grammar: Sequence[str] | None = None
    ) -> RecogniserStream:
        return _DelayedStream(self.wait, self.real.open_stream(sample_rate, grammar))


class _DelayedStream:
    def __init__(self, wait: Callable[[], Awaitable[None]], real: RecogniserStream) -> None:
        self.wait = wait
        self.real = real

    @property
    def grammar(self) -> tuple[str, ...] | None:
        return self.real.grammar

    def set_grammar(self, phrases: Sequence[str] | None) -> None:
        self.real.set_grammar(phrases)

    async def push(self, pcm: bytes, at: float | None = None) -> Result:
        await self.wait()
        return await self.real.push(pcm, at)

    async def finish(self) -> Result:
        return await self.real.finish()


class SlowRecogniser(_Delayed):
    def __init__(self, real: Recogniser, cost_s: float, cores: int = 1) -> None:
        super().__init__(real)
        self.cost_s = cost_s
        self.cores = anyio.CapacityLimiter(cores)

    async def wait(self) -> None:
        await anyio.to_thread.run_sync(time.sleep, self.cost_s, limiter=self.cores)


class HeldChecker(_Delayed):
    def __init__(self, real: Recogniser) -> None:
        super().__init__(real)
        self.go = anyio.Event()
        self.started = anyio.Event()

    async def wait(self) -> None:
        self.started.set()
        await self.go.wait()
