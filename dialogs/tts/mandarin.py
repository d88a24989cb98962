"""Mandarin text for the synthesisers: pinyin with tone numbers, with the script's overrides.

Both engines read Chinese characters through pypinyin (misaki's Chinese front end uses it too), and
both get a script's `pronounce:` overrides the same way: the text is cut at every overridden word
(longest first), the overridden words take the script's syllables, the rest is read as usual.

    pinyin_text("请按时还款", {"还款": "huan2 kuan3"})  # 'qing3 an4 shi2 huan2 kuan3'
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
# One pinyin syllable with its tone number (5: neutral); ü may be written v or ü.
SYLLABLE = re.compile(
    r"^(?:(?:[bcdfghjklmnpqrstwxyz]|[csz]h)?[aeiouvü]+(?:n|ng|r)?|m|n|ng|hm|hng)[1-5]$")
# Chinese punctuation as the pause marks espeak-ng's pinyin voice and Kokoro's phonemes know.
PUNCTUATION = {"，": ",", "、": ",", "；": ",", "：": ",", "。": ".", "．": ".", "！": "!",
               "？": "?", "…": ",", "—": ","}


def has_han(text: str) -> bool:
    return HAN.search(text) is not None


def bad_pronunciation(word: str, syllables: str) -> str | None:
    """Why a `pronounce:` entry cannot be used, or None when it can."""
    parts = syllables.split()
    wrong = [p for p in parts if not SYLLABLE.match(p.lower())]
    if not parts or wrong:
        shown = ", ".join(repr(p) for p in wrong) or "nothing"
        return (f"pronounce.{word}: {shown} is not pinyin with a tone number; write each "
                "syllable like huan2 (tone 1-5, 5 for neutral; ü as v)")
    chars = len(HAN.findall(word))
    if chars and chars != len(parts):
        return (f"pronounce.{word}: {chars} characters but {len(parts)} syllables; give one "
                "syllable per character")
    return None


def split_overrides(text: str, pronounce: Mapping[str, str]) -> list[tuple[str, list[str] | None]]:
    """`text` cut into (piece, None) to read as usual and (word, syllables) the script fixed."""
    if not pronounce:
        return [(text, None)]
    words = sorted(pronounce, key=len, reverse=True)
    pattern = re.compile("|".join(re.escape(w) for w in words))
    out: list[tuple[str, list[str] | None]] = []
    pos = 0
    for m in pattern.finditer(text):
        if m.start() > pos:
            out.append((text[pos:m.start()], None))
        out.append((m.group(0), pronounce[m.group(0)].lower().replace("ü", "v").split()))
        pos = m.end()
    if pos < len(text):
        out.append((text[pos:], None))
    return out


def numbers_as_words(text: str) -> str:
    """3.2% -> 百分之三点二, as a Mandarin speaker reads it (cn2an)."""
    import cn2an  # type: ignore[import-untyped]

    return str(cn2an.transform(text, "an2cn"))


def pinyin_text(text: str, pronounce: Mapping[str, str] | None = None) -> str:
    """Characters as pinyin syllables with tone numbers, for espeak-ng's `cmn-latn-pinyin` voice."""
    from pypinyin import Style, lazy_pinyin

    out: list[str] = []
    for piece, fixed in split_overrides(numbers_as_words(text), pronounce or {}):
        if fixed is not None:
            out += fixed
            continue
        for token in lazy_pinyin(piece, style=Style.TONE3, neutral_tone_with_five=True):
            token = "".join(PUNCTUATION.get(c, c) for c in token).strip()
            if token:
                out.append(token)
    return " ".join(out)


def kokoro_phonemes(text: str, pronounce: Mapping[str, str] | None = None) -> str:
    """Kokoro's phonemes for one sentence: misaki's Chinese reading (v1.0 model) with overrides,
    and with the tone changes of spoken Mandarin (`spoken_syllables`)."""
    from misaki.zh import ZHG2P  # type: ignore[import-untyped]

    text = ZHG2P.map_punctuation(numbers_as_words(text))
    out: list[str] = []
    for piece, fixed in split_overrides(text, pronounce or {}):
        if fixed is not None:
            out.append("".join(ZHG2P.py2ipa(s) for s in fixed))
        elif piece.strip():
            out.append(" ".join(
                "".join(ZHG2P.py2ipa(s) for s in syllables) if syllables else word
                for word, syllables in spoken_syllables(piece)))
    # U+032F (non-syllabic, ai̯) is not in Kokoro's vocabulary; misaki drops it too.
    return re.sub(r"\s+", " ", " ".join(out)).replace(chr(815), "").strip()


def spoken_syllables(text: str) -> list[tuple[str, list[str] | None]]:
    """`text` as jieba words, each Chinese one with its pinyin as spoken: the tone sandhi of
    misaki's v1.1 front end (PaddleSpeech's rules) on pypinyin's dictionary tones. 可以 is said
    ke2 yi3, 打扰 da2 rao3, 不再 bu2 zai4, 意思 yi4 si5; misaki's v1.0 reading (`legacy_call`)
    gives every character its dictionary tone. Other text (punctuation, Latin letters) is kept
    as it is, with None."""
    import jieba.posseg
    from misaki.tone_sandhi import ToneSandhi  # type: ignore[import-untyped]
    from pypinyin import Style, lazy_pinyin

    sandhi = _sandhi(ToneSandhi)
    words = sandhi.pre_merge_for_modify(jieba.posseg.lcut(text))
    out: list[tuple[str, list[str] | None]] = []
    for word, pos in words:
        if not has_han(word):
            out.append((word, None))
            continue
        syllables = lazy_pinyin(word, style=Style.TONE3, neutral_tone_with_five=True)
        finals = lazy_pinyin(word, style=Style.FINALS_TONE3, neutral_tone_with_five=True)
        if len(syllables) == len(finals) == len(word):
            tones = sandhi.modified_tone(word, pos, finals)
            syllables = [s[:-1] + t[-1] if s[-1:].isdigit() and t[-1:].isdigit() else s
                         for s, t in zip(syllables, tones, strict=True)]
        out.append((word, syllables))
    return out


def usual_reading(word: str) -> list[str]:
    """The syllables Kokoro says for `word` on its own, without overrides (for `script check`)."""
    return [s for _, syllables in spoken_syllables(word) for s in syllables or ()]


_SANDHI: list[object] = []


def _sandhi(factory: type) -> Any:
    if not _SANDHI:
        import logging

        import jieba

        jieba.setLogLevel(logging.WARNING)  # no "Building prefix dict" lines on stderr
        _SANDHI.append(factory())
    return _SANDHI[0]
