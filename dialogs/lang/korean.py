"""Korean: kiwipiepy morphemes. Verbs and adjectives become their lemma (바빠요, 바빠서 -> 바쁘다),
endings and particles are dropped (the past 었 is kept: 됐어요 is not 돼요), and negation is read
from the morphemes: 안/못 before the cue, or -지 않다/말다/못하다, 없다, 아니다 after it; a cue that
carries its own negation is negated once more by one after it (관심 없지는 않아요: interested).
A cue is written in dictionary forms (말다, 바쁘다, 관심 없다); the copula 이다 is dropped as in
the text (저 이다 is 저, as 저예요 is). A cue starting with the light verb 하다 starts only at a
word: 하지 마세요 is not inside 연결하지 마세요 or 거짓말하지 마세요.
"""

from __future__ import annotations

import threading
import time
from functools import lru_cache
from typing import Any

from dialogs.lang.base import Analyser, Tok, collapse_repeats, nfkc

NEGATORS = frozenset({"안", "못"})
# Adverbs that may stand between 안/못 and the word: 안 그렇게 바빠요, 별로 안 좋아요.
FILLERS = frozenset({"잘", "별로", "전혀", "그다지", "그렇게", "너무", "딱히", "아직", "지금", "좀",
                     "그리", "많이", "하나도"})
AFTER = frozenset({"않다", "말다", "못하다", "없다", "아니다"})
_DROP_TAGS = ("E", "J", "S", "XSN", "VCP", "XPN")
_KEEP_EP = frozenset({"었", "았"})
# Question endings: a request that asks.
_ASKING = ("나요", "까요", "가요", "니", "냐", "ㄹ까", "죠", "지요", "ᆯ까", "ᆫ가", "는지")
_LEADING_TAGS = ("IC",)  # interjections (어, 음, 네) may come before a bare answer
# Readings kiwi picks that a phone call does not mean: 걸어요 is 걸다 (to call), not 걷다 (to walk),
# which conjugates alike.
_SAME = {"걷다": "걸다"}
_SKIP_AFTER = ("거", "것", "건", "었", "수")

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


# Exclamative endings: an appraisal of what was said (괜찮네요 "that's nice", not 괜찮아요 "no
# thanks"), kept as the one key 네요 so a cue can say `괜찮다 네요`.
_APPRAISAL = ("네요", "네", "군요", "구나", "구먼", "네용")


def _keys(form: str, tag: str, lemma: str) -> list[str]:
    """A morpheme's keys: 궁금하다 is 궁금 + 하다 however kiwi splits it (it reads 궁금하네요 as
    one adjective and 수상한데요 as noun + suffix); a compound noun (국민은행) is its parts."""
    if tag == "EF" and form in _APPRAISAL:
        return ["네요"]
    if tag == "EP":
        return ["었"] if form in _KEEP_EP else []
    if tag in ("XSV", "XSA"):
        return ["하다"] if form == "하" else []
    if tag == "VCP":
        return ["이다"]  # kept, so that 저예요 (저 이다) is not 제 번호 (저)
    if tag.startswith(_DROP_TAGS) and tag not in ("SL", "SN"):
        return []
    if tag.startswith("V"):
        lemma = _SAME.get(lemma, lemma)
        if len(lemma) > 2 and lemma.endswith("하다"):
            return [lemma[:-2], "하다"]
        return [lemma]
    if tag == "IC":
        return [_unrepeat(form)]
    if tag.startswith("NN") and len(form) >= 3:
        return _compound(form)
    return [form]


@lru_cache(maxsize=8192)
def _compound_cached(form: str) -> tuple[str, ...]:
    head, rest = form[-2:], form[:-2]
    for part in (head, rest):
        toks = _load().tokenize(part)
        if len(toks) != 1 or not toks[0].tag.startswith(("NN", "NP")):
            return (form,)
    return (rest, head)


