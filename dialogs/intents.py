"""Intent classification: from recognised text to one of the intents valid in the current state.

Cues (an intent's phrases and keywords) are looked for in the normalised text. Overlapping cues go
to the longest ("not interested" beats "interested", "不需要" beats "需要"); a cue preceded by a
negator (or, in Korean, followed by a negative ending) becomes the intent's `negated` intent.
Korean and Chinese are compared without spaces, since recognisers and people space them freely.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from dialogs.schema import IntentDef

NO_MATCH = "no_match"

# Negators that may come right before a cue, and words allowed between the negator and the cue.
_BEFORE = {
    "ko": (("안", "못"), ("잘", "별로", "전혀", "그다지")),
    "cmn": (("不", "没", "没有", "别", "并不", "不是"), ("太", "很", "怎么", "是很", "大")),
    "en": (("not", "never", "no longer"), ("really", "very", "that", "too", "so", "at", "all",
                                            "quite", "be", "am", "is", "are", "much", "at all")),
}
# Korean also negates after the word: 좋지 않아요, 필요 없어요, 하지 마세요.
_KO_AFTER = ("지않", "지는않", "지마", "지못", "않", "없", "못해")

_PUNCT = re.compile(r"[^\w\s']", re.UNICODE)


@dataclass(frozen=True)
class Classification:
    """The understood intent (NO_MATCH when nothing fitted) and why."""

    intent: str
    cue: str | None = None
    negated: bool = False
    uncertain: bool = False
    ambiguous: bool = False  # an answer and its opposite were both heard


@dataclass(frozen=True)
class _Hit:
    intent: str
    cue: str
    start: int
    end: int
    priority: int
    negated: bool = False


def _family(language: str) -> str:
    base = language.lower().split("-")[0]
    if base in ("ko", "kor"):
        return "ko"
    if base in ("cmn", "zh", "yue", "cn"):
        return "cmn"
    return "en"


class IntentClassifier:
    """Classifies text for one script (its language and its intents)."""

    def __init__(self, language: str, intents: Mapping[str, IntentDef]) -> None:
        self.family = _family(language)
        self.intents = intents
        self._cues = {
            name: sorted({self.normalise(c) for c in (*i.phrases, *i.keywords)} - {""}, key=len)
            for name, i in intents.items()
        }

    def normalise(self, text: str) -> str:
        text = unicodedata.normalize("NFKC", text).lower().replace("’", "'")
        if self.family == "en":
            text = text.replace("n't", " not").replace("cannot", "can not")
            text = _PUNCT.sub(" ", text).replace("'", " ")
            return " ".join(text.split())
        return "".join(_PUNCT.sub("", text).replace("'", "").split())

    def classify(
        self,
        text: str,
        valid: Collection[str],
        confidence: float = 1.0,
        min_confidence: float = 0.0,
    ) -> Classification:
        """The intent among `valid` that `text` expresses; uncertain if confidence is too low."""
        norm = self.normalise(text)
        hits = self._hits(text, norm, valid)
        if not hits:
            return Classification(NO_MATCH, uncertain=confidence < min_confidence)
        best = max(hits, key=lambda h: (h.priority, h.end - h.start, h.start))
        if any(self._contradicts(best, other) for other in hits):
            # "네 아니요", "yes no": both an answer and its opposite; ask again rather than guess.
            return Classification(NO_MATCH, uncertain=confidence < min_confidence,
                                  ambiguous=True)
        return Classification(
            best.intent,
            best.cue,
            negated=best.negated,
            uncertain=confidence < min_confidence,
        )

    def _hits(self, text: str, norm: str, valid: Collection[str]) -> list[_Hit]:
        raw: list[_Hit] = []
        singles = self._token_starts(text)
        for name, cues in self._cues.items():
            for cue in cues:
                # One Korean/Chinese character ("네", "是", "对") counts only as a word on its own:
                # otherwise "예" would be heard in "예금" and "是" in "你是谁".
                single = len(cue) == 1 and self.family != "en"
                found = singles.get(cue, []) if single else self._find(norm, cue)
                for start in found:
                    priority = self.intents[name].priority
                    raw.append(_Hit(name, cue, start, start + len(cue), priority))
        # A cue inside a longer cue's span is part of that longer cue, not a separate answer.
        kept = [h for h in raw if not any(_inside(h, o) for o in raw)]
        out: list[_Hit] = []
        for hit in kept:
            resolved = hit
            negated_as = self.intents[hit.intent].negated
            if negated_as is not None and self._is_negated(norm, hit):
                resolved = _Hit(negated_as, hit.cue, hit.start, hit.end,
                                self.intents[negated_as].priority, negated=True)
            if resolved.intent in valid:
                out.append(resolved)
        return out

    def _contradicts(self, a: _Hit, b: _Hit) -> bool:
        return (self.intents[a.intent].negated == b.intent
                or self.intents[b.intent].negated == a.intent)

    def _token_starts(self, text: str) -> dict[str, list[int]]:
        """Where each whole word starts in the compact (spaceless) text; empty for English."""
        if self.family == "en":
            return {}
        starts: dict[str, list[int]] = {}
        offset = 0
        for token in unicodedata.normalize("NFKC", text).lower().split():
            word = self.normalise(token)
            starts.setdefault(word, []).append(offset)
            offset += len(word)
        return starts

    def _find(self, norm: str, cue: str) -> list[int]:
        if self.family == "en":
            padded, needle = f" {norm} ", f" {cue} "
            return [m.start() for m in re.finditer(f"(?={re.escape(needle)})", padded)]
        return [m.start() for m in re.finditer(f"(?={re.escape(cue)})", norm)]

    def _is_negated(self, norm: str, hit: _Hit) -> bool:
        negators, fillers = _BEFORE[self.family]
        if self.family == "en":
            before = f" {norm} "[: hit.start + 1].split()
            while before and before[-1] in fillers:
                before.pop()
            tail = " ".join(before[-2:])
            return bool(before) and (before[-1] in negators or tail in negators)
        prefix = norm[: hit.start]
        stripped = True
        while stripped:
            stripped = False
            for filler in fillers:
                if prefix.endswith(filler):
                    prefix, stripped = prefix[: -len(filler)], True
        if any(prefix.endswith(n) for n in negators):
            return True
        return self.family == "ko" and norm[hit.end :].startswith(_KO_AFTER)


def _inside(inner: _Hit, outer: _Hit) -> bool:
    return (
        outer is not inner
        and outer.start <= inner.start
        and inner.end <= outer.end
        and (outer.end - outer.start) > (inner.end - inner.start)
    )
