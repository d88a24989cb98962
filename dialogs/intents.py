"""Intent classification: from recognised text to one of the intents valid in the current state.

The text is analysed per language (dialogs/lang: Korean morphemes, Chinese words, English words)
and each intent's cues (its phrases and keywords, analysed the same way) are looked for in it. A
cue may have gaps: `전화 … 그만` is 전화, then 그만 within a few words ("전화 좀 제발 그만하세요").
A cue ending in `?` counts only in a question (`사람 ?`: "사람이에요?" asks whether this is a
person; "그 사람 아닌데요" does not).
Overlapping cues go to the one with more words ("not interested" beats "interested"); then the
intent's `priority`. A cue the language's rules find negated ("안 바빠요", "I'm not busy", "不忙")
becomes the intent's `negated` intent, or means nothing when the intent has none. Every result
says which cue and which rule decided it.

Questions: when the answer asks (a question ending, "?", "is it ...") and one of the state's
question intents (`questions`: routes the robot answers with a reply) is heard, the question wins
over everything but an opt-out ("어느 은행 상담원이에요?" asks which bank, it does not ask for an
agent). A yes/no-type answer word that does not lead a question is a tag, not an answer
("가짜 전화 아니에요?", "한빛은행 맞죠?", "is that right?").
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from functools import lru_cache

from dialogs.lang import Analyser, Tok, analyser_for, family
from dialogs.lang.chinese import ANSWER_WORDS
from dialogs.schema import IntentDef

NO_MATCH = "no_match"
OPT_OUT = "opt_out"
GAP_MARKS = ("…", "...")


@dataclass(frozen=True)
class Classification:
    """The understood intent (NO_MATCH when nothing fitted) and why."""

    intent: str
    cue: str | None = None
    negated: bool = False
    uncertain: bool = False
    ambiguous: bool = False  # an answer and its opposite were both heard
    rule: str = ""  # what decided it, for people: "cue '전화 … 그만'", "negated cue ..."
    also: tuple[str, ...] = ()  # other intents heard in the same answer (a mixed answer)
    asked: bool = False  # the cue was in a question ("can you connect me?"): a weak match


@dataclass(frozen=True)
class _Hit:
    intent: str
    cue: str
    at: frozenset[int]  # the token positions the cue matched
    start: int
    priority: int
    negated: bool = False

    @property
    def size(self) -> int:
        return len(self.at)


Cue = tuple[tuple[str, ...], ...]  # segments (split at the gaps) of token keys


@lru_cache(maxsize=4096)
def compile_cue(language_family: str, cue: str) -> Cue:
    """A cue as token segments in the language's analysis (cached: scripts share cues)."""
    analyser = _analyser(language_family)
    text = cue
    for mark in GAP_MARKS[1:]:
        text = text.replace(mark, GAP_MARKS[0])
    text = text.rstrip().rstrip("?？")  # a question-only cue (checked where it is matched)
    parts = [analyser.cue_tokens(p) for p in text.split(GAP_MARKS[0])]
    return tuple(tuple(p) for p in parts if p)


@lru_cache(maxsize=8)
def _analyser(language_family: str) -> Analyser:
    return analyser_for(language_family)


