"""Whole-file recognition for `outreach asr transcribe` and for checking a model works."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from asr_models.audio import TELEPHONY_RATE, Pcm, read_wav, resample
from asr_models.listener import TurnListener, Utterance, join_results
from asr_models.recogniser import Recogniser
from asr_models.results import Result, Word

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
    engine: Recogniser, pcm: Pcm, grammar: Sequence[str] | None = None
) -> Transcript:
    """A streaming engine decodes the whole file; an utterance engine (Whisper) decodes each
    utterance the voice gate finds, as in a call (it cannot take more than 30 s at once)."""
    audio = resample(pcm, TELEPHONY_RATE)
    began = time.perf_counter()
    if engine.streaming:
        finals = await _streamed(engine, audio.data, grammar)
    else:
        finals = await _by_utterance(engine, audio.data, grammar)
    elapsed = time.perf_counter() - began
    joined = join_results(finals)
    return Transcript(
        joined.text, joined.words, pcm.duration_s, elapsed / max(pcm.duration_s, 1e-9)
    )


async def _streamed(engine: Recogniser, audio: bytes,
                    grammar: Sequence[str] | None) -> list[Result]:
    stream = engine.open_stream(TELEPHONY_RATE, grammar)
    step = int(CHUNK_S * TELEPHONY_RATE) * 2
    finals: list[Result] = []
    for i in range(0, len(audio), step):
        result = await stream.push(audio[i : i + step])
        if result.final and result.text:
            finals.append(result)
    finals.append(await stream.finish())
    return finals


async def _by_utterance(engine: Recogniser, audio: bytes,
                        grammar: Sequence[str] | None) -> list[Result]:
    listener = TurnListener(engine.open_stream(TELEPHONY_RATE), TELEPHONY_RATE)
    listener.expect(grammar)
    frame = TELEPHONY_RATE // 50 * 2
    tail = bytes(TELEPHONY_RATE * 2)  # a second of silence so that the last turn can end
    finals: list[Result] = []
    padded = audio + tail
    for i in range(0, len(padded), frame):
        events = await listener.feed(padded[i : i + frame])
        finals += [e.result for e in events if isinstance(e, Utterance)]
    last = await listener.close()
    if last is not None:
        finals.append(last.result)
    return finals or [Result("", final=True)]


async def transcribe_file(
    engine: Recogniser, path: Path, grammar: Sequence[str] | None = None
) -> Transcript:
    return await transcribe_pcm(engine, read_wav(path), grammar)
