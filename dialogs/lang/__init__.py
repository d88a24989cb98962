"""Per-language text analysis for intent matching: tokens, word boundaries and negation scope.

Each language turns text into a list of `Tok` (the units cues are matched on) and says whether a
matched span is negated. Korean uses kiwipiepy morphemes (lemmas, so 바빠요, 바쁘거든요 and 바빠서
all reach 바쁘다), Mandarin uses jieba words over characters, English uses words. The Korean and
Chinese analysers load their dictionaries once per process, on first use (`warm_up` loads them
ahead of a call).
"""

from __future__ import annotations

from dialogs.lang.base import Analyser, Tok, collapse_repeats, family

__all__ = ["Analyser", "Tok", "analyser_for", "collapse_repeats", "family", "warm_up"]


def analyser_for(language: str) -> Analyser:
    """The analyser for a script's `language` (ko, cmn/zh, anything else is English rules)."""
    fam = family(language)
    if fam == "ko":
        from dialogs.lang.korean import KoreanAnalyser

        return KoreanAnalyser()
    if fam == "cmn":
        from dialogs.lang.chinese import ChineseAnalyser

        return ChineseAnalyser()
    from dialogs.lang.english import EnglishAnalyser

    return EnglishAnalyser()


def warm_up(language: str) -> float:
    """Load the language's tokenizer now (not in the first call); the seconds it took."""
    return analyser_for(language).warm_up()