class IntentClassifier:
    """Classifies text for one script (its language and its intents)."""

    def __init__(self, language: str, intents: Mapping[str, IntentDef]) -> None:
        self.family = family(language)
        self.analyser = _analyser(self.family)
        self.intents = intents
        self._cues = {
            name: [(c, compile_cue(self.family, c)) for c in dict.fromkeys((*i.phrases,
                                                                              *i.keywords))]
            for name, i in intents.items()
        }
        # Intents that answer a yes/no-type question: an intent and the one it turns into when
        # negated (yes/no, interested/not_interested).
        self._answers = frozenset(
            x for name, i in intents.items() if i.negated in intents
            for x in (name, str(i.negated)))

    def classify(
        self,
        text: str,
        valid: Collection[str],
        confidence: float = 1.0,
        min_confidence: float = 0.0,
        questions: Collection[str] = (),
    ) -> Classification:
        """The intent among `valid` that `text` expresses; uncertain if confidence is too low.
        `questions`: the intents among `valid` that are questions the robot answers."""
        uncertain = confidence < min_confidence
        toks = self.analyser.tokens(text) if text.strip() else []
        hits, ignored = self._hits(toks, valid)
        hits = self._questions_first(toks, hits, questions)
        if not hits:
            rule = f"negated cue '{ignored.cue}' means no {ignored.intent}" if ignored else "no cue"
            return Classification(NO_MATCH, uncertain=uncertain, rule=rule)
        best = max(hits, key=lambda h: (h.priority, h.size, h.start))
        clash = next((o for o in hits if self._contradicts(best, o)), None)
        if clash is not None:
            # "네 아니요", "yes no": both an answer and its opposite; ask again rather than guess.
            return Classification(NO_MATCH, uncertain=uncertain, ambiguous=True,
                                  rule=f"both {best.intent} and {clash.intent} heard")
        also = tuple(dict.fromkeys(h.intent for h in hits if h.intent != best.intent))
        rule = (f"negated cue '{best.cue}'" if best.negated else f"cue '{best.cue}'")
        if also:
            rule += f" (also heard: {', '.join(also)})"
        asked = any(toks[i].in_question for i in best.at)
        if asked:
            rule += " in a question"
        return Classification(best.intent, best.cue, negated=best.negated, uncertain=uncertain,
                              rule=rule, also=also, asked=asked)

    def refusal(self, text: str) -> str | None:
        """Why `text` may be a refusal the match did not see, or None: a refusal form of the
        language (ko 마세요/그만, cmn 别/不要) or, where the script hides the sound, something
        that sounds like one of the opt-out cues (cmn 勉打扰 for 免打扰). Read only on a
        doubtful hearing, and only to ask the opt-out question (docs/dialogs.md)."""
        if not text.strip():
            return None
        mark = self.analyser.refusal(text)
        if mark is not None:
            return f"refusal form '{mark}'"
        cue = next((c for c, _ in self._cues.get(OPT_OUT, ())
                    if self.analyser.sounds_like(text, c)), None)
        return f"sounds like the opt-out cue '{cue}'" if cue is not None else None

    def opt_out_words(self) -> list[str]:
        """The script's own opt-out words without gaps (免打扰, 拉黑, 别再打了): the hint a
        second decode of a doubtful hearing is given (docs/speech.md)."""
        return [c for c, _ in self._cues.get(OPT_OUT, ()) if not any(g in c for g in GAP_MARKS)]

    def refusal_again(self, heard: str, again: str, valid: Collection[str]) -> str | None:
        """Why `again`, the same audio decoded with the opt-out words as a hint, may be a refusal
        `heard` hid: it has an opt-out cue or a refusal form and respells `heard`'s sounds."""
        if not again.strip() or not self.analyser.respells(heard, again):
            return None
        c = self.classify(again, valid)
        mark = f"cue '{c.cue}'" if c.intent == OPT_OUT else self.analyser.refusal(again)
        return f"heard again with the opt-out words as a hint: '{again}' ({mark})" if mark else None

    def _hits(self, toks: list[Tok], valid: Collection[str]) -> tuple[list[_Hit], _Hit | None]:
        present = {t.key for t in toks}
        raw = [
            _Hit(name, text, at, min(at), self.intents[name].priority)
            for name, cues in self._cues.items()
            for text, cue in cues
            if all(k in present for part in cue for k in part)  # cheap test before the search
            for at in _find(toks, cue, self.analyser)
            if not text.rstrip().endswith(("?", "？")) or all(toks[i].in_question for i in at)
        ]
        # A cue whose words are all part of a bigger cue's match belongs to that cue.
        kept = [h for h in raw if not any(_inside(h, o) for o in raw)]
        out: list[_Hit] = []
        ignored: _Hit | None = None
        for hit in kept:
            resolved: _Hit | None = hit
            if self.analyser.negated(toks, min(hit.at), max(hit.at) + 1):
                flipped = self.intents[hit.intent].negated
                if flipped is None:
                    flipped = hit.intent  # the script says a negated cue means the same
                # The negation is part of what was heard: "not really interested" is one
                # not_interested of three words, not "not really" plus "interested".
                at = hit.at | set(range(self.analyser.negation_start(toks, hit.start),
                                        hit.start))
                resolved = None if flipped == "none" else _Hit(
                    flipped, hit.cue, frozenset(at), hit.start, self.intents[flipped].priority,
                    True)
                if resolved is None and hit.intent in valid:
                    ignored = hit  # "I'm not busy" is not "later"
            if resolved is not None and resolved.intent in valid:
                out.append(resolved)
        return [h for h in out if not any(_inside(h, o) for o in out)], ignored

    def _questions_first(self, toks: list[Tok], hits: list[_Hit],
                         questions: Collection[str]) -> list[_Hit]:
        asking = [h for h in hits if any(toks[i].in_question for i in h.at)]
        if not asking or all(toks[i].request for h in asking for i in h.at):
            return hits  # no question, or a polite request ("can I speak to someone?")
        # A yes/no-type answer word inside a question, not leading it, is a tag ("... 맞죠?").
        hits = [h for h in hits if not (h in asking and h.intent in self._answers
                                        and not toks[h.start].answer_ok)]
        if any(h.intent in questions for h in hits):
            hits = [h for h in hits if h.intent in questions or h.intent == OPT_OUT]
        return hits

    def _contradicts(self, a: _Hit, b: _Hit) -> bool:
        return a.intent != b.intent and (self.intents[a.intent].negated == b.intent
                or self.intents[b.intent].negated == a.intent)


