"""Korean: kiwipiepy morphemes. Verbs and adjectives become their lemma (바빠요, 바빠서 -> 바쁘다),
endings and particles are dropped (the past 었 is kept: 됐어요 is not 돼요), and negation is read
from the morphemes: 안/못 before the cue, or -지 않다/말다/못하다, 없다, 아니다 after it.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from dialogs.lang.base import Analyser, Tok, collapse_repeats, nfkc

NEGATORS = frozenset({"안", "못"})
# Adverbs that may stand between 안/못 and the word: 안 그렇게 바빠요, 별로 안 좋아요.
FILLERS = frozenset({"잘", "별로", "전혀", "그다지", "그렇게", "너무", "딱히", "아직", "지금", "좀",
                     "그리", "많이", "하나도"})
AFTER = frozenset({"않다", "말다", "못하다", "없다", "아니다"})
_DROP_TAGS = ("E", "J", "S", "XSN", "VCP", "XPN")
_KEEP_EP = frozenset({"었", "았"})
_ASKING = ("나요", "까요", "가요", "니", "냐", "ㄹ까")  # question endings: a request that asks

_lock = threading.Lock()
_kiwi: Any = None


def _load() -> Any:
    global _kiwi
    with _lock:
        if _kiwi is None:
            from kiwipiepy import Kiwi

            kiwi = Kiwi()
            kiwi.tokenize("준비")  # the first analysis finishes loading the model
            _kiwi = kiwi
    return _kiwi


def _key(form: str, tag: str, lemma: str) -> str | None:
    if tag == "EP":
        return "었" if form in _KEEP_EP else None
    if tag in ("XSV", "XSA"):
        return "하다" if form == "하" else None
    if tag.startswith(_DROP_TAGS) and tag not in ("SL", "SN"):
        return None
    if tag.startswith("V"):
        return lemma
    if tag == "IC":
        return _unrepeat(form)
    return form


def _unrepeat(word: str) -> str:
    """응응 -> 응, 예예 -> 예, 네네 -> 네 (kiwi keeps some repeated answers as one word)."""
    for size in (1, 2):
        if len(word) > size and len(word) % size == 0 and word == word[:size] * (len(word) // size):
            return word[:size]
    return word


class KoreanAnalyser(Analyser):
    family = "ko"
    max_gap = 4
    answer_words = frozenset({"네", "예", "응"})
    asking_cancels_answers = True

    def warm_up(self) -> float:
        started = time.perf_counter()
        if _kiwi is None:
            _load()
        return time.perf_counter() - started

    def tokens(self, text: str) -> list[Tok]:
        keys: list[str] = []
        asking = "?" in text or "？" in text
        for t in _load().tokenize(nfkc(text)):
            key = _key(t.form, t.tag, t.lemma)
            if key:
                keys.append(key)
            asking = asking or (t.tag == "EF" and t.form.endswith(_ASKING))
        kept = collapse_repeats(keys)
        return [Tok(keys[i], n, in_question=asking) for n, i in enumerate(kept)]

    def negated(self, toks: list[Tok], start: int, end: int) -> bool:
        if toks[start].key in NEGATORS or any(t.key in AFTER for t in toks[start:end]):
            return False  # the cue carries its own negation (관심 없다, 하지 말다)
        i = start - 1
        while i >= 0 and toks[i].key in FILLERS:
            i -= 1
        if i >= 0 and toks[i].key in NEGATORS:
            return True
        j = end
        while j < len(toks) and toks[j].key in ("거", "것", "건", "었"):
            j += 1
        return j < len(toks) and toks[j].key in AFTER
