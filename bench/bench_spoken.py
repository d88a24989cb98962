"""Spoken screening and its cost, the new recognition path beside the old grammar-only one.

Screening: a seeded sample of the Korean corpus is spoken by each synthetic caller voice
(espeak-ng rate/pitch variants, 16 kHz), carried over a simulated G.711 mu-law line with noise at
15-25 dB SNR, heard by the real vosk Korean model with each state's grammar, and run through the
dialog engine (orchestrator.spoken_eval). The same hearings are judged twice: with doubt (today's
live path: doubtful costly outcomes are confirmed) and grammar-only (doubt ignored, the live path
before). Printed per voice: share right, harmful outcomes, confirmations.

Cost: concurrent real-time calls per core, measured in the same run for the grammar-only decoder
and for the new path (the same decoder plus the doubt judgement per turn), as in bench_asr.py:
many calls decoded at once as fast as possible, behind the voice gate; offered = calls started,
peak = calls decoding at once. Also measured, for the record, the design that was not adopted: a
second decoder per call with a garbage class of the model's one-syllable words
(docs/benchmarks.md).

Run: .venv/bin/python bench/bench_spoken.py [--limit 60] [--corpus FILE] [--calls 16]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import anyio

from asr_models import VoskEngine, resolve
from asr_models.hearing import judge
from asr_models.listener import TurnListener, Utterance
from dialogs import load_script
from dialogs.evaluation import load_corpus
from dialogs.tts import PromptCache, default_engines
from orchestrator.capacity import build_call
from orchestrator.spoken_eval import sample, spoken_evaluation, voices_for

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests/data/corpora/ko-dormant-deposit.yaml"  # the shipped Korean corpus
FRAME = 320
ROUNDS = 3


def syllable_words(engine: VoskEngine) -> list[str]:
    """Every one-syllable Hangul word the model knows (its own vocabulary: no words.txt ships)."""
    every = [chr(c) for c in range(0xAC00, 0xD7A4)]
    unknown = set(engine.unknown_words(every))  # vosk_model_find_word per word
    return [w for w in every if w not in unknown]


async def judged_call(engine: VoskEngine, audio: bytes, phrases: list[str], judged: bool,
                      filler: list[str] | None, running: list[int]) -> None:
    """One call decoded as fast as possible (VAD + grammar, as a live call), each turn judged
    when `judged`; `filler`: a second decoder over the same audio (the design not adopted)."""
    running[0] += 1
    running[1] = max(running[1], running[0])
    listener = TurnListener(engine.open_stream(8000))
    listener.expect(phrases)
    second = TurnListener(engine.open_stream(8000)) if filler else None
    if second is not None:
        second.expect(filler)
    for i in range(0, len(audio), FRAME):
        for event in await listener.feed(audio[i:i + FRAME]):
            if judged and isinstance(event, Utterance):
                judge(event.result, phrases, 0.6)
        if second is not None:
            await second.feed(audio[i:i + FRAME])
    await listener.close()
    if second is not None:
        await second.close()
    running[0] -= 1


async def streams(engine: VoskEngine, audio: bytes, phrases: list[str], calls: int,
                  mode: str, filler: list[str]) -> tuple[float, int]:
    """(audio seconds decoded per wall second, peak calls in flight)."""
    running = [0, 0]
    began = time.perf_counter()
    async with anyio.create_task_group() as tg:
        for _ in range(calls):
            tg.start_soon(judged_call, engine, audio, phrases, mode != "old",
                          filler if mode == "filler" else None, running)
    wall = time.perf_counter() - began
    return calls * len(audio) / 16000 / wall, running[1]


async def main(limit: int, corpus_path: Path, calls: int, seconds: float) -> None:
    cores = os.cpu_count() or 1
    home = Path(tempfile.mkdtemp(prefix="bench-spoken-"))
    engine = await VoskEngine.load(resolve("ko", home))
    script = load_script("ko-dormant-deposit")
    corpus = sample(load_corpus(corpus_path, script), limit)
    prompts = PromptCache(home / "prompts", default_engines())
    print(f"machine: {cores} cores, load average {os.getloadavg()[0]:.2f}")
    print(f"spoken screening: {len(corpus.cases)} answers of {corpus_path.name} per voice, "
          "G.711 mu-law, 15-25 dB SNR")
    began = time.perf_counter()
    run = await spoken_evaluation(script, corpus, engine, prompts, voices_for("ko"))
    print(f"  (heard {len(corpus.cases) * len(run.voices)} answers in "
          f"{time.perf_counter() - began:.0f} s)")
    print(f"{'voice':<14}{'right':>8}{'harmful':>9}{'confirm':>9}   "
          f"{'grammar-only right':>18}{'harmful':>9}  (baseline)")
    totals = {"new": [0, 0], "old": [0, 0]}
    for v in run.voices:
        new, old = run.with_doubt[v.label], run.grammar_only[v.label]
        totals["new"][0] += new.right
        totals["new"][1] += len(new.harmful)
        totals["old"][0] += old.right
        totals["old"][1] += len(old.harmful)
        print(f"{v.label:<14}{new.share_right():>8.1%}{len(new.harmful):>9}"
              f"{new.confirmations:>9}   {old.share_right():>18.1%}{len(old.harmful):>9}")
    n = len(corpus.cases) * len(run.voices)
    print(f"{'all voices':<14}{totals['new'][0] / n:>8.1%}{totals['new'][1]:>9}{'':>9}   "
          f"{totals['old'][0] / n:>18.1%}{totals['old'][1]:>9}")
    kinds: dict[str, int] = {}
    for v in run.voices:
        for r in run.with_doubt[v.label].harmful:
            key = (r.harm or "").split(" (")[0]
            kinds[key] = kinds.get(key, 0) + 1
    print("harm with doubt, by kind: " + (", ".join(f"{k}: {c}" for k, c in kinds.items())
                                         or "none"))

    audio = await build_call(PromptCache(home / "call", default_engines()), seconds)
    phrases = script.grammar("reason")
    filler = syllable_words(engine)
    print(f"\ncost: {calls} calls of {seconds:.0f} s offered at once, decoded as fast as possible "
          "(VAD + grammar)")
    print(f"{'recognition':<34}{'real-time calls':>16}{'per core':>10}{'peak':>6}"
          f"   (median of {ROUNDS} interleaved rounds; all rounds)")
    names = {"old": "grammar only (baseline)", "new": "grammar + doubt (adopted)",
             "filler": "+ syllable garbage decoder"}
    got: dict[str, list[float]] = {m: [] for m in names}
    peaks: dict[str, int] = dict.fromkeys(names, 0)
    for _ in range(ROUNDS):  # interleaved, so the shared machine's load falls on all alike
        for mode in names:
            value, peak = await streams(engine, audio, phrases, calls, mode, filler)
            got[mode].append(value)
            peaks[mode] = max(peaks[mode], peak)
    for mode, name in names.items():
        mid = statistics.median(got[mode])
        rounds = ", ".join(f"{v:.1f}" for v in got[mode])
        print(f"{name:<34}{mid:>16.1f}{mid / cores:>10.1f}{peaks[mode]:>6}   ({rounds})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=60, help="answers per voice")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--calls", type=int, default=16, help="calls offered at once (cost)")
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    anyio.run(main, args.limit, args.corpus, args.calls, args.seconds)
