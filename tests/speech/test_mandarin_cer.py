"""Every prompt of the Mandarin script, synthesised by the default Mandarin voice (the script's:
Kokoro jm_kumo), passed through the simulated G.711 phone line, is recognised by the Whisper
engine with a character error rate of at most 15 % (issue 10).

NOT MET yet: measured 21.5 % and 22.3 % by this test in two runs (2026-12-03, load 6-9;
Whisper is not bit-exact from run to run), after the robot's "AI智能客户经理" became 智能客服
(the voice read "AI" letter by letter); the same session bench/bench_cmn_voices.py measured
23.8 % before that rewording, 22.4 % after. Earlier the same day this test measured 20.6 % on
the old wording (jm_kumo at speed 0.85, with the tone changes of spoken Mandarin, Whisper given
0.3 s of silence before each utterance) and 23.1 % at speed 1.0 (27.1 % / 25.7 % on 2026-12-02).
The worst prompts are consonants and tones the Japanese-accented voice does not make (转接 heard
as 断接, 回答 as 为大, 银行 as 铃航, 经理 as 经历, 账户 as 掌户); misaki's readings were checked
and the two wrong ones are overridden (docs/speech.md has the voices, speeds and pauses tried).
The test is marked xfail(strict, raises=AssertionError): the day the rate is at most 15 % it
passes, strict turns that into a failure, and the marker must go. Only the CER assertion may fail:
a missing Whisper or Kokoro model, or any other error, fails the test instead of hiding as xfail.

The rate is over all the script's prompts together (edit distance / reference characters, both
without punctuation or spaces): per prompt, one wrong character of a six-character prompt would
already be 17 %. The worst prompts are printed for the record.
"""

from __future__ import annotations

import pytest

from asr_models import Pcm, transcribe_pcm
from asr_models.phoneline import through_line
from asr_models.whisper_guard import edit_distance, normalise
from dialogs import load_script
from dialogs.script import render_template
from dialogs.tts import PromptCache, default_engines
from tests.speech.conftest import run
from tests.whisper_model import whisper_engine, whisper_models_dir

pytestmark = pytest.mark.slow
MAX_CER = 0.15


def test_edit_distance() -> None:
    assert edit_distance("好的", "好的") == 0
    assert edit_distance("是我请讲", "是我前讲") == 1
    assert edit_distance("", "abc") == 3 and edit_distance("abc", "") == 3


@pytest.mark.timeout(1800)  # 30 prompts through Kokoro and Whisper: over 600 s at load 6 on 2 cores
@pytest.mark.xfail(strict=True, raises=AssertionError,
                   reason="measured 21.5-22.3 % CER (docs/speech.md); target 15 %")  # fmt: skip
def test_every_mandarin_prompt_is_heard_by_whisper_within_15_percent_cer() -> None:
    script = load_script("cmn-dormant-deposit")
    values = script.resolve_variables({"name": "王伟"})
    cache = PromptCache(whisper_models_dir() / "prompts", default_engines())
    engine = whisper_engine()
    errors = chars = 0
    worst: list[tuple[float, str, str]] = []
    for prompt in script.all_prompts():
        text = render_template(prompt.template, values)
        pcm = run(cache.get, script.voice.spec(text)).pcm
        heard = run(transcribe_pcm, engine, through_line(Pcm(pcm, 8000))).text
        ref, hyp = normalise(text), normalise(heard)
        distance = edit_distance(ref, hyp)
        errors, chars = errors + distance, chars + len(ref)
        worst.append((distance / max(1, len(ref)), text, heard))
    cer = errors / chars
    for rate, said, heard in sorted(worst, reverse=True)[:5]:
        print(f"{rate:6.1%}  said {said}  heard {heard}")
    print(f"CER over {len(worst)} prompts ({chars} characters): {cer:.1%}")
    assert cer <= MAX_CER
