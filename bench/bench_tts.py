"""Prompt synthesis time per prompt, cold and cached, for each engine in the same run:
espeak-ng (Korean, the old baseline; Mandarin through pinyin) and Kokoro-82M (Mandarin).

Run: .venv/bin/python bench/bench_tts.py [--prompts N]

"cold" is one prompt synthesised and stored (what a templated greeting costs when it is not
rendered ahead); Kokoro's first prompt also starts its child process and loads the ONNX session,
shown apart. "cached" reads the WAV back from disk. rtf = synthesis time / audio length.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import anyio

from dialogs import load_script
from dialogs.tts import PromptCache, PromptSpec, Voice, default_engines

KOREAN = [
    "안녕하세요, 고객님. 저는 은행의 AI 상담 도우미입니다.",
    "잠시 통화 가능하신가요?",
    "새로운 적금 상품을 안내해 드려도 될까요?",
    "상담원에게 연결해 드리겠습니다.",
    "감사합니다. 좋은 하루 보내세요.",
]


def mandarin_prompts(n: int) -> list[str]:
    script = load_script("cmn-dormant-deposit")
    values = {"name": "王伟", "bank": "华信银行", "product": "定期存款", "rate": "年化3.2%"}
    texts = [script.render(p.prompt_id, values) for p in script.all_prompts()]
    return sorted(set(texts), key=texts.index)[:n]


async def measure(cache: PromptCache, specs: list[PromptSpec]) -> dict[str, float]:
    began = time.perf_counter()
    await cache.get(specs[0])
    first = time.perf_counter() - began
    cold, ratio = [], []
    for spec in specs[1:]:
        began = time.perf_counter()
        prompt = await cache.get(spec)
        cold.append(time.perf_counter() - began)
        ratio.append(cold[-1] / prompt.duration_s)
    warm = []
    for spec in specs * 10:
        began = time.perf_counter()
        prompt = await cache.get(spec)
        warm.append(time.perf_counter() - began)
        assert prompt.cached
    audio = statistics.mean([p.duration_s for p in await cache.prerender(specs)])
    return {"first": first, "cold": statistics.median(cold), "rtf": statistics.median(ratio),
            "cached": statistics.median(warm), "audio": audio}


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--prompts", type=int, default=6, help="prompts per engine")
    n = parser.parse_args().prompts
    cache = PromptCache(Path(tempfile.mkdtemp(prefix="bench-tts-")), default_engines())
    zh = mandarin_prompts(n)
    kumo = load_script("cmn-dormant-deposit").voice
    rows = [
        ("espeak-ng ko (baseline)", [PromptSpec(t, "ko") for t in KOREAN[:n]]),
        ("espeak-ng cmn (pinyin)", [Voice("cmn").spec(t) for t in zh]),
        (f"kokoro {kumo.name} cmn", [kumo.spec(t) for t in zh]),
    ]
    load = os.getloadavg()[0]
    print(f"{n} prompts per engine; Mandarin: the cmn-dormant-deposit script's first prompts; "
          f"load average {load:.1f} on {os.cpu_count()} cores")
    print(f"{'engine':26} {'audio s':>8} {'first ms':>9} {'cold ms':>9} {'cold rtf':>9} "
          f"{'cached ms':>10}")
    for label, specs in rows:
        m = await measure(cache, specs)
        print(f"{label:26} {m['audio']:8.2f} {m['first'] * 1000:9.0f} {m['cold'] * 1000:9.0f} "
              f"{m['rtf']:9.3f} {m['cached'] * 1000:10.2f}")
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    anyio.run(main)
