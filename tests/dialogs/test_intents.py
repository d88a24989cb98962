"""Intent classification in Korean, Mandarin and English: canonical answers, variants, negation."""

from __future__ import annotations

import pytest

from dialogs import NO_MATCH, load_script
from dialogs.intents import IntentClassifier
from tests.dialogs.canon import CANON, SCRIPTS


def classifier(name: str) -> tuple[IntentClassifier, list[str]]:
    script = load_script(name)
    return IntentClassifier(script.language, script.intents), list(script.intents)


@pytest.mark.parametrize("name", SCRIPTS)
def test_every_canonical_answer_means_its_intent(name: str) -> None:
    clf, everything = classifier(name)
    for intent, text in CANON[name].items():
        assert clf.classify(text, everything).intent == intent, (name, text)


@pytest.mark.parametrize(
    ("name", "text", "intent"),
    [
        # Korean: 관심 없어요 is not 관심 있어요; 안/않 negate a positive answer.
        ("ko-dormant-deposit", "관심 있어요", "interested"),
        ("ko-dormant-deposit", "관심 없어요", "not_interested"),
        ("ko-dormant-deposit", "안 좋아요", "not_interested"),
        ("ko-dormant-deposit", "좋지 않아요", "not_interested"),
        ("ko-dormant-deposit", "필요 없어요", "not_interested"),
        ("ko-dormant-deposit", "전화 하지 마세요", "opt_out"),
        ("ko-dormant-deposit", "누구 세요", "who"),
        # Mandarin: 不需要 is not 需要, 不可以 is not 可以.
        ("cmn-dormant-deposit", "需要", "interested"),
        ("cmn-dormant-deposit", "不需要", "not_interested"),
        ("cmn-dormant-deposit", "不可以", "not_interested"),
        ("cmn-dormant-deposit", "我不太感兴趣", "not_interested"),
        ("cmn-dormant-deposit", "没有兴趣", "not_interested"),
        ("cmn-dormant-deposit", "不要再打电话了", "opt_out"),
        ("cmn-dormant-deposit", "你是骗子吧", "scam"),
        # English: not interested is not interested.
        ("en-dormant-deposit", "I'm interested", "interested"),
        ("en-dormant-deposit", "I'm not interested", "not_interested"),
        ("en-dormant-deposit", "not really interested", "not_interested"),
        ("en-dormant-deposit", "No, I am not at all interested.", "not_interested"),
        ("en-dormant-deposit", "Please don't call me again!", "opt_out"),
        ("en-dormant-deposit", "I'm busy, call me back", "later"),
        ("en-dormant-deposit", "Is this a scam?", "scam"),
    ],
)
def test_variants_and_negation(name: str, text: str, intent: str) -> None:
    clf, everything = classifier(name)
    assert clf.classify(text, everything).intent == intent


def test_negated_answer_is_flagged() -> None:
    clf, everything = classifier("cmn-dormant-deposit")
    result = clf.classify("不可以", everything)
    assert (result.intent, result.negated) == ("not_interested", True)


def test_a_single_character_counts_only_as_a_whole_word() -> None:
    ko, ko_all = classifier("ko-dormant-deposit")
    assert ko.classify("예", ko_all).intent == "yes"
    assert ko.classify("예금이요", ko_all).intent == NO_MATCH  # 예 inside 예금 is not "yes"
    cmn, cmn_all = classifier("cmn-dormant-deposit")
    assert cmn.classify("是", cmn_all).intent == "yes"
    assert cmn.classify("你是谁", cmn_all).intent == "who"


def test_only_intents_valid_in_the_state_are_considered() -> None:
    clf, _ = classifier("en-dormant-deposit")
    # In a yes/no question, "yes I'm interested" is a yes.
    assert clf.classify("yes I'm interested", ["yes", "no"]).intent == "yes"
    assert clf.classify("not interested", ["yes"]).intent == NO_MATCH


def test_opt_out_wins_over_everything_said_with_it() -> None:
    clf, everything = classifier("en-dormant-deposit")
    assert clf.classify("yes interested but don't call me again", everything).intent == "opt_out"


def test_low_confidence_is_uncertain_and_nothing_is_no_match() -> None:
    clf, everything = classifier("ko-dormant-deposit")
    doubtful = clf.classify("네", everything, confidence=0.2, min_confidence=0.5)
    assert (doubtful.intent, doubtful.uncertain) == ("yes", True)
    assert clf.classify("", everything).intent == NO_MATCH
    assert clf.classify("음...", everything).intent == NO_MATCH


@pytest.mark.parametrize(
    ("name", "text"),
    [("ko-dormant-deposit", "네 아니요"), ("cmn-dormant-deposit", "好的 不是"),
     ("en-dormant-deposit", "yes no"), ("en-dormant-deposit", "interested, not interested")],
)
def test_an_answer_and_its_opposite_together_is_no_match(name: str, text: str) -> None:
    clf, everything = classifier(name)
    result = clf.classify(text, everything)
    assert (result.intent, result.ambiguous) == (NO_MATCH, True)


def test_a_negative_with_an_unrelated_no_is_not_ambiguous() -> None:
    clf, everything = classifier("en-dormant-deposit")
    assert clf.classify("no, I'm not interested", everything).intent == "not_interested"
    assert clf.classify("yes no stop calling", everything).intent == "opt_out"
