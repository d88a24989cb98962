"""The spoken 把我加到免打扰里 reaches the opt-out question; garbled other answers do not (issue 9).

Real audio and the real recogniser: the answer is spoken by the benchmark's Mandarin caller
voices, carried over the simulated A-law line exactly as `bench/bench_spoken.py --cmn 30` carried
it (the same SNR draw and noise seed), heard by Whisper base through the live call's listener,
and the doubtful hearing is decoded again with the script's opt-out words as a hint, as a live
call does (orchestrator.hearing_check.heard_again). On main the robot asked again: Whisper wrote
把握下到面条料理 / 法国下套面套你, neither an opt-out cue nor a refusal. The other answers are the
ones the hinted decode wrote opt-out words for over other sounds (拉黑，骚扰 for 《大神魔道》): the
robot must not ask them whether to stop calling.
"""

from __future__ import annotations

import random
import zlib
from pathlib import Path

import pytest

from asr_models import Pcm
from asr_models.hearing import hear_pcm
from asr_models.phoneline import Line
from dialogs import DialogEngine, Say, Utterance, load_script
from dialogs.evaluation import Case, load_corpus
from dialogs.tts import PromptCache, default_engines
from orchestrator.hearing_check import heard_again
from orchestrator.spoken_eval import CODEC, SNR_DB, sample, voices_for
from tests.speech.conftest import run
from tests.whisper_model import whisper_engine, whisper_models_dir

pytestmark = pytest.mark.slow
CORPUS = Path(__file__).resolve().parents[2] / "tests/data/corpora/cmn-dormant-deposit.yaml"
BENCH_ANSWERS = 30  # bench_spoken.py --cmn 30


async def hear_as_the_bench(label: str, state: str, text: str) -> tuple[str, str, list[str]]:
    """(first hearing, hinted hearing, what the robot said next) for one benchmark answer."""
    script = load_script("cmn-dormant-deposit")
    corpus = sample(load_corpus(CORPUS, script), BENCH_ANSWERS)
    case = next(c for c in corpus.cases if (c.state, c.text) == (state, text))
    voices = voices_for("cmn")
    voice = next(v for v in voices if v.label == label)
    rng = random.Random(0)  # spoken_evaluation draws one SNR per answer, voice after voice
    draws = [rng.uniform(*SNR_DB) for _ in range(len(voices) * len(corpus.cases))]
    snr = draws[voices.index(voice) * len(corpus.cases) + corpus.cases.index(case)]
    prompts = PromptCache(whisper_models_dir() / "prompts", default_engines())
    rendered = await prompts.get(voice.spec(text))
    pcm = Line(CODEC["cmn"], snr).carry(Pcm(rendered.pcm, rendered.spec.sample_rate),
                                        seed=zlib.crc32(f"{label}:{state}:{text}".encode()))
    asr = whisper_engine()
    heard = await hear_pcm(asr, pcm, script.grammar(state) or None,
                           script.model.defaults.confirm_below)
    engine = DialogEngine(script, {"name": "王先生"})
    engine.start(0.0, at=case.state)
    again = await heard_again(asr, heard, engine)
    commands = engine.handle(Utterance(heard.text, heard.confidence, 1.0, heard.doubtful, again))
    return heard.text, again, [c.prompt_id for c in commands if isinstance(c, Say)]


def test_do_not_disturb_spoken_is_asked_as_an_opt_out() -> None:
    # Kokoro jf_alpha: heard 把握下到面条料理 and again 把握下到免打扰里 in every run here. The
    # espeak-ng pinyin voice is also asked in the benchmark, but Whisper's first hearing of the
    # same audio varies from decode to decode (法国下套面套你, 法国 压到面 压到你, 把握下到面上的领:
    # the last is 5 syllables of 8 away from 发握下套免打扰, so not asked), so it is not a test.
    heard, again, said = run(hear_as_the_bench, "kokoro-jf_alpha", "offer", "把我加到免打扰里")
    assert said == ["confirm.opt_out"], (heard, again, said)


@pytest.mark.parametrize(("label", "state", "text"), [
    ("cmn-pinyin-150", "offer", "啊，什么东西"),
    ("kokoro-jf_alpha", "greeting", "多少利息啊"),
    ("kokoro-jm_kumo", "reason", "这是哪儿啊"),
])
def test_garbled_other_answers_are_not_asked_to_opt_out(label: str, state: str,
                                                        text: str) -> None:
    heard, again, said = run(hear_as_the_bench, label, state, text)
    assert "confirm.opt_out" not in said, (heard, again, said)


def test_case_lookup_is_the_benchmarks_sample() -> None:
    script = load_script("cmn-dormant-deposit")
    cases = sample(load_corpus(CORPUS, script), BENCH_ANSWERS).cases
    assert Case("offer", "opt_out", "把我加到免打扰里") in cases
