"""What every language analyser provides to the intent matcher."""

from __future__ import annotations

import unicodedata
from abc import ABC, abstractmethod
from dataclasses import dataclass


@dataclass(frozen=True)
class Tok:
    """One matching unit: a morpheme lemma (ko), a character (cmn) or a word (en).

    `whole` is set when the unit is a word on its own (a one-character Chinese cue such as 对 or
    是 must match a whole word, not a character inside 你是谁); `word` numbers the word it is in.
    """

    key: str
    word: int
    whole: bool = True
    word_start: bool = True
    answer_ok: bool = True  # may be read as a bare answer word (是, 对, 不): leads its clause
    in_question_word: bool = False  # inside an A-not-A question word (是不是, 有没有), not its head
    in_question: bool = False  # in a clause that asks (吗, ?, "can you ..."): a weak request
    request: bool = False  # a polite request put as a question ("can I speak to ...?")


def family(language: str) -> str:
    base = language.lower().split("-")[0]
    if base in ("ko", "kor"):
        return "ko"
    if base in ("cmn", "zh", "yue", "cn"):
        return "cmn"
    return "en"


def nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower().replace("’", "'")


def collapse_repeats(keys: list[str]) -> list[int]:
    """Indexes of `keys` to keep when repetition is dropped: "네 네 네", "对对对", "yes yes"
    and "好的好的" (a repeated pair) keep their first copy."""
    keep: list[int] = []
    i = 0
    while i < len(keys):
        keep.append(i)
        step = 1
        for size in (1, 2):
            unit = keys[i : i + size]
            j = i + size
            while len(unit) == size and keys[j : j + size] == unit:
                j += size
            if j > i + size:
                keep.extend(range(i + 1, i + size))
                step = j - i
                break
        i += step
    return keep


class Analyser(ABC):
    """Tokens for text and cues, and the language's negation rule."""

    family: str = "en"
    max_gap: int = 4  # units a `…` in a cue may skip
    # One-word answers that answer only where they lead the sentence (en "right" in "I'm driving
    # right now" is not a yes); their tokens say so in `answer_ok`.
    answer_words: frozenset[str] = frozenset()
    asking_cancels_answers = False  # ko: "네?" is "pardon?", not a yes
    # Verbs that mean little without the noun they are glued to (ko 하다: 전화하다, 연결하다): a
    # cue starting with one starts only where a word starts.
    light_verbs: frozenset[str] = frozenset()
    # The language's forms of refusal, whatever the sentence around them: a negative imperative
    # (ko 말다 of -지 마세요, cmn 别/不要) or "stop" (ko 그만). Only a doubtful hearing is read
    # for them (docs/dialogs.md, "A refusal heard with doubt"); no intent is taken on them.
    refusal_marks: frozenset[str] = frozenset()

    def warm_up(self) -> float:
        """Load whatever the analyser needs; seconds spent (0 when already loaded)."""
        return 0.0

    @abstractmethod
    def tokens(self, text: str) -> list[Tok]:
        """The text's matching units, repetition collapsed."""

    def cue_tokens(self, cue: str) -> list[str]:
        """A cue part's units (the same analysis as the text, so 바빠요 and 바쁘다 match alike)."""
        return [t.key for t in self.tokens(cue)]

    def refusal(self, text: str) -> str | None:
        """The first refusal form in `text` (a token key in `refusal_marks`), or None."""
        return next((t.key for t in self.tokens(text) if t.key in self.refusal_marks), None)

    def sounds_like(self, text: str, cue: str) -> bool:
        """Whether `text` holds something that sounds like `cue` although written otherwise
        (a recogniser's homophone); only languages whose script hides the sound say so."""
        return False

    def respells(self, heard: str, again: str) -> bool:
        """Whether `again` (the same audio decoded a second time, with the script's opt-out words
        as a hint) writes the same sounds as `heard`, differing in at most half of them: a hint
        may change how a half-heard sound is written, not put new words where others were heard.
        Only languages whose script hides the sound say so (docs/speech.md)."""
        return False

    def negation_start(self, toks: list[Tok], start: int) -> int:
        """Where the negation of a negated cue starting at `start` begins (its negator)."""
        return start

    @abstractmethod
    def negated(self, toks: list[Tok], start: int, end: int) -> bool:
        """Whether the span toks[start:end] (a matched cue) is negated in its sentence."""
