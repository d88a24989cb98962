"""One answer heard as in a live call: voice gate, turn listener, the state's grammar.

`hear_pcm` feeds a whole answer through the same TurnListener a call uses (20 ms frames at 8 kHz,
then silence so the turn can end) and says how sure the hearing is. `doubtful` is set when the
text is not one of the expected phrases, when the turn broke into several utterances, or when the
mean word confidence is under `doubt_below`: the script's `defaults.confirm_below`, the one doubt
threshold the dialog engine also confirms costly outcomes under (docs/dialogs.md). The Korean
model has no [unk] word, so a grammar hearing can be confidently wrong; the dialog confirms
costly outcomes heard with doubt.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from asr_models.audio import TELEPHONY_RATE, Pcm, resample
from asr_models.listener import TurnConfig, TurnListener, Utterance, join_results
from asr_models.vosk_engine import VoskEngine

FRAME = 320  # 20 ms at 8 kHz, 16-bit
TRAILING_SILENCE_S = 1.0


@dataclass(frozen=True, slots=True)
class Hearing:
    text: str  # what the dialog's classifier is given (the phrase as written when one matched)
    confidence: float
    doubtful: bool

    def as_dict(self) -> dict[str, Any]:
        return {"text": self.text, "confidence": round(self.confidence, 3),
                "doubtful": self.doubtful}


async def hear_pcm(engine: VoskEngine, pcm: Pcm, grammar: Sequence[str] | None,
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
    result = join_results(spoken)
    phrase = result.phrase if len(spoken) == 1 else None
    out_of_grammar = grammar is not None and phrase is None
    doubtful = out_of_grammar or len(spoken) > 1 or result.confidence < doubt_below
    return Hearing(phrase or result.text, result.confidence, doubtful)
