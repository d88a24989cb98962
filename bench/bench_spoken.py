"""Spoken screening and its cost: every recognition design beside today's path, in one run.

Screening: a seeded sample of the shipped Korean corpus is spoken by each synthetic caller voice
(espeak-ng rate/pitch variants, 16 kHz), carried over a simulated G.711 mu-law line with noise at
15-25 dB SNR, heard once by the real vosk Korean model with each state's grammar through the live
call's listener (orchestrator.spoken_eval), and the same audio is then told to the dialog engine
by each design:
  grammar only      the grammar hearing, doubt ignored (live calls before 2026-12-02);
  grammar + doubt   with its doubt: doubtful costly outcomes confirmed (live calls until now);
  free + matcher    vosk's full vocabulary, no grammar, its text to the morpheme matcher;
  grammar & free    both decoders on every turn: the grammar hearing stands only when the free
                    transcript has its words, else it is doubtful;
  free check        a free decode only of clear grammar hearings that would take a costly
                    outcome at once (opt-out, transfer, lead), same rule (the adopted design);
  free check (before)  the same hearings told to the dialog as it was before a refusal heard
                    with doubt (마세요, 그만) asked the opt-out question (the baselines above are
                    judged by that dialog too);
  free 2nd pass     a free decode of those and of doubtful hearings, whose text replaces a
                    doubtful grammar hearing (told as doubtful);
  whisper check / whisper 2nd pass   the same two with Whisper base (language "ko") as the
                    second decoder (only when whisper-base is installed: `models add whisper-base`).
Printed per voice and design: share right, harmful outcomes, confirmations, share of answers
that needed the second decoder.

Cost: concurrent real-time calls per core for each design's decoding, in the same run, as in
bench_asr.py: `--calls` calls of the Korean answers offered at once, decoded as fast as possible
behind the voice gate with the grammar of one state (`--cost-state`): in `reason` none of its
answers 네 아니요 좋아요 싫어요 나중에 is a costly outcome at once, so nothing is checked; in
`offer` most are (네 좋아요: a transfer, 나중에: a callback; 3 turns in 4), the check's worst
case; offered = calls
started, peak = calls decoding at once; rounds interleaved.

Run: .venv/bin/python bench/bench_spoken.py [--limit 30] [--corpus FILE] [--calls 4] [--seconds 10]
     [--designs 'grammar only,grammar + doubt,free check'] [--no-cost]
     [--cost-state offer|reason] [--cmn 30]   (--limit 0: no Korean screening)
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import anyio

from asr_models import VoskEngine, resolve
from asr_models.cross_check import agrees, free_hearing
from asr_models.errors import AsrError
from asr_models.hearing import judge
from asr_models.listener import TurnListener, Utterance
from asr_models.recogniser import Recogniser
from dialogs import DialogEngine, load_script
from dialogs.evaluation import Corpus, Hearing, load_corpus
from dialogs.script import Script
from dialogs.tts import PromptCache, default_engines
from orchestrator.capacity import build_call
from orchestrator.hearing_check import checked_hearing, needs_check
from orchestrator.spoken_eval import (
    Answer,
    BeforeRefusal,
    Design,
    adopted,
    as_told,
    doubt_only,
    grammar_only,
    sample,
    spoken_evaluation,
    voices_for,
)

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests/data/corpora/ko-dormant-deposit.yaml"  # the shipped Korean corpus
FRAME = 320
ROUNDS = 3
# Designs judged by the dialog before the refusal rule (the baselines, and the check's "before").
BEFORE = {"grammar only": BeforeRefusal, "grammar + doubt": BeforeRefusal,
          "free check (before)": BeforeRefusal, "doubt ignored": BeforeRefusal}
COST_STATES = ("reason", "offer")  # reason: no answer is checked; offer: 3 in 4 are
HINT = "live path (opt-out hint)"  # Mandarin: the adopted path; "(no hint)": main before it


class Second:
    """A second decoder's transcript of each answer, decoded once whatever designs ask."""

    def __init__(self, engine: Recogniser) -> None:
        self.engine = engine
        self.cache: dict[int, Hearing] = {}

    async def hear(self, a: Answer) -> Hearing:
        key = id(a.heard)
        if key not in self.cache:
            r = await free_hearing(self.engine, a.heard.audio)
            self.cache[key] = Hearing(r.text, r.confidence, False)
        return self.cache[key]


