"""How sure a hearing is: the one judgement a live call and `script run --audio` both use.

`judge` takes what the turn listener heard with the state's grammar and says whether it is
doubtful: the text is not one of the expected phrases, the turn broke into several utterances,
or the mean word confidence is under `doubt_below`: the script's `defaults.confirm_below`, the one
doubt threshold the dialog engine also confirms costly outcomes under (docs/dialogs.md). The
Korean model has no [unk] word, so a grammar hearing can be confidently wrong; the dialog
confirms costly outcomes heard with doubt.

`hear_pcm` feeds a whole answer through the same TurnListener a call uses (20 ms frames at 8 kHz,
then silence so the turn can end) and judges it the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from asr_models.audio import TELEPHONY_RATE, Pcm, resample
from asr_models.listener import TurnConfig, TurnListener, Utterance, join_results
from asr_models.recogniser import Recogniser
from asr_models.results import Result

FRAME = 320  # 20 ms at 8 kHz, 16-bit
TRAILING_SILENCE_S = 1.0


@dataclass(frozen=True, slots=True)
class Hearing:
    text: str  # what the dialog's classifier is given (the phrase as written when one matched)
    confidence: float
    doubtful: bool
    why: str = ""  # why the hearing is doubtful ("" when it is not)
    words: str = ""  # the words the recogniser returned (text is the phrase when one matched)
    audio: bytes = field(default=b"", repr=False, compare=False)  # the decoded turn, 8 kHz

    def as_dict(self) -> dict[str, Any]:
        return {"text": self.text, "confidence": round(self.confidence, 3),
                "doubtful": self.doubtful}


def judge(result: Result, grammar: Sequence[str] | None, doubt_below: float,
          pieces: int = 1) -> Hearing:
    """What the dialog is told about one heard answer (`pieces`: utterances it came in)."""
    if not result.text:
        return Hearing("", 0.0, False)
    phrase = result.phrase if pieces == 1 else None
    why = ("not an expected phrase" if grammar is not None and phrase is None
           else "broke into several utterances" if pieces > 1
           else f"confidence under {doubt_below:g}" if result.confidence < doubt_below
           else "")
    return Hearing(phrase or result.text, result.confidence, bool(why), why, result.text)


async def hear_pcm(engine: Recogniser, pcm: Pcm, grammar: Sequence[str] | None,
                   doubt_below: float, config: TurnConfig | None = None) -> Hearing:
    """The caller's answer in `pcm` as a live call would hear it with `grammar`; `doubt_below` is
    the script's `defaults.confirm_below`."""
    audio = resample(pcm, TELEPHONY_RATE).data + bytes(int(TRAILING_SILENCE_S * TELEPHONY_RATE) * 2)
    listener = TurnListener(engine.open_stream(TELEPHONY_RATE), TELEPHONY_RATE, config)
    listener.expect(list(grammar) if grammar else None)
    heard: list[Utterance] = []
    for i in range(0, len(audio), FRAME):
        heard += [e for e in await listener.feed(audio[i:i + FRAME]) if isinstance(e, Utterance)]
    last = await listener.close()
    if last is not None:
        heard.append(last)
    spoken = [u.result for u in heard if u.result.text]
    if not spoken:
        return Hearing("", 0.0, False)
    hearing = judge(join_results(spoken), forced_grammar(engine, grammar), doubt_below,
                    len(spoken))
    return replace(hearing, audio=b"".join(u.audio for u in heard))


def forced_grammar(engine: Recogniser, grammar: Sequence[str] | None) -> Sequence[str] | None:
    """The grammar a hearing is judged against: only a recogniser that decodes within the
    grammar (vosk) forces speech onto it; a free hearing (whisper) that is no phrase is just what
    was said, not a doubt."""
    return (grammar or None) if engine.streaming else None
