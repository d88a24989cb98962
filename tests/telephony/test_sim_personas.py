"""The bundled personas and their loader; each persona's dial outcome through the sim backend."""

from __future__ import annotations

import uuid
from pathlib import Path

import anyio
import pytest

from telephony.base import AmdStatus, DialOutcome, OriginateRequest
from telephony.sim import SimBackend, SimError, load_personas, personas_by_hash
from tests.telephony.conftest import Speak

pytestmark = pytest.mark.anyio

# /tmp/phrases.md: the answers the bundled scripts accept, per language.
CANONICAL = {
    "ko": {"네", "아니요", "좋아요", "싫어요", "나중에", "누구세요", "전화하지 마세요", "상담원"},
    "cmn": {"好的", "不是", "可以", "不需要", "以后再说", "你是谁", "别再打了", "转人工"},
    "en-us": {"yes", "no", "interested", "not interested", "later", "who is this",
              "don't call me again", "speak to a person"},
}
ALL = {
    "interested", "not_interested", "busy_call_me_later", "asks_who_then_interested", "opt_out",
    "silent", "interrupts", "answering_machine", "line_busy", "no_answer", "unreachable",
}


def test_every_persona_of_the_issue_is_bundled_and_says_only_canonical_answers() -> None:
    personas = load_personas()
    assert set(personas) == ALL
    for persona in personas.values():
        for language, phrases in persona.replies.items():
            if language == "cmn":  # everyday answers, heard by Whisper: tests/orchestrator/
                continue  # test_mandarin_sim.py checks the script takes them as meant
            assert set(phrases) <= CANONICAL[language], (persona.name, language)
    talkers = ALL - {"silent", "answering_machine", "line_busy", "no_answer", "unreachable"}
    for name in talkers:
        assert all(personas[name].replies_in(lang) for lang in CANONICAL), name
    assert personas["interrupts"].barge_in_after_s is not None
    assert all(personas["answering_machine"].greeting_in(lang) for lang in CANONICAL)


@pytest.mark.parametrize(
    ("yaml_text", "message"),
    [
        ("personas:\n  p:\n    replies: {en-us: [yes]}\n", "quote yes/no"),
        ("personas:\n  p:\n    colour: red\n", "unknown keys ['colour']"),
        ("personas:\n  p:\n    dial: maybe\n", "'maybe' is not a valid DialBehaviour"),
        ("personas:\n  p:\n    pause_s: [2, 1]\n", "pause_s must be [min, max]"),
        ("personas: [a, b]\n", "expected a mapping with a `personas:` section"),
        ("personas: {p: {replies: [x]}\n", "not valid YAML"),
    ],
)
def test_a_bad_personas_file_says_what_is_wrong(
    tmp_path: Path, yaml_text: str, message: str
) -> None:
    path = tmp_path / "personas.yaml"
    path.write_text(yaml_text, encoding="utf-8")
    with pytest.raises(SimError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_personas(path)


def test_a_missing_language_is_a_clear_error() -> None:
    persona = load_personas()["interested"]
    with pytest.raises(SimError, match="no replies in 'fr'"):
        persona.replies_in("fr")


@pytest.mark.parametrize(
    ("persona", "outcome", "amd"),
    [
        ("interested", DialOutcome.ANSWERED, AmdStatus.HUMAN),
        ("not_interested", DialOutcome.ANSWERED, AmdStatus.HUMAN),
        ("busy_call_me_later", DialOutcome.ANSWERED, AmdStatus.HUMAN),
        ("asks_who_then_interested", DialOutcome.ANSWERED, AmdStatus.HUMAN),
        ("opt_out", DialOutcome.ANSWERED, AmdStatus.HUMAN),
        ("silent", DialOutcome.ANSWERED, AmdStatus.HUMAN),
        ("interrupts", DialOutcome.ANSWERED, AmdStatus.HUMAN),
        ("answering_machine", DialOutcome.ANSWERED, AmdStatus.MACHINE),
        ("line_busy", DialOutcome.BUSY, AmdStatus.NONE),
        ("no_answer", DialOutcome.NO_ANSWER, AmdStatus.NONE),
        ("unreachable", DialOutcome.FAILED, AmdStatus.NONE),
    ],
)
async def test_each_persona_dials_to_its_outcome(
    speak: Speak, persona: str, outcome: DialOutcome, amd: AmdStatus
) -> None:
    backend = SimBackend({"+821000000001": persona}, speak, speed=20)
    async with backend.running():
        call = await backend.originate(
            OriginateRequest(str(uuid.uuid4()), "+821000000001", ring_timeout_s=10)
        )
        result = await call.result()
        assert (result.outcome, result.amd) == (outcome, amd)
        if outcome is DialOutcome.ANSWERED:
            assert not call.media.closed
            await call.hangup()
            assert call.media.closed
        else:
            assert result.cause  # the PBX-style cause, as the asterisk backend reports it
            with pytest.raises(SimError, match="not answered"):
                _ = call.media


async def test_ringing_longer_than_the_ring_timeout_is_no_answer(speak: Speak) -> None:
    backend = SimBackend({"+821000000002": "answering_machine"}, speak, speed=20)
    async with backend.running():
        call = await backend.originate(
            OriginateRequest(str(uuid.uuid4()), "+821000000002", ring_timeout_s=1)
        )
        assert (await call.result()).outcome is DialOutcome.NO_ANSWER


async def test_hanging_up_while_it_rings_cancels_the_dial(speak: Speak) -> None:
    backend = SimBackend({"+821000000003": "no_answer"}, speak, speed=1)
    async with backend.running():
        call = await backend.originate(OriginateRequest(str(uuid.uuid4()), "+821000000003"))
        await anyio.sleep(0.05)
        await call.hangup()
        result = await call.result()
    assert result.outcome is DialOutcome.FAILED and "before an answer" in (result.detail or "")


async def test_unknown_numbers_and_personas_are_reported(speak: Speak) -> None:
    backend = SimBackend({"+821000000004": "grumpy"}, speak)
    async with backend.running():
        with pytest.raises(SimError, match="no simulated persona for \\+82109"):
            await backend.originate(OriginateRequest(str(uuid.uuid4()), "+82109"))
        with pytest.raises(SimError, match="unknown persona 'grumpy'"):
            await backend.originate(OriginateRequest(str(uuid.uuid4()), "+821000000004"))
    with pytest.raises(SimError, match=r"inside `async with backend\.running"):
        await backend.originate(OriginateRequest(str(uuid.uuid4()), "+821000000004"))


def test_hashing_numbers_to_personas_is_stable_and_uses_all_of_them() -> None:
    pick = personas_by_hash(["interested", "opt_out"])
    chosen = {pick(f"+8210{i:08d}").name for i in range(50)}
    assert chosen == {"interested", "opt_out"}
    assert pick("+821012345678") == pick("821012345678")
    with pytest.raises(SimError, match="unknown personas"):
        personas_by_hash(["nobody"])
