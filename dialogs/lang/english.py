"""English: words, contractions spelled out, each word matched by its lemma (simplemma: ringing,
rang and rings all reach ring; gave reaches give), negation by a preceding not/never."""

from __future__ import annotations

import re
import threading
from functools import lru_cache

from dialogs.lang.base import Analyser, Tok, collapse_repeats, nfkc

_CONTRACTIONS = (
    ("can't", "can not"), ("won't", "will not"), ("cannot", "can not"), ("n't", " not"),
    ("'m", " am"), ("'re", " are"), ("'ve", " have"), ("'ll", " will"), ("'d", " would"),
    ("'s", " is"), ("gonna", "going to"), ("wanna", "want to"), ("gotta", "got to"),
)
_WORD = re.compile(r"[a-z0-9]+|\?")
# A sentence starting with one of these asks rather than answers ("can you connect me?").
_ASKING = frozenset({"is", "are", "am", "do", "does", "did", "can", "could", "will", "would",
                     "should", "shall", "may", "was", "were", "what", "how", "why", "who",
                     "where", "which", "whose", "when", "have", "has"})
_REQUESTS = frozenset({"can", "could", "would", "will", "may", "shall"})
NEGATORS = frozenset({"not", "never", "hardly"})
# Words (as lemmas) that may stand between a negator and what it negates: "not really
# interested", "never been busy".
FILLERS = frozenset({"really", "very", "that", "too", "so", "at", "all", "quite", "be", "much",
                     "even", "particularly", "actually", "exactly", "currently", "overly",
                     "super", "terribly", "i", "it", "the", "a", "that much", "especially",
                     "remotely", "in", "any", "bit", "want", "to", "need", "an", "wish",
                     "have", "your", "my", "of", "for", "with"})
ANSWER_WORDS = frozenset({"yes", "yeah", "yep", "yup", "ya", "yea", "right", "sure", "okay", "ok",
                          "correct", "no", "nope", "nah", "pass", "great", "speaking",
                          "alright", "absolutely", "definitely", "certainly", "indeed",
                          # appraisals: a reply when they lead ("lovely!"), not "the weather is
                          # lovely"
                          "lovely", "nice", "perfect", "brilliant", "wonderful", "excellent",
                          "fantastic"})
_LEADERS = frozenset({"oh", "uh", "um", "well", "hmm", "er", "ah", "so", "and", "ooh", "erm",
                      "yes", "yeah", "okay", "ok", "alright", "sure", "right"})
# Lemmas simplemma gets wrong for this use: pronouns keep their case-free form, "lot" stays.
_OWN = {"me": "i", "my": "my", "us": "us", "lot": "lot", "data": "data",
        "info": "info", "speaking": "speaking", "later": "later", "better": "better",
        "best": "best", "as": "as",
        "has": "have", "does": "do", "did": "do", "was": "be", "were": "be", "is": "be",
        "am": "be", "are": "be", "number": "number", "numbers": "number", "saving": "saving",
        "savings": "savings", "interested": "interested", "interesting": "interesting",
        "human": "human", "humans": "human", "ai": "ai", "left": "left", "off": "off",
        "putting": "put", "people": "people", "men": "man", "ya": "ya", "yea": "yea",
        "yeah": "yeah", "mobile": "mobile", "free": "free", "means": "means", "mean": "mean",
        "cut": "cut", "calls": "call", "got": "get", "out": "out"}

_lock = threading.Lock()
_lemmatize: object = None


@lru_cache(maxsize=65536)
def lemma(word: str) -> str:
    if word in _OWN:
        return _OWN[word]
    if not word.isalpha():
        return word
    global _lemmatize
    with _lock:
        if _lemmatize is None:
            import simplemma

            _lemmatize = simplemma.lemmatize
    found = _lemmatize(word, lang="en")  # type: ignore[operator]
    return str(found).lower()


class EnglishAnalyser(Analyser):
    family = "en"
    max_gap = 5
    answer_words = ANSWER_WORDS

    def warm_up(self) -> float:
        import time

        started = time.perf_counter()
        lemma("ringing")
        return time.perf_counter() - started

    def tokens(self, text: str) -> list[Tok]:
        text = nfkc(text)
        for short, long in _CONTRACTIONS:
            text = text.replace(short, long)
        words = _WORD.findall(text)
        # "do you ...?" asks; "do not call me" does not.
        asking = "?" in words or (bool(words) and words[0] in _ASKING
                                  and words[1:2] != ["not"])
        if not asking and len(words) > 1 and words[0] in _LEADERS | {"and", "but", "sorry"}:
            asking = words[1] in _ASKING and words[2:3] != ["not"]
        # "can I speak to someone?", "could you put me through?": a request put as a question.
        first = next((w for w in words if w not in _LEADERS), "")
        request = asking and first in _REQUESTS
        words = [w for w in words if w != "?"]
        kept = [words[i] for i in collapse_repeats(words)]
        toks: list[Tok] = []
        leading = True
        for n, word in enumerate(kept):
            toks.append(Tok(lemma(word), n, answer_ok=leading, in_question=asking,
                            request=request))
            leading = leading and (word in ANSWER_WORDS or word in _LEADERS)
        return toks

    def negation_start(self, toks: list[Tok], start: int) -> int:
        i = start - 1
        while i >= 0 and toks[i].key in FILLERS:
            i -= 1
        return i if i >= 0 and toks[i].key in NEGATORS else start

    def negated(self, toks: list[Tok], start: int, end: int) -> bool:
        if toks[start].key in NEGATORS:
            return False  # the cue carries its own negation ("not interested")
        i = start - 1
        while i >= 0 and toks[i].key in FILLERS:
            i -= 1
        return i >= 0 and toks[i].key in NEGATORS
