"""`script eval --spoken`: every corpus answer spoken by several synthetic callers, carried over a
simulated phone line and heard by the real recogniser, then judged like a typed answer.

Each answer is synthesised wideband (16 kHz) by each caller voice, carried over `Line` (8 kHz,
telephone band, G.711, white noise at an SNR drawn from 15-25 dB per answer, seeded) and heard by
`hear_pcm` with its state's grammar: the live call's listener and doubt (asr_models.hearing).
What the dialog is then told is a *design* (`Design`): the adopted one is the live call's
(`orchestrator.hearing_check`: a clear grammar hearing that would take a costly outcome is
checked by a free-vocabulary decode of the same audio); the grammar-only path (doubt ignored,
what live calls did before doubt reached them) is judged beside it from the same audio, and the
benchmark adds the other candidates. Voices are pluggable: a language maps to a list of
`CallerVoice` (an engine, a voice, rate and pitch).
"""

from __future__ import annotations

import random
import zlib
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from asr_models import Pcm
from asr_models.hearing import Hearing as Heard
from asr_models.hearing import hear_pcm
from asr_models.phoneline import Line
from asr_models.recogniser import Recogniser
from dialogs import DialogEngine
from dialogs.evaluation import Case, Corpus, Evaluation, Hearing, evaluate
from dialogs.script import Script
from dialogs.tts import PromptCache, PromptSpec
from orchestrator.hearing_check import checked_hearing, heard_again

SNR_DB = (15.0, 25.0)
WIDEBAND = 16000


@dataclass(frozen=True, slots=True)
class CallerVoice:
    """A synthetic caller: `engine` voice `name` at espeak words-per-minute `rate` and `pitch`."""

    label: str
    name: str
    engine: str = "espeak"
    rate: int = 150
    pitch: int = 70

    def spec(self, text: str) -> PromptSpec:
        return PromptSpec(text, self.name, rate=self.rate, pitch=self.pitch,
                          sample_rate=WIDEBAND, engine=self.engine)


# espeak-ng is the only Korean synthesiser here (FACTS.md); its rate and pitch make the callers.
CALLER_VOICES: dict[str, list[CallerVoice]] = {
    "ko": [CallerVoice("ko-150-p70", "ko"), CallerVoice("ko-120-p45", "ko", rate=120, pitch=45),
           CallerVoice("ko-185-p85", "ko", rate=185, pitch=85)],
    "cmn": [CallerVoice("kokoro-jm_kumo", "jm_kumo", "kokoro"),
            CallerVoice("kokoro-jf_alpha", "jf_alpha", "kokoro"),
            CallerVoice("cmn-pinyin-150", "cmn", rate=150, pitch=60)],
    "en": [CallerVoice("en-us-160-p50", "en-us", rate=160, pitch=50),
           CallerVoice("en-us-130-p70", "en-us", rate=130, pitch=70)],
}
CODEC = {"ko": "ulaw", "en": "ulaw", "cmn": "alaw"}  # Korea and the US: mu-law; China: A-law


def voices_for(language: str) -> list[CallerVoice]:
    return CALLER_VOICES.get(language.split("-")[0].lower(), [])


@dataclass
class Answer:
    """One corpus answer as the grammar decoder heard it, and the dialog placed in its state."""

    case: Case
    heard: Heard  # the grammar hearing with its doubt, and the decoded audio
    engine: DialogEngine  # a fresh engine in the case's state (never handed an event here)


# What the dialog is told about one answer: a recognition design.
Design = Callable[[Answer], Awaitable[Hearing]]


def as_told(h: Heard) -> Hearing:
    return Hearing(h.text, h.confidence, h.doubtful)


async def grammar_only(a: Answer) -> Hearing:
    """The grammar decoder's hearing with doubt ignored: live calls before doubt reached them."""
    return Hearing(a.heard.text, a.heard.confidence, False)


async def doubt_only(a: Answer) -> Hearing:
    """The grammar hearing with its doubt (live calls from 2026-12-02 until the check)."""
    return as_told(a.heard)


def adopted(checker: Recogniser | None, hinted: Recogniser | None = None) -> Design:
    """The live call's path: a clear grammar hearing that would take a costly outcome is checked
    by a free decode of its audio with `checker` (none: the grammar hearing as it is); a
    recogniser that takes hints (`hinted`: Whisper) decodes a doubtful or unmatched hearing
    again with the opt-out words as a hint (orchestrator.hearing_check.heard_again)."""
    async def design(a: Answer) -> Hearing:
        told = as_told(await checked_hearing(checker, a.heard, a.engine))
        if hinted is None:
            return told
        return replace(told, again=await heard_again(hinted, a.heard, a.engine))

    return design


