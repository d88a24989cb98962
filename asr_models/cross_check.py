"""A second, free-vocabulary hearing of a turn, to check what the grammar decoder heard.

The Korean model has no [unk] word: in grammar mode every answer comes out as grammar words,
sometimes at confidence 1.00 ("누구시라고요?" heard as 상담원, a transfer). A grammar hearing that
would take a costly outcome at once is therefore checked against a decode of the same audio
without the grammar (the model's full vocabulary, or another recogniser such as Whisper): the
grammar hearing stands only when the free transcript contains its words; otherwise it is
doubtful, and the dialog confirms instead of acting (docs/speech.md, "Designs measured").

The check can only add doubt, never remove it: a free transcript that happens to contain a
grammar word does not make a doubtful hearing clear.
"""

from __future__ import annotations

from dataclasses import replace

from asr_models.audio import TELEPHONY_RATE
from asr_models.hearing import Hearing
from asr_models.recogniser import Recogniser
from asr_models.results import Result
from asr_models.whisper_guard import normalise

CHUNK = TELEPHONY_RATE * 2 // 10  # 100 ms, as the turn listener decodes


async def free_hearing(checker: Recogniser, audio: bytes) -> Result:
    """The turn's audio (8 kHz, 16-bit) decoded without a grammar, in one go."""
    stream = checker.open_stream(TELEPHONY_RATE, None)
    for i in range(0, len(audio), CHUNK):
        await stream.push(audio[i:i + CHUNK])
    return await stream.finish()


def agrees(grammar_text: str, free_text: str) -> bool:
    """Every word the grammar decoder returned is in the free transcript (spacing and
    punctuation ignored: the free model may split 마세요 as 마 세요)."""
    words = [normalise(w) for w in grammar_text.split()]
    plain = normalise(free_text)
    return bool(words) and all(w and w in plain for w in words)


async def cross_check(checker: Recogniser, hearing: Hearing) -> tuple[Hearing, str]:
    """`hearing` as it stands, or marked doubtful when `checker`'s free decode of its audio does
    not contain the words the grammar decoder returned; and the free transcript."""
    if not hearing.audio or hearing.doubtful:
        return hearing, ""
    free = await free_hearing(checker, hearing.audio)
    if agrees(hearing.words or hearing.text, free.text):
        return hearing, free.text
    why = f"a free-vocabulary hearing did not hear it ('{free.text[:60]}')"
    return replace(hearing, doubtful=True, why=why), free.text
