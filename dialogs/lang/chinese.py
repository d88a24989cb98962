"""Mandarin: characters, with jieba's word boundaries for one-character cues and negation.

Cues are matched on characters (people and recognisers segment freely: 打电话 and 打 我 电话 both
hold 电话), but a one-character cue (对, 是, 好, 忙) counts only as a whole word, and a cue is
negated when the word before it (fillers such as 太, 很 skipped) is a negator: 不忙, 不太感兴趣.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from typing import Any

from dialogs.lang.base import Analyser, Tok, collapse_repeats, nfkc

NEGATORS = frozenset({"不", "没", "没有", "别", "并不", "不是", "未", "甭", "不太", "不用", "不想",
                      "不要", "不打算", "懒得"})
_NEG_CHARS = ("不", "没", "别", "未")
# Words that may stand between a negator and what it negates: 不太感兴趣, 没那个需要, 不想激活.
FILLERS = frozenset({"太", "很", "怎么", "是很", "大", "是", "那么", "怎么样", "特别", "真", "再",
                     "那个", "这个", "啥", "什么", "想", "要", "用", "会", "能", "打算", "需要",
                     "太想", "怎么想", "准备", "必要", "去"})
# Bare answer words: they answer only where a clause starts ("对，是我"), never inside a sentence
# (你是做什么的) or a question (嗯？, 对吗).
ANSWER_WORDS = frozenset({"是", "对", "好", "行", "嗯", "中", "成", "妥", "可", "不", "要", "没",
                          "有"})
_LEADERS = frozenset({"嗯", "呃", "哦", "啊", "噢", "喔", "哎", "诶", "那", "欸", "唉"})
_QUESTION_ENDS = ("吗", "么", "?")
# Question words that make a clause ask wherever they stand (优惠利率具体多少).
_QUESTION_WORDS = frozenset({"多少", "几", "哪个", "哪里", "哪儿", "哪家", "为什么", "谁",
                             "多少钱"})
_TAGS = ("没有", "没", "不")  # tagged on a clause: 有啥费用没有 asks
_PARTICLES = frozenset({"了", "啊", "吧", "呀", "的", "呢", "啦", "嘛"})
# Words that start with a negator but are words of their own, kept whole.
_KEEP = frozenset({"不过", "不好意思", "没错", "没事", "不客气", "别的", "不错", "没关系", "不是",
                   "没有", "不用", "不要", "不行", "不对"})
# Words that start with 别 but mean "other" or "surely not", not "don't".
_OTHER = frozenset({"别的", "别人", "别处", "别家", "别是", "别样", "别名", "别墅", "别针"})
# 莫 is "don't" (莫打了, 莫再打来) except in these words of its own (莫得, 莫有: dialect "no").
_MO_WORDS = ("莫得", "莫有", "莫名", "莫非", "莫过于", "莫大", "莫斯科", "莫言", "莫测", "莫属",
             "莫如")
# Words jieba joins to a following 别: 但别, 可别, 就别, 也别, 千万别.
_BEFORE_DONT = frozenset({"但", "可", "就", "也", "还", "都", "千万", "请", "您", "你", "那", "快"})
_DROP = re.compile(r"[^\w]", re.UNICODE)
_CLAUSES = re.compile(r"[^\w?]+", re.UNICODE)

_lock = threading.Lock()
_jieba: Any = None


def _load() -> Any:
    global _jieba
    with _lock:
        if _jieba is None:
            import jieba

            jieba.setLogLevel(logging.WARNING)
            jieba.initialize()
            _jieba = jieba
    return _jieba


def _tag_question(words: list[str]) -> bool:
    """有啥费用没有, 要额外掏钱不: a negative tagged on a clause makes it a question."""
    if len(words) < 2:
        return False
    if words[-1] in ("没有", "没"):
        return any("有" in w for w in words[:-1])
    return words[-1] == "不"


def _stands_alone(word: str, rest: list[str]) -> bool:
    """A bare 不/没 answers only when nothing but answer words or particles follow (不忙 is not
    an answer "no": it negates 忙)."""
    return word not in ("不", "没") or all(w in ANSWER_WORDS or w in _PARTICLES for w in rest)


def _is_a_not_a(word: str) -> bool:
    """是不是, 有没有, 要不要: a yes/no question, not a no."""
    return len(word) >= 3 and word[1] in "不没" and word[0] == word[2]


def _unrepeat(word: str) -> str:
    """行行行 -> 行, 好好 -> 好 (jieba keeps some repeated answers as one word); 讲讲 stays."""
    if len(word) > 1 and word == word[0] * len(word) and word[0] in ANSWER_WORDS:
        return word[0]
    return word


def _as_dont(word: str) -> list[str] | None:
    """莫打 -> 别 打, 不许 -> 别, 但别 -> 但 别; None for any other word."""
    if word == "不许":
        return ["别"]
    if word.startswith("莫") and not word.startswith(_MO_WORDS):
        return ["别"] + ([word[1:]] if len(word) > 1 else [])
    if len(word) > 1 and word.endswith("别") and word[:-1] in _BEFORE_DONT:
        return [word[:-1], "别"]
    return None


def _split_negator(word: str) -> list[str]:
    """不感兴趣 -> 不 感兴趣, 不忙 -> 不 忙 (so the negated word is a word of its own); the other
    ways to say "don't" read as 别: 莫打 -> 别 打, 不许 -> 别, and 但别 -> 但 别 (jieba joins a
    conjunction or adverb to the 别 after it)."""
    dont = _as_dont(word)
    if dont is not None:
        return dont
    if len(word) > 1 and word.startswith(_NEG_CHARS) and word not in _KEEP:
        return [word[0], word[1:]]
    return [word]


class ChineseAnalyser(Analyser):
    family = "cmn"
    max_gap = 8
    refusal_marks = frozenset({"不要", "甭", "勿", "请勿"})

    def refusal(self, text: str) -> str | None:
        """别 before a verb (别打, 别再, jieba's 别转; not 别处, 别人, 别的), 不要 as a word (not
        要不要, a question, nor 不要紧), 甭, 勿/请勿."""
        words = [part for w in _load().lcut(_CLAUSES.sub(" ", nfkc(text)), HMM=True)
                 for part in (_as_dont(w) or [w])]  # fmt: skip
        for k, word in enumerate(words):
            if word.startswith("别") and word not in _OTHER:
                return "别"
            if word in self.refusal_marks and not (word == "不要" and k and words[k - 1] == "要"):
                return word
        return None

    def sounds_like(self, text: str, cue: str) -> bool:
        """The cue's syllables, toneless, in `text` in order (each part of a gapped cue at least
        two syllables, so no common syllable alone decides): 免打扰 in 勉打扰, 面打绕."""
        parts = [_syllables(p) for p in re.split("…|\\.\\.\\.", cue)]
        if not parts or any(len(p) < 2 for p in parts):
            return False
        heard, at = _syllables(text), 0
        for part in parts:
            found = next((i for i in range(at, len(heard) - len(part) + 1)
                          if heard[i:i + len(part)] == part), None)
            if found is None:
                return False
            at = found + len(part)
        return True

    def respells(self, heard: str, again: str) -> bool:
        """At most half of the toneless syllables differ (Levenshtein over syllables, against
        the longer of the two): 把握下到免打扰里 respells 把握下到面条料理 (2 of 8), 拉黑骚扰 does
        not respell 大神魔道 (4 of 4)."""
        a, b = _syllables(heard), _syllables(again)
        if not a or not b:
            return False
        return 2 * _distance(a, b) <= max(len(a), len(b))

    def warm_up(self) -> float:
        started = time.perf_counter()
        if _jieba is None:
            _load()
        return time.perf_counter() - started

    def clauses(self, text: str) -> list[tuple[list[str], bool]]:
        """(words, is a question) per clause; repetition collapsed (对对对 -> 对)."""
        out: list[tuple[list[str], bool]] = []
        for chunk in _CLAUSES.split(nfkc(text).replace("？", "?")):
            question = chunk.endswith(_QUESTION_ENDS)
            words: list[str] = []
            for word in _load().lcut(chunk.replace("?", ""), HMM=True):
                words.extend(_split_negator(_unrepeat(word)))
            if words:
                words = [words[i] for i in collapse_repeats(words)]
                # 有啥费用没有, 好不: a negative at the end of a longer clause makes a question.
                question = (question or _tag_question(words)
                            or any(w in _QUESTION_WORDS for w in words))
                out.append((words, question))
        return out

    def tokens(self, text: str) -> list[Tok]:
        toks: list[Tok] = []
        n = 0
        for words, question in self.clauses(text):
            leading = True
            for k, word in enumerate(words):
                answer_ok = leading and not question and _stands_alone(word, words[k + 1:])
                aska = _is_a_not_a(word) or (word is words[-1] and _tag_question(words))
                for i, char in enumerate(word):
                    toks.append(Tok(char, n, whole=len(word) == 1, word_start=i == 0,
                                    answer_ok=answer_ok,
                                    in_question_word=aska and (i > 0 or word in _TAGS),
                                    in_question=question))
                leading = leading and (word in ANSWER_WORDS or word in _LEADERS)
                n += 1
        return toks

    def cue_tokens(self, cue: str) -> list[str]:
        return [c for word in self.words_of_cue(cue) for c in word]

    def words_of_cue(self, cue: str) -> list[str]:
        return [_unrepeat(w) for w in _load().lcut(_DROP.sub("", nfkc(cue)), HMM=True)]

    def negated(self, toks: list[Tok], start: int, end: int) -> bool:
        words = _words_of(toks)
        w = toks[start].word
        if toks[start].key in _NEG_CHARS:
            # The cue carries its own negation (不需要, 没兴趣); a negator before it undoes it:
            # 不是不感兴趣, 并不是不想.
            i = w - 1
            while i >= 0 and words[i] in FILLERS:
                i -= 1
            return toks[start].word_start and i >= 0 and words[i] in ("不是", "并不是", "并非")
        if toks[start].in_question_word:
            return False
        if not toks[start].word_start:
            return words[w].startswith(_NEG_CHARS) and words[w][: _offset(toks, start)] in NEGATORS
        i = w - 1
        while i >= 0 and words[i] in FILLERS:
            i -= 1
        return i >= 0 and words[i] in NEGATORS


def _syllables(text: str) -> list[str]:
    """Toneless pinyin of the Chinese characters in `text` (pypinyin, loaded on first use)."""
    from pypinyin import Style, lazy_pinyin

    hanzi = "".join(c for c in nfkc(text) if "\u4e00" <= c <= "\u9fff")
    return lazy_pinyin(hanzi, style=Style.NORMAL) if hanzi else []


def _distance(a: list[str], b: list[str]) -> int:
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, y in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (x != y))
    return row[-1]


def _words_of(toks: list[Tok]) -> dict[int, str]:
    words: dict[int, str] = {}
    for t in toks:
        words[t.word] = words.get(t.word, "") + t.key
    return words


def _offset(toks: list[Tok], index: int) -> int:
    """How far into its word the token at `index` is."""
    n = 0
    while index - n - 1 >= 0 and toks[index - n - 1].word == toks[index].word:
        n += 1
    return n