class Candidates:
    """Every design of the module docstring; `used[name]`: answers it decoded a second time."""

    def __init__(self, script: Script, free: Second, whisper: Second | None) -> None:
        self.below = script.model.defaults.confirm_below
        self.free, self.whisper = free, whisper
        self.used: dict[str, int] = {}

    def designs(self) -> dict[str, Design]:
        out: dict[str, Design] = {
            "grammar only": grammar_only, "grammar + doubt": doubt_only,
            "free + matcher": self._free_matcher, "grammar & free": self._both,
            "free check": self._check(self.free, "free check"),
            "free check (before)": self._check(self.free, "free check (before)"),
            "free 2nd pass": self._second_pass(self.free, "free 2nd pass"),
        }
        if self.whisper is not None:
            out["whisper check"] = self._check(self.whisper, "whisper check")
            out["whisper 2nd pass"] = self._second_pass(self.whisper, "whisper 2nd pass")
        self.used = dict.fromkeys(out, 0)
        return out

    async def _free_matcher(self, a: Answer) -> Hearing:
        self.used["free + matcher"] += 1
        h = await self.free.hear(a)
        return Hearing(h.text, h.confidence, bool(h.text) and h.confidence < self.below)

    async def _both(self, a: Answer) -> Hearing:
        self.used["grammar & free"] += 1
        told, free = as_told(a.heard), await self.free.hear(a)
        if not a.heard.text or told.doubtful or agrees(a.heard.words, free.text):
            return told
        return replace(told, doubtful=True)

    def _check(self, second: Second, name: str) -> Design:
        async def design(a: Answer) -> Hearing:
            self.used[name] += needs_check(a.heard, a.engine)
            return as_told(await checked_hearing(second.engine, a.heard, a.engine))
        return design

    def _second_pass(self, second: Second, name: str) -> Design:
        async def design(a: Answer) -> Hearing:
            if not a.heard.text or not (a.heard.doubtful or needs_check(a.heard, a.engine)):
                return as_told(a.heard)
            self.used[name] += 1
            h = await second.hear(a)
            if a.heard.doubtful:  # the second transcript replaces it, still doubtful
                return Hearing(h.text, h.confidence, True)
            if agrees(a.heard.words, h.text):
                return as_told(a.heard)
            return Hearing(a.heard.text, a.heard.confidence, True)
        return design


async def load_whisper(home: Path) -> Recogniser | None:
    """Whisper base for Korean, if `outreach models add whisper-base` installed it."""
    for models in (home / "models", ROOT / ".outreach/models", Path(".outreach/models")):
        try:
            info = resolve("whisper-base", models)
        except AsrError:
            continue
        from asr_models.whisper_engine import WhisperEngine

        return await WhisperEngine.load(replace(info, language="ko"))  # no Chinese prompt
    return None


# ---- cost ----------------------------------------------------------------------------------

COST_MODES = {  # mode: (grammar decoder, side-by-side free decoder, second decoder, when)
    "grammar (+ doubt)": (True, False, None, ""),
    "free + matcher": (False, False, None, ""),
    "grammar & free": (True, True, None, ""),
    "free check": (True, False, "free", "check"),
    "free 2nd pass": (True, False, "free", "pass"),
    "whisper check": (True, False, "whisper", "check"),
    "whisper 2nd pass": (True, False, "whisper", "pass"),
}


async def cost_call(vosk: VoskEngine, second: Recogniser | None, audio: bytes, script: Script,
                    mode: str, tally: list[int], state: str) -> None:
    """One call decoded as fast as possible behind the voice gate, as `mode` decodes it;
    tally = [in flight, peak, turns, turns decoded a second time]."""
    grammar, beside, _, when = COST_MODES[mode]
    tally[0] += 1
    tally[1] = max(tally[1], tally[0])
    phrases = script.grammar(state)
    listener = TurnListener(vosk.open_stream(8000))
    listener.expect(phrases if grammar else None)
    free = TurnListener(vosk.open_stream(8000)) if beside else None
    if free is not None:
        free.expect(None)
    engine = DialogEngine(script, {n: d or n for n, d in script.model.variables.items()})
    engine.start(0.0, at=state)
    for i in range(0, len(audio), FRAME):
        for event in await listener.feed(audio[i:i + FRAME]):
            if not isinstance(event, Utterance):
                continue
            tally[2] += 1
            heard = replace(judge(event.result, phrases if grammar else None, 0.6),
                            audio=event.audio)
            due = needs_check(heard, engine) or (when == "pass" and heard.doubtful)
            if second is not None and when and heard.text and due:
                tally[3] += 1
                await free_hearing(second, heard.audio)
        if free is not None:
            await free.feed(audio[i:i + FRAME])
    await listener.close()
    if free is not None:
        await free.close()
    tally[0] -= 1


