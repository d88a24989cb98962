"""`outreach asr capacity`: measure how many calls this machine recognises at once, and save it
for the dialer. The test call is the Korean answers spoken by espeak-ng, the caller speaking about
a third of the time, decoded in grammar mode behind the voice gate (how calls are decoded)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from asr_models import VoskEngine, realtime_streams, resolve, save_capacity
from dialogs.tts import PromptCache, PromptSpec, Pyttsx3Engine

ANSWERS = ["네", "아니요", "좋아요", "싫어요", "나중에"]


async def build_call(cache: PromptCache, seconds: float) -> bytes:
    """Caller audio at 8 kHz: an answer, then about twice its length of silence, repeated."""
    prompts = await cache.prerender([PromptSpec(a, "ko") for a in ANSWERS])
    out = b""
    i = 0
    while len(out) < seconds * 16000:
        pcm = prompts[i % len(prompts)].pcm
        out += pcm + bytes(max(2 * len(pcm), 16000))
        i += 1
    return out[: int(seconds * 16000)]


async def measure(
    home: Path, models_dir: Path, model: str, seconds: float = 20.0, streams: int | None = None
) -> dict[str, Any]:
    engine = await VoskEngine.load(resolve(model, models_dir))
    cache = PromptCache(home / "prompts", Pyttsx3Engine())
    audio = await build_call(cache, seconds)
    n = streams or 16 * (os.cpu_count() or 1)
    value = await realtime_streams(engine, audio, ANSWERS, True, n)
    details = {"model": model, "streams_run": n, "call_seconds": seconds, "mode": "grammar+vad"}
    path = save_capacity(home, value, details)
    return {"realtime_streams": round(value, 1), "saved_to": str(path), **details}
