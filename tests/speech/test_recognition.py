"""Recognition through the real pipeline: espeak-ng Korean at 8 kHz, VAD gating, the real model."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from asr_models import (
    GrammarError,
    NoSpeech,
    SpeechStarted,
    TurnConfig,
    VoskEngine,
    transcribe_pcm,
)
from asr_models.audio import Pcm
from tests.speech.conftest import ANSWERS, listen, run, silence, utterances


@pytest.mark.parametrize("answer", ANSWERS)
def test_short_answers_are_recognised_in_grammar_mode(
    engine: VoskEngine, say: Callable[..., bytes], answer: str
) -> None:
    audio = silence(0.6) + say(answer) + silence(1.5)
    events, _ = run(listen, engine, audio, ANSWERS)
    assert isinstance(events[0], SpeechStarted)
    [turn] = utterances(events)
    assert turn.result.text == answer
    assert turn.result.phrase == answer
    assert turn.result.words and turn.result.words[0].word == answer
    # The turn closes well before the 0.7 s silence fallback: the recogniser held a whole phrase.
    assert turn.decided_at - turn.speech_end < 0.5


def test_other_sample_rates_are_resampled(engine: VoskEngine, say: Callable[..., bytes]) -> None:
    audio = silence(0.5, 16000) + say("좋아요", rate=16000) + silence(1.2, 16000)
    events, _ = run(listen, engine, audio, ANSWERS, 16000, None, 640)
    assert [u.result.text for u in utterances(events)] == ["좋아요"]


def test_word_times_are_call_times_across_skipped_silence(
    engine: VoskEngine, say: Callable[..., bytes]
) -> None:
    audio = silence(0.5) + say("네") + silence(3.0) + say("아니요") + silence(1.2)
    events, listener = run(listen, engine, audio, ANSWERS)
    first, second = utterances(events)
    assert (first.result.text, second.result.text) == ("네", "아니요")
    # The 3 s pause was never decoded, yet the second answer is placed after it.
    second_word = second.result.words[0]
    assert second_word.start > first.result.words[0].end + 2.5
    assert abs(second_word.start - second.started_at) < 0.6
    assert listener.stats.decoded_s < 0.6 * listener.stats.audio_s


def test_silent_stretches_cost_no_decoding(engine: VoskEngine) -> None:
    events, listener = run(listen, engine, silence(5.0), ANSWERS)
    assert events == []
    assert listener.stats.audio_s == pytest.approx(5.0)
    assert listener.stats.decoded_s == 0


def test_no_speech_is_reported_once_after_the_timeout(engine: VoskEngine) -> None:
    config = TurnConfig(no_input_ms=2000)
    events, _ = run(listen, engine, silence(5.0), ANSWERS, 8000, config)
    assert events == [NoSpeech(2.0)]


def test_free_vocabulary_returns_text_and_word_times(
    engine: VoskEngine, say: Callable[..., bytes]
) -> None:
    pcm = Pcm(silence(0.3) + say("안녕하세요 고객님 네 좋아요") + silence(0.3), 8000)
    transcript = run(transcribe_pcm, engine, pcm, None)
    assert transcript.text
    assert transcript.duration_s == pytest.approx(pcm.duration_s)
    assert transcript.rtf > 0
    starts = [w.start for w in transcript.words]
    assert starts == sorted(starts)
    assert all(0 <= w.start <= w.end <= transcript.duration_s for w in transcript.words)
    assert all(0 <= w.conf <= 1 for w in transcript.words)


def test_phrase_with_out_of_vocabulary_words_maps_back(
    engine: VoskEngine, say: Callable[..., bytes]
) -> None:
    # "전화하지" is not in the Korean model's vocabulary; the phrase is heard by its known word.
    assert engine.unknown_words(["전화하지 마세요"]) == ["전화하지"]
    grammar = ["네", "전화하지 마세요", "상담원"]
    events, _ = run(listen, engine, silence(0.5) + say("상담원") + silence(1.2), grammar)
    [turn] = utterances(events)
    assert turn.result.phrase == "상담원"
    stream = engine.open_stream(8000, grammar)
    assert stream.grammar is not None and "전화하지 마세요" in stream.grammar


def test_a_phrase_the_model_can_never_hear_is_refused(engine: VoskEngine) -> None:
    with pytest.raises(GrammarError, match="누구세요"):
        engine.open_stream(8000, ["네", "누구세요"])
