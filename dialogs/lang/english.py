"""English: words, contractions spelled out, negation by a preceding not/never."""

from __future__ import annotations

import re

from dialogs.lang.base import Analyser, Tok, collapse_repeats, nfkc

_CONTRACTIONS = (
    ("can't", "can not"), ("won't", "will not"), ("cannot", "can not"), ("n't", " not"),
    ("'m", " am"), ("'re", " are"), ("'ve", " have"), ("'ll", " will"), ("'d", " would"),
    ("'s", " is"),
)
_WORD = re.compile(r"[a-z0-9]+|\?")
# A sentence starting with one of these asks rather than answers ("can you connect me?").
_ASKING = frozenset({"is", "are", "am", "do", "does", "did", "can", "could", "will", "would",
                     "should", "shall", "may", "was", "were", "what", "how", "why", "who"})
NEGATORS = frozenset({"not", "never", "hardly"})
# Words that may stand between a negator and what it negates: "not really interested".
FILLERS = frozenset({"really", "very", "that", "too", "so", "at", "all", "quite", "be", "am", "is",
                     "are", "much", "even", "particularly", "actually", "exactly", "currently",
                     "overly", "super", "terribly", "all that", "i", "it", "was", "were"})


ANSWER_WORDS = frozenset({"yes", "yeah", "yep", "yup", "ya", "yea", "right", "sure", "okay", "ok",
                          "correct", "no", "nope", "nah", "pass", "great", "speaking"})
_LEADERS = frozenset({"oh", "uh", "um", "well", "hmm", "er", "ah", "so", "and", "oh,"})


class EnglishAnalyser(Analyser):
    family = "en"
    max_gap = 5
    answer_words = ANSWER_WORDS

    def tokens(self, text: str) -> list[Tok]:
        text = nfkc(text)
        for short, long in _CONTRACTIONS:
            text = text.replace(short, long)
        words = _WORD.findall(text)
        # "do you ...?" asks; "do not call me" does not.
        asking = "?" in words or (bool(words) and words[0] in _ASKING
                                  and words[1:2] != ["not"])
        words = [w for w in words if w != "?"]
        kept = [words[i] for i in collapse_repeats(words)]
        toks: list[Tok] = []
        leading = True
        for n, word in enumerate(kept):
            toks.append(Tok(word, n, answer_ok=leading, in_question=asking))
            leading = leading and (word in ANSWER_WORDS or word in _LEADERS)
        return toks

    def negated(self, toks: list[Tok], start: int, end: int) -> bool:
        if toks[start].key in NEGATORS:
            return False  # the cue carries its own negation ("not interested")
        i = start - 1
        while i >= 0 and toks[i].key in FILLERS:
            i -= 1
        return i >= 0 and toks[i].key in NEGATORS
