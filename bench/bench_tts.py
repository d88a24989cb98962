"""Prompt synthesis time: cold (espeak-ng in a child process) and cached, per prompt.

Run: .venv/bin/python bench/bench_tts.py
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import anyio

from dialogs.tts import PromptCache, PromptSpec, Pyttsx3Engine

PROMPTS = [
    "안녕하세요, 고객님. 저는 은행의 AI 상담 도우미입니다.",
    "잠시 통화 가능하신가요?",
    "새로운 적금 상품을 안내해 드려도 될까요?",
    "상담원에게 연결해 드리겠습니다.",
    "감사합니다. 좋은 하루 보내세요.",
]


async def main() -> None:
    cache = PromptCache(Path(tempfile.mkdtemp(prefix="bench-tts-")), Pyttsx3Engine())
    specs = [PromptSpec(t, "ko") for t in PROMPTS]
    cold = []
    for spec in specs:  # one child process per prompt: a per-call templated prompt
        began = time.perf_counter()
        await cache.get(spec)
        cold.append(time.perf_counter() - began)
    batch_specs = [PromptSpec(t + " ", "ko") for t in PROMPTS]
    began = time.perf_counter()
    await cache.prerender(batch_specs)  # one child process for all: pre-rendering a campaign
    batch = (time.perf_counter() - began) / len(batch_specs)
    warm = []
    for spec in specs * 20:
        began = time.perf_counter()
        prompt = await cache.get(spec)
        warm.append(time.perf_counter() - began)
        assert prompt.cached
    audio = statistics.mean([p.duration_s for p in await cache.prerender(specs)])
    print(f"prompts: {len(specs)} Korean sentences, mean audio {audio:.2f} s at 8 kHz")
    print(f"cold, one process per prompt   median {statistics.median(cold) * 1000:7.1f} ms")
    print(f"cold, batched pre-render       mean   {batch * 1000:7.1f} ms per prompt")
    print(f"cached (read WAV from disk)    median {statistics.median(warm) * 1000:7.2f} ms")


if __name__ == "__main__":
    anyio.run(main)