async def cost(vosk: VoskEngine, second: Recogniser | None, audio: bytes, script: Script,
               calls: int, mode: str, state: str) -> tuple[float, list[int]]:
    """(audio seconds decoded per wall second, tally) with `calls` calls offered at once."""
    tally = [0, 0, 0, 0]
    began = time.perf_counter()
    async with anyio.create_task_group() as tg:
        for _ in range(calls):
            tg.start_soon(cost_call, vosk, second, audio, script, mode, tally, state)
    return calls * len(audio) / 16000 / (time.perf_counter() - began), tally


# ---- the run -------------------------------------------------------------------------------

def load() -> str:
    return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def print_screening(run: object, cands: Candidates, answers: int) -> None:
    from orchestrator.spoken_eval import SpokenRun

    assert isinstance(run, SpokenRun)
    labels = [v.label for v in run.voices]
    print(f"{'design':<18}" + "".join(f"{v:>20}" for v in labels)
          + f"{'all voices':>22}{'2nd decode':>12}")
    print(f"{'':<18}" + "".join(f"{'right harm conf':>20}" for _ in labels)
          + f"{'right harm conf':>22}{'answers':>12}")
    for name, per in run.designs.items():
        cells, right, harm, conf = [], 0, 0, 0
        for v in run.voices:
            e = per[v.label]
            right, harm, conf = right + e.right, harm + len(e.harmful), conf + e.confirmations
            cells.append(f"{e.share_right():>9.1%}{len(e.harmful):>5}{e.confirmations:>6}")
        n = answers * len(run.voices)
        share = cands.used.get(name, 0) / n
        print(f"{name:<18}" + "".join(f"{c:>20}" for c in cells)
              + f"{right / n:>11.1%}{harm:>5}{conf:>6}{share:>12.0%}")
    for name, per in run.designs.items():
        harmed = [(v.label, r) for v in run.voices for r in per[v.label].harmful]
        for label, r in harmed:
            print(f"  {name}: {label} {r.case.state} '{r.case.text}' heard '{r.heard.text}' "
                  f"-> {r.harm}")


async def mandarin(home: Path, limit: int) -> None:
    """The Mandarin script's shipped corpus through its own recogniser (Whisper base, heard
    freely: no grammar to check), by its caller voices (Kokoro jm_kumo and jf_alpha, espeak-ng
    pinyin) over an A-law line; grammar-only is the same hearing with doubt ignored."""
    from asr_models.whisper_engine import WhisperEngine

    info = None
    for models in (home / "models", ROOT / ".outreach/models", Path(".outreach/models")):
        try:
            info = resolve("whisper-base", models)
            break
        except AsrError:
            continue
    if info is None:
        print("\nMandarin: whisper-base is not installed (outreach models add whisper-base)")
        return
    script = load_script("cmn-dormant-deposit")
    corpus = sample(load_corpus(ROOT / "tests/data/corpora/cmn-dormant-deposit.yaml", script),
                    limit)
    engine = await WhisperEngine.load(info)
    print(f"\nMandarin: {len(corpus.cases)} answers of cmn-dormant-deposit.yaml per voice, "
          f"G.711 A-law, 15-25 dB SNR, Whisper base; {load()}")
    began = time.perf_counter()
    cands = Candidates(script, Second(engine), None)
    hinted = adopted(None, engine)
    cands.used[HINT] = 0

    async def with_hint(a: Answer) -> Hearing:
        cands.used[HINT] += bool(a.engine.opt_out_hint(a.heard.text, a.heard.confidence,
                                                       a.heard.doubtful) and a.heard.audio)
        return await hinted(a)

    run = await spoken_evaluation(script, corpus, engine,
                                  PromptCache(home / "prompts", default_engines()),
                                  voices_for("cmn"),
                                  designs={HINT: with_hint, "live path (no hint)": adopted(None),
                                           "doubt ignored": grammar_only},
                                  engines=BEFORE)
    print(f"  (heard {len(corpus.cases) * len(run.voices)} answers in "
          f"{time.perf_counter() - began:.0f} s; {load()})")
    print_screening(run, cands, len(corpus.cases))
    for label in (v.label for v in run.voices):  # what the hint made the dialog ask
        for r in run.designs[HINT][label].results:
            if "as a hint" in r.rule:
                print(f"  hint: {label} {r.case.state} {r.case.expected} '{r.case.text}' heard "
                      f"'{r.heard.text}' again '{r.heard.again}' -> {r.action}")


