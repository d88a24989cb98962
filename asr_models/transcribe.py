"""Whole-file recognition for `outreach asr transcribe` and for checking a model works."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from asr_models.audio import TELEPHONY_RATE, Pcm, read_wav, resample
from asr_models.listener import join_results
from asr_models.results import Result, Word
from asr_models.vosk_engine import VoskEngine

CHUNK_S = 0.5  # big enough that thread hops are negligible, small enough to stay streaming


@dataclass(frozen=True, slots=True)
class Transcript:
    text: str
    words: tuple[Word, ...]
    duration_s: float
    rtf: float  # decoding time / audio time: below 1 is faster than real time

    def as_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "words": [w.as_dict() for w in self.words],
            "duration_s": round(self.duration_s, 3),
            "rtf": round(self.rtf, 4),
        }


async def transcribe_pcm(
    engine: VoskEngine, pcm: Pcm, grammar: Sequence[str] | None = None
) -> Transcript:
    audio = resample(pcm, TELEPHONY_RATE)
    stream = engine.open_stream(TELEPHONY_RATE, grammar)
    step = int(CHUNK_S * TELEPHONY_RATE) * 2
    finals: list[Result] = []
    began = time.perf_counter()
    for i in range(0, len(audio.data), step):
        result = await stream.push(audio.data[i : i + step])
        if result.final and result.text:
            finals.append(result)
    finals.append(await stream.finish())
    elapsed = time.perf_counter() - began
    joined = join_results(finals)
    return Transcript(
        joined.text, joined.words, pcm.duration_s, elapsed / max(pcm.duration_s, 1e-9)
    )


async def transcribe_file(
    engine: VoskEngine, path: Path, grammar: Sequence[str] | None = None
) -> Transcript:
    return await transcribe_pcm(engine, read_wav(path), grammar)
