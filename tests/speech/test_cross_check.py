"""`asr_models.cross_check.agrees`: when a free transcript backs a grammar hearing (pure)."""

from __future__ import annotations

from asr_models.cross_check import agrees


def test_every_grammar_word_must_be_in_the_free_transcript() -> None:
    assert agrees("상담원", "저기 상담원 좀")
    assert agrees("하지 마세요", "전화 하지 마 세요")  # the free model splits words differently
    assert not agrees("상담원", "어유")  # "어 난데" heard as 상담원 by the grammar alone
    assert not agrees("전화 하지 마세요", "전화 하지")


def test_nothing_heard_never_agrees() -> None:
    assert not agrees("", "상담원")
    assert not agrees("상담원", "")