def _compound(form: str) -> list[str]:
    return list(_compound_cached(form))


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
    light_verbs = frozenset({"하다"})

    def warm_up(self) -> float:
        started = time.perf_counter()
        if _kiwi is None:
            _load()
        return time.perf_counter() - started

    def tokens(self, text: str) -> list[Tok]:
        keys: list[str] = []
        starts: list[bool] = []
        leads: list[bool] = []
        text = nfkc(text)
        asking = "?" in text or "？" in text
        leading = True
        for t in _load().tokenize(text):
            for k, key in enumerate(_keys(t.form, t.tag, t.lemma)):
                keys.append(key)
                starts.append(k == 0 and (t.start == 0 or text[t.start - 1].isspace()
                                          or t.tag not in ("XSV", "XSA")))
                leads.append(leading)
                leading = leading and (t.tag.startswith(_LEADING_TAGS)
                                       or key in self.answer_words)
            asking = asking or (t.tag == "EF" and t.form.endswith(_ASKING))
        kept = collapse_repeats(keys)
        request = asking and "주다" in keys  # 연결해 주실래요?: a request put as a question
        return [Tok(keys[i], n, word_start=starts[i], answer_ok=leads[i], in_question=asking,
                    request=request) for n, i in enumerate(kept)]

    def refusal(self, text: str) -> str | None:
        """그만, or 말다 as an imperative (마세요, 걸지 마, 말아요), not the connective 말고 of
        "not X but Y" (지금 말고 나중에, 기계 말고 사람)."""
        toks = _load().tokenize(nfkc(text))
        for i, t in enumerate(toks):
            if t.form == "그만":
                return "그만"
            if t.lemma == "말다" and t.tag in ("VX", "VV"):
                nxt = next((n for n in toks[i + 1:] if n.tag != "EP"), None)
                if nxt is None or not (nxt.tag.startswith("E") and nxt.form.startswith("고")):
                    return "말다"
        return None

    def cue_tokens(self, cue: str) -> list[str]:
        keys: list[str] = []
        for word in nfkc(cue).split():
            if word == "이다":
                keys.append("이다")  # the copula: 저 이다 is 저예요
                continue
            found = _dictionary_form(word) or [t.key for t in self.tokens(word)]
            if len(found) == 1 and found[0] != word and not word.endswith("다"):
                alone = _load().tokenize(word + " 요")[0]
                if alone.form == word and alone.tag in ("MAJ", "IC"):
                    found = [word]  # 그럼: an adverb kiwi reads as a verb when it stands alone
            keys.extend(found)
        return keys

    def negated(self, toks: list[Tok], start: int, end: int) -> bool:
        if toks[start].key in NEGATORS or any(t.key in AFTER for t in toks[start:end]):
            # The cue carries its own negation (관심 없다, 하지 말다); one more after it undoes
            # it: 관심 없지는 않아요, 필요 없진 않아요.
            return _negator_after(toks, end)
        i = start - 1
        while i >= 0 and toks[i].key in FILLERS:
            i -= 1
        if i >= 0 and toks[i].key in NEGATORS:
            return True
        return _negator_after(toks, end)


def _negator_after(toks: list[Tok], end: int) -> bool:
    j = end
    while j < len(toks) and toks[j].key in _SKIP_AFTER:
        j += 1
    return j < len(toks) and toks[j].key in AFTER


def _dictionary_form(word: str) -> list[str] | None:
    """말다, 바쁘다, 빼다: a verb or adjective in a cue as its lemma (kiwi reads a bare 말다 as the
    noun 말 and 하다), found by analysing it with an ending (말지)."""
    if len(word) < 2 or not word.endswith("다"):
        return None
    toks = _load().tokenize(word[:-1] + "지")
    verbs = [t for t in toks if t.tag.startswith("V") or t.tag in ("XSV", "XSA")]
    if len(verbs) == 1 and toks[0].tag.startswith("V") and toks[0].lemma == word:
        return _keys(word, toks[0].tag, word)
    return None