@dataclass
class SpokenRun:
    """Per design, per voice: the evaluation of the same hearings."""

    voices: list[CallerVoice]
    cases: int
    designs: dict[str, dict[str, Evaluation]] = field(default_factory=dict)

    def of(self, design: str, voice: CallerVoice) -> Evaluation:
        return self.designs[design][voice.label]

    def as_json(self, details: bool = False) -> dict[str, Any]:
        def summary(e: Evaluation) -> dict[str, Any]:
            data = e.as_json()
            keep = ("answers", "right", "share_right", "confirmations", "opt_out_recall",
                    "harmful")
            out = {k: data[k] for k in keep}
            out["harm"] = [r.as_json() for r in e.harmful]
            if details:
                out["results"] = data["results"]
            return out

        return {
            "answers_per_voice": self.cases,
            "voices": [{"voice": v.label, "engine": v.engine, "name": v.name, "rate": v.rate,
                        "pitch": v.pitch,
                        **{name: summary(per[v.label]) for name, per in self.designs.items()}}
                       for v in self.voices],
        }


class BeforeRefusal(DialogEngine):
    """The dialog as it was until 2026-12-03: a refusal heard with doubt (마세요, 그만, 别) was
    not read, so the words' other match stood. The baselines are judged with it."""

    def _refused(self, text: str, doubtful: bool) -> str | None:
        return None


def sample(corpus: Corpus, limit: int | None, seed: int = 0) -> Corpus:
    """At most `limit` answers, drawn evenly over the corpus (seeded), in corpus order."""
    if limit is None or limit >= len(corpus.cases):
        return corpus
    keep = sorted(random.Random(seed).sample(range(len(corpus.cases)), limit))
    return replace(corpus, cases=[corpus.cases[i] for i in keep])


def default_designs(asr: Recogniser) -> dict[str, Design]:
    """What `script eval --spoken` prints: the live path, and grammar-only beside it."""
    return {"adopted": adopted(asr if asr.streaming else None, asr), "grammar_only": grammar_only}


async def spoken_evaluation(
    script: Script, corpus: Corpus, asr: Recogniser, prompts: PromptCache,
    voices: Sequence[CallerVoice], variables: dict[str, str] | None = None,
    progress: Callable[[int, int], None] | None = None, seed: int = 0,
    designs: Mapping[str, Design] | None = None,
    engines: Mapping[str, type[DialogEngine]] | None = None,
) -> SpokenRun:  # fmt: skip
    """Hear every answer of `corpus` in every voice once; evaluate each design per voice
    (default: the live path with `asr` as its own checker, and grammar-only), each by its
    dialog engine class in `engines` (default DialogEngine: a benchmark judges former rules)."""
    codec = CODEC.get(script.language.split("-")[0].lower(), "ulaw")
    rng = random.Random(seed)
    doubt_below = script.model.defaults.confirm_below
    chosen = designs if designs is not None else default_designs(asr)
    run = SpokenRun(list(voices), len(corpus.cases), {name: {} for name in chosen})
    values = dict(variables or {})
    for name, default in script.model.variables.items():
        values.setdefault(name, default or f"<{name}>")  # as `evaluate` fills them
    total, done = len(corpus.cases) * len(voices), 0
    for voice in voices:
        rendered = await prompts.prerender([voice.spec(c.text) for c in corpus.cases])
        told: dict[str, dict[Case, Hearing]] = {name: {} for name in chosen}
        for case, prompt in zip(corpus.cases, rendered, strict=True):
            line = Line(codec, rng.uniform(*SNR_DB))
            pcm = line.carry(Pcm(prompt.pcm, prompt.spec.sample_rate),
                             seed=zlib.crc32(f"{voice.label}:{case.state}:{case.text}".encode()))
            heard = await hear_pcm(asr, pcm, script.grammar(case.state) or None, doubt_below)
            engine = DialogEngine(script, values)
            engine.start(0.0, at=case.state)
            answer = Answer(case, heard, engine)
            for name, design in chosen.items():
                told[name][case] = await design(answer)
            done += 1
            if progress is not None:
                progress(done, total)
        for name in chosen:
            kind = (engines or {"grammar_only": BeforeRefusal}).get(name, DialogEngine)
            run.designs[name][voice.label] = evaluate(script, corpus, told[name].__getitem__,
                                                      variables, engine=kind)
    return run
