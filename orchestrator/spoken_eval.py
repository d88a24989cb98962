"""`script eval --spoken`: every corpus answer spoken by several synthetic callers, carried over a
simulated phone line and heard by the real recogniser, then judged like a typed answer.

Each answer is synthesised wideband (16 kHz) by each caller voice, carried over `Line` (8 kHz,
telephone band, G.711, white noise at an SNR drawn from 15-25 dB per answer, seeded) and heard by
`hear_pcm` with its state's grammar: the live call's listener and doubt (asr_models.hearing).
The same hearings are also judged as the grammar-only path heard them before doubt reached the
call (`doubtful` ignored), so the two can be compared from one run. Voices are pluggable: a
language maps to a list of `CallerVoice` (an engine, a voice, rate and pitch).
"""

from __future__ import annotations

import random
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from asr_models import Pcm
from asr_models.hearing import hear_pcm
from asr_models.phoneline import Line
from asr_models.recogniser import Recogniser
from dialogs.evaluation import Case, Corpus, Evaluation, Hearing, evaluate
from dialogs.script import Script
from dialogs.tts import PromptCache, PromptSpec

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
class SpokenRun:
    """Per voice: the evaluation with doubt (today's path) and grammar-only (the old path)."""

    voices: list[CallerVoice]
    cases: int
    with_doubt: dict[str, Evaluation] = field(default_factory=dict)
    grammar_only: dict[str, Evaluation] = field(default_factory=dict)

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
                        "pitch": v.pitch, "with_doubt": summary(self.with_doubt[v.label]),
                        "grammar_only": summary(self.grammar_only[v.label])}
                       for v in self.voices],
        }


def sample(corpus: Corpus, limit: int | None, seed: int = 0) -> Corpus:
    """At most `limit` answers, drawn evenly over the corpus (seeded), in corpus order."""
    if limit is None or limit >= len(corpus.cases):
        return corpus
    keep = sorted(random.Random(seed).sample(range(len(corpus.cases)), limit))
    return replace(corpus, cases=[corpus.cases[i] for i in keep])


async def spoken_evaluation(
    script: Script, corpus: Corpus, asr: Recogniser, prompts: PromptCache,
    voices: Sequence[CallerVoice], variables: dict[str, str] | None = None,
    progress: Callable[[int, int], None] | None = None, seed: int = 0,
) -> SpokenRun:  # fmt: skip
    """Hear every answer of `corpus` in every voice; evaluate per voice, with and without doubt."""
    codec = CODEC.get(script.language.split("-")[0].lower(), "ulaw")
    rng = random.Random(seed)
    doubt_below = script.model.defaults.confirm_below
    run = SpokenRun(list(voices), len(corpus.cases))
    total, done = len(corpus.cases) * len(voices), 0
    for voice in voices:
        rendered = await prompts.prerender([voice.spec(c.text) for c in corpus.cases])
        heard: dict[Case, Hearing] = {}
        for case, prompt in zip(corpus.cases, rendered, strict=True):
            line = Line(codec, rng.uniform(*SNR_DB))
            pcm = line.carry(Pcm(prompt.pcm, prompt.spec.sample_rate),
                             seed=zlib.crc32(f"{voice.label}:{case.state}:{case.text}".encode()))
            h = await hear_pcm(asr, pcm, script.grammar(case.state) or None, doubt_below)
            heard[case] = Hearing(h.text, h.confidence, h.doubtful)
            done += 1
            if progress is not None:
                progress(done, total)
        certain = {c: replace(h, doubtful=False) for c, h in heard.items()}
        run.with_doubt[voice.label] = evaluate(script, corpus, heard.__getitem__, variables)
        run.grammar_only[voice.label] = evaluate(script, corpus, certain.__getitem__, variables)
    return run
