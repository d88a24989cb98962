"""Guards against text Whisper invents: pure checks on one decoded utterance.

Whisper is a language model as much as a recogniser: on noise, a click or a very short sound it
can produce fluent text nobody said (a loop of the same words, a line of subtitle credits, or the
initial prompt read back). An invented "别再打了" would put a customer on the do-not-call list;
an invented "好的" would transfer them. So an utterance's text is kept only if it passes all of:
  * there was speech: enough loud audio, and Whisper itself did not judge it silence;
  * it is not a repetition loop (zlib compression ratio above 2.4, Whisper's own threshold,
    or a short run repeated: one character five times, 2-6 characters three times);
  * it is not longer than a person can say in that time (8 characters a second, plus 4);
  * it is not an echo of the initial prompt, nor a known hallucination phrase.
A dropped utterance is heard as nothing (the dialog's "no match" handling), never as something.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

MAX_CHARS_PER_S = 8.0
MAX_CHARS_EXTRA = 4
MAX_COMPRESSION = 2.4
NO_SPEECH_PROB = 0.6
LOW_LOGPROB = -1.0
MIN_SPEECH_S = 0.12
# Lines Whisper is known to produce on silence or music (it learned them from subtitled video).
HALLUCINATIONS = (
    "字幕", "订阅", "点赞", "转发", "打赏", "明镜", "栏目", "谢谢观看", "感谢观看", "请不吝",
    "amara", "优优独播剧场", "yoyo television", "中文字幕",
)


@dataclass(frozen=True, slots=True)
class Segment:
    """What the guard needs of one Whisper segment."""

    text: str
    avg_logprob: float
    no_speech_prob: float
    compression_ratio: float


@dataclass(frozen=True, slots=True)
class Verdict:
    text: str  # the kept text ("" when dropped)
    reason: str | None  # why it was dropped, for the transcript's QA view and the tests


def normalise(text: str) -> str:
    """Lower case, no punctuation or spaces: how texts are compared here."""
    kept = [c for c in text.lower() if not unicodedata.category(c).startswith(("P", "Z", "S"))]
    return "".join(kept)


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance in characters: the numerator of a character error rate (CER) of
    `normalise`d reference and hearing."""
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]


def judge(segments: list[Segment], audio_s: float, speech_s: float,
          initial_prompt: str) -> Verdict:
    """Keep or drop the text of one utterance (`speech_s`: seconds of it that were speech)."""
    text = "".join(s.text for s in segments).strip()
    plain = normalise(text)
    reason = _why_drop(segments, plain, audio_s, speech_s, normalise(initial_prompt))
    return Verdict("" if reason else text, reason)


def _why_drop(segments: list[Segment], plain: str, audio_s: float, speech_s: float,
              prompt: str) -> str | None:
    if not plain:
        return "empty"
    if speech_s < MIN_SPEECH_S:
        return "no speech in the audio"
    if all(s.no_speech_prob > NO_SPEECH_PROB and s.avg_logprob < LOW_LOGPROB for s in segments):
        return "Whisper judged it silence"
    if any(s.compression_ratio > MAX_COMPRESSION for s in segments) or _loops(plain):
        return "repetition loop"
    if len(plain) > MAX_CHARS_PER_S * audio_s + MAX_CHARS_EXTRA:
        return f"{len(plain)} characters in {audio_s:.1f} s is more than anyone says"
    if len(plain) >= 4 and plain in prompt:
        return "echo of the initial prompt"
    if any(h in plain for h in HALLUCINATIONS):
        return "a known Whisper hallucination"
    return None


def _loops(plain: str) -> bool:
    """One character five times in a row (对对对 is an answer; five is a loop), or the same 2-6
    characters three times in a row (seen: 以后序庭以后序庭以后序庭 for 有啊，最近有这个打算)."""
    return re.search(r"(.)\1{4,}|(.{2,6})\2{2,}", plain) is not None