def _find(toks: list[Tok], cue: Cue, analyser: Analyser) -> list[frozenset[int]]:
    """Every match of `cue` in `toks`: its segments in order, each within a gap of the last."""
    if not cue:
        return []
    found: list[frozenset[int]] = []
    max_gap = analyser.max_gap
    for start in _segment_starts(toks, cue[0], 0, len(toks), analyser, single=len(cue) == 1):
        at = list(range(start, start + len(cue[0])))
        for segment in cue[1:]:
            after = at[-1] + 1
            nxt = _segment_starts(toks, segment, after, after + max_gap + 1, None,
                                  single=False)
            if not nxt:
                break
            at.extend(range(nxt[0], nxt[0] + len(segment)))
        else:
            found.append(frozenset(at))
    return found


def _segment_starts(toks: list[Tok], seg: tuple[str, ...], lo: int, hi: int,
                    analyser: Analyser | None, single: bool) -> list[int]:
    n = len(seg)
    return [
        i for i in range(lo, min(hi, len(toks) - n + 1))
        if all(toks[i + k].key == seg[k] for k in range(n))
        and (analyser is None or _may_start(toks[i], n, single, analyser))
    ]


def _may_start(tok: Tok, n: int, single: bool, analyser: Analyser) -> bool:
    """Where a cue may start: a one-word answer only where it leads the sentence; in Chinese,
    a one-character cue only as a whole word and nothing inside a question word."""
    if tok.key in analyser.light_verbs and not tok.word_start:
        return False  # 하지 마세요 does not start inside 연결하지 마세요
    if analyser.family != "cmn":
        bare = single and n == 1 and tok.key in analyser.answer_words
        asking = analyser.asking_cancels_answers and tok.in_question
        return not (bare and (asking or not tok.answer_ok))
    if tok.in_question_word:
        return False  # 不是 inside 是不是 is a question, not a no
    if n > 1:
        return True
    if single:
        # A one-character cue is a whole word; a bare answer word must also lead its clause.
        return tok.whole and (tok.answer_ok or tok.key not in ANSWER_WORDS)
    return tok.word_start  # a one-character part of a gapped cue: 别 … 电话


def _inside(inner: _Hit, outer: _Hit) -> bool:
    return outer is not inner and inner.at < outer.at