async def main(limit: int, corpus_path: Path, calls: int, seconds: float,
               only: list[str], with_cost: bool, state: str, cmn: int) -> None:
    cores = os.cpu_count() or 1
    home = Path(tempfile.mkdtemp(prefix="bench-spoken-"))
    vosk = await VoskEngine.load(resolve("ko", home))
    whisper = await load_whisper(home)
    script = load_script("ko-dormant-deposit")
    corpus = sample(load_corpus(corpus_path, script), limit)
    prompts = PromptCache(home / "prompts", default_engines())
    print(f"machine: {cores} cores, {load()}")
    print(f"spoken screening: {len(corpus.cases)} answers of {corpus_path.name} per voice, "
          "G.711 mu-law, 15-25 dB SNR; whisper-base "
          + ("installed" if whisper else "NOT installed (outreach models add whisper-base)"))
    cands = Candidates(script, Second(vosk), Second(whisper) if whisper else None)
    if limit > 0:
        await screening(script, corpus, vosk, prompts, cands, only)
    if with_cost:
        await costs(home, script, vosk, whisper, calls, seconds, only, state)
    if cmn > 0:
        await mandarin(home, cmn)
    print(f"done; {load()}")


async def screening(script: Script, corpus: Corpus, vosk: VoskEngine, prompts: PromptCache,
                    cands: Candidates, only: list[str]) -> None:
    began = time.perf_counter()
    chosen = {k: d for k, d in cands.designs().items() if not only or k in only}
    run = await spoken_evaluation(script, corpus, vosk, prompts, voices_for("ko"),
                                  designs=chosen, engines=BEFORE)
    print(f"  (heard {len(corpus.cases) * len(run.voices)} answers, every design, in "
          f"{time.perf_counter() - began:.0f} s; {load()})")
    print_screening(run, cands, len(corpus.cases))


async def costs(home: Path, script: Script, vosk: VoskEngine, whisper: Recogniser | None,
                calls: int, seconds: float, only: list[str], state: str) -> None:
    cores = os.cpu_count() or 1
    audio = await build_call(PromptCache(home / "call", default_engines()), seconds)
    modes = [m for m in COST_MODES if (whisper is not None or COST_MODES[m][2] != "whisper")
             and (not only or m in only or m == "grammar (+ doubt)")]
    print(f"\ncost: {calls} calls of {seconds:.0f} s offered at once, decoded as fast as possible "
          f"behind the voice gate, in the {state} state; {load()}")
    print(f"{'recognition':<20}{'real-time calls':>16}{'per core':>10}{'peak':>6}"
          f"{'2nd decodes':>13}   (median of {ROUNDS} interleaved rounds; all rounds)")
    got: dict[str, list[float]] = {m: [] for m in modes}
    tallies: dict[str, list[int]] = {m: [0, 0, 0, 0] for m in modes}
    for _ in range(ROUNDS):  # interleaved, so the shared machine's load falls on all alike
        for mode in modes:
            second = {"free": vosk, "whisper": whisper}.get(COST_MODES[mode][2] or "")
            value, tally = await cost(vosk, second, audio, script, calls, mode, state)
            got[mode].append(value)
            t = tallies[mode]
            tallies[mode] = [0, max(t[1], tally[1]), t[2] + tally[2], t[3] + tally[3]]
    for mode in modes:
        mid = statistics.median(got[mode])
        rounds = ", ".join(f"{v:.1f}" for v in got[mode])
        _, peak, turns, again = tallies[mode]
        print(f"{mode:<20}{mid:>16.1f}{mid / cores:>10.1f}{peak:>6}{again:>6} of {turns:<5}"
              f"   ({rounds})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=30, help="answers per voice")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--calls", type=int, default=4, help="calls offered at once (cost)")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--designs", default="", help="comma-separated design names (all)")
    parser.add_argument("--no-cost", action="store_true", help="screening only")
    parser.add_argument("--cost-state", choices=COST_STATES, default="offer")
    parser.add_argument("--cmn", type=int, default=0, help="also N Mandarin answers per voice")
    args = parser.parse_args()
    picked = [d.strip() for d in args.designs.split(",") if d.strip()]
    anyio.run(main, args.limit, args.corpus, args.calls, args.seconds, picked, not args.no_cost,
              args.cost_state, args.cmn)
