"""Kokoro-82M speaking Mandarin through the prompt cache, the espeak-ng pinyin fallback, and the
script's pronunciation overrides, with the real model from the installed packages.

The Kokoro child process loads the ONNX session once for the whole test session (shared by every
KokoroEngine of this process), so each test costs only its prompts' synthesis.
"""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest

from dialogs import load_script
from dialogs.tts import (
    Audio,
    KokoroEngine,
    KokoroModel,
    PromptCache,
    PromptSpec,
    Pyttsx3Engine,
    SpeechRequest,
    TtsEngine,
    TtsError,
    Voice,
    default_engines,
)
from dialogs.tts.engine import _espeak_text
from dialogs.tts.kokoro import TARGET_DBFS, packaged_model
from dialogs.tts.mandarin import kokoro_phonemes, pinyin_text
from orchestrator.runtime import prompt_cache
from orchestrator.settings import Settings
from tests.speech.conftest import run

KUMO = Voice("jm_kumo", "kokoro")


class Counting:
    """The real engine, counting the prompts it renders (a peer, not a mock)."""

    def __init__(self, inner: KokoroEngine) -> None:
        self.inner = inner
        self.name = inner.name
        self.rendered: list[str] = []

    @property
    def version(self) -> str:
        return self.inner.version

    async def synthesize_many(self, requests: list[SpeechRequest]) -> list[Audio]:
        self.rendered += [r.text for r in requests]
        return await self.inner.synthesize_many(requests)


def active_dbfs(pcm: bytes) -> float:
    x = np.frombuffer(pcm, dtype="<i2").astype(np.float64) / 32768
    active = x[np.abs(x) > 0.01]
    return float(20 * np.log10(np.sqrt(np.mean(active**2))))


def test_mandarin_prompt_is_spoken_by_kokoro_at_8khz_and_cached(tmp_path: Path) -> None:
    counting = Counting(KokoroEngine())
    engines: dict[str, TtsEngine] = {"espeak": Pyttsx3Engine(), "kokoro": counting}
    cache = PromptCache(tmp_path, engines)
    first = run(cache.get, KUMO.spec("您好，请问您是王伟吗？"))
    assert not first.cached and first.spec.sample_rate == 8000
    with wave.open(str(first.path)) as f:
        assert (f.getframerate(), f.getnchannels(), f.getsampwidth()) == (8000, 1, 2)
    # About ten syllables: more than a second of speech, far less than a stuck model's output.
    assert 1.0 < first.duration_s < 6.0
    assert abs(active_dbfs(first.pcm) - TARGET_DBFS) < 3  # loudness-normalised
    again = run(PromptCache(tmp_path, engines).get, KUMO.spec("您好，请问您是王伟吗？"))
    assert again.cached and again.pcm == first.pcm
    assert counting.rendered == ["您好，请问您是王伟吗？"]


def test_the_mandarin_script_speaks_with_kokoro_by_default(tmp_path: Path) -> None:
    script = load_script("cmn-dormant-deposit")
    assert (script.voice.engine, script.voice.name) == ("kokoro", "jm_kumo")
    cache = prompt_cache(Settings(home=tmp_path))
    spec = script.voice.spec(script.render("close_wrong_person", {"name": "王伟"}))
    assert cache.engine_for(spec).name == "kokoro"
    prompt = run(cache.get, spec)
    assert prompt.duration_s > 0.8 and prompt.path.is_relative_to(tmp_path)


def test_pronounce_overrides_the_reading_in_both_engines() -> None:
    fixed = {"还款": "huan2 kuan3"}
    # misaki (through pypinyin) reads 还款 as hai2 kuan3, "still money".
    assert "xai↗" in kokoro_phonemes("请按时还款")
    assert "xwa↗n" in kokoro_phonemes("请按时还款", fixed)
    assert "xai↗" not in kokoro_phonemes("请按时还款", fixed)
    assert pinyin_text("请按时还款") == "qing3 an4 shi2 hai2 kuan3"
    assert pinyin_text("请按时还款", fixed) == "qing3 an4 shi2 huan2 kuan3"


def test_pronounce_changes_the_kokoro_audio_and_its_cache_entry(tmp_path: Path) -> None:
    cache = PromptCache(tmp_path, default_engines())
    plain = run(cache.get, KUMO.spec("还款"))
    fixed = Voice("jm_kumo", "kokoro", pronounce=(("还款", "huan2 kuan3"),))
    over = run(cache.get, fixed.spec("还款"))
    assert over.path != plain.path and not over.cached
    assert over.pcm != plain.pcm


def test_espeak_fallback_speaks_mandarin_as_pinyin_not_english_digits(tmp_path: Path) -> None:
    engine = Pyttsx3Engine()
    chinese = run(engine.synthesize, SpeechRequest("你好，再见", "cmn"))
    pinyin = run(engine.synthesize, SpeechRequest("ni3 hao3 , zai4 jian4", "cmn-latn-pinyin"))
    english = run(engine.synthesize, SpeechRequest("ni3 hao3 , zai4 jian4", "cmn"))
    # Characters -> tone-numbered pinyin -> the pinyin voice: the same speech as the pinyin itself
    # (within 5 %; espeak-ng's output is not always byte-identical), and far shorter than what
    # the `cmn` voice said before, "ni-three hao-three, zai-four jian-four" in English digits.
    assert _espeak_text(SpeechRequest("你好，再见", "cmn")) == {
        "text": "ni3 hao3 , zai4 jian4", "voice": "cmn-latn-pinyin"}
    assert abs(chinese.duration_s - pinyin.duration_s) < 0.05 * pinyin.duration_s
    assert english.duration_s > 1.2 * chinese.duration_s


def test_unknown_kokoro_voice_is_one_clear_error(tmp_path: Path) -> None:
    cache = PromptCache(tmp_path, default_engines())
    with pytest.raises(TtsError, match=r"Kokoro has no voice 'zf_xiaobei'.*jm_kumo"):
        run(cache.get, PromptSpec("你好", "zf_xiaobei", engine="kokoro"))
    with pytest.raises(TtsError, match=r"no speech engine 'piper'.*espeak, kokoro"):
        run(cache.get, PromptSpec("你好", "x", engine="piper"))


def test_a_damaged_kokoro_model_is_refused_before_it_speaks(tmp_path: Path) -> None:
    good = packaged_model()
    assert good is not None
    damaged = KokoroModel("damaged", good.parts, good.voices, good.vocab, "0" * 64, "path")
    with pytest.raises(TtsError, match="does not match its sha256"):
        run(KokoroEngine(damaged).synthesize_many, [SpeechRequest("你好", "jm_kumo")])


def test_kokoro_reads_mandarin_with_its_tone_changes() -> None:
    # 可以 is said ke2 yi3 (two third tones), 打扰 da2 rao3, 不再 bu2 zai4 (不 before a fourth
    # tone), 意思 with a neutral si: misaki's v1.0 reading gave every character its own tone.
    assert "kʰɤ↗i↓" in kokoro_phonemes("可以吗？")
    assert "ta↗ɻau↓" in kokoro_phonemes("打扰您了。")
    assert "pu↗ʦai↘" in kokoro_phonemes("以后不再打了。")
    assert "pu↘xau↓" in kokoro_phonemes("不好意思。")  # 不 before a third tone keeps its own
    # An override is read as written, without tone changes.
    assert "kʰɤ↓i↓" in kokoro_phonemes("可以吗？", {"可以": "ke3 yi3"})
