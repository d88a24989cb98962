"""Prompt synthesis with the real espeak-ng, and the prompt cache on a real directory."""

from __future__ import annotations

import wave
from pathlib import Path

import anyio
import pytest

from dialogs.tts import (
    Audio,
    PromptCache,
    PromptSpec,
    Pyttsx3Engine,
    SpeechRequest,
    TtsError,
)
from tests.speech.conftest import run


class CountingEngine:
    """The real engine, counting how many prompts it was asked to render (a peer, not a mock)."""

    name = "espeak-ng"

    def __init__(self, version: str = "v1") -> None:
        self.inner = Pyttsx3Engine()
        self.rendered: list[str] = []
        self._version = version

    @property
    def version(self) -> str:
        return self._version

    async def synthesize_many(self, requests: list[SpeechRequest]) -> list[Audio]:
        self.rendered += [r.text for r in requests]
        return await self.inner.synthesize_many(requests)


def test_a_prompt_is_synthesised_once_then_served_from_disk(tmp_path: Path) -> None:
    engine = CountingEngine()
    spec = PromptSpec("안녕하세요, 고객님", "ko")
    first = run(PromptCache(tmp_path, engine).get, spec)
    again = run(PromptCache(tmp_path, engine).get, spec)  # a new process would see the same
    assert (first.cached, again.cached) == (False, True)
    assert engine.rendered == ["안녕하세요, 고객님"]
    assert again.pcm == first.pcm and 0.5 < first.duration_s < 5
    with wave.open(str(first.path)) as f:
        assert (f.getframerate(), f.getnchannels(), f.getsampwidth()) == (8000, 1, 2)


def test_each_key_field_gives_its_own_prompt(tmp_path: Path) -> None:
    engine = CountingEngine()
    cache = PromptCache(tmp_path, engine)
    base = PromptSpec("yes", "en-us")
    variants = [base, PromptSpec("yes", "cmn"), PromptSpec("yes", "en-us", rate=200),
                PromptSpec("yes", "en-us", sample_rate=16000)]
    prompts = run(cache.prerender, variants)
    assert len({p.path for p in prompts}) == 4
    assert prompts[3].duration_s == pytest.approx(prompts[0].duration_s, rel=0.01)
    assert len(prompts[3].pcm) == pytest.approx(2 * len(prompts[0].pcm), rel=0.01)
    newer = PromptCache(tmp_path, CountingEngine(version="v2"))  # e.g. espeak-ng upgraded
    assert not run(newer.get, base).cached


def test_concurrent_calls_for_one_templated_prompt_synthesise_it_once(tmp_path: Path) -> None:
    engine = CountingEngine()
    cache = PromptCache(tmp_path, engine)
    spec = PromptSpec("김민수님, 잠시 시간 괜찮으세요?", "ko")
    got = []

    async def call() -> None:
        got.append(await cache.get(spec))

    async def main() -> None:
        async with anyio.create_task_group() as tg:
            for _ in range(5):
                tg.start_soon(call)

    anyio.run(main)
    assert engine.rendered == [spec.text]
    assert len({p.pcm for p in got}) == 1


def test_prerender_reports_progress_and_skips_cached(tmp_path: Path) -> None:
    engine = CountingEngine()
    cache = PromptCache(tmp_path, engine)
    run(cache.get, PromptSpec("네", "ko"))
    seen: list[tuple[int, int]] = []
    texts = ["네", "아니요", "좋아요"]
    run(cache.prerender, [PromptSpec(t, "ko") for t in texts], lambda d, n: seen.append((d, n)))
    assert engine.rendered == ["네", "아니요", "좋아요"]  # the first "네" only, then the two new
    assert seen[0] == (1, 3) and seen[-1] == (3, 3)


def test_a_damaged_cache_file_is_rendered_again(tmp_path: Path) -> None:
    cache = PromptCache(tmp_path, Pyttsx3Engine())
    spec = PromptSpec("좋아요", "ko")
    path = run(cache.get, spec).path
    path.write_bytes(b"RIFF garbage")
    again = run(cache.get, spec)
    assert not again.cached and again.duration_s > 0.2


def test_unknown_voice_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(TtsError, match=r"no voice 'xx'.*espeak-ng --voices"):
        run(PromptCache(tmp_path, Pyttsx3Engine()).get, PromptSpec("hello", "xx"))


def test_empty_text_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TtsError, match="empty prompt"):
        run(PromptCache(tmp_path, Pyttsx3Engine()).get, PromptSpec("  ", "ko"))


def test_every_rendering_of_a_prompt_is_whole(tmp_path: Path) -> None:
    # Through pyttsx3 the audio of espeak's last callback was sometimes dropped: "yes" came out
    # 0.57 s instead of 0.83 s in about one run in three, and recognition tests heard cut speech.
    engine = Pyttsx3Engine()
    renders = run(engine.synthesize_many, [SpeechRequest("yes", "en-us")] * 8)
    assert len({r.pcm for r in renders}) == 1 and renders[0].duration_s > 0.7
