"""The AMI codec with plain bytes and hypothesis: splitting never changes what parses, garbage is
refused with a clear error, and nothing a caller passes can inject a header or an action."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from telephony.ami import Action, AmiProtocolError, Banner, Event, Parser, Response, encode
from telephony.ami.codec import encode_message

BANNER = b"Asterisk Call Manager/11.0.0\r\n"
ORIGINATE_RESPONSE = (
    b"Event: OriginateResponse\r\nPrivilege: call,all\r\nActionID: a-1\r\nResponse: Failure\r\n"
    b"Reason: 5\r\nUniqueid: 0b6c1c1e-0000-4000-8000-015550000486\r\n\r\n"
)
HANGUP = (
    b"Event: Hangup\r\nChannel: PJSIP/simtrunk-00000000\r\nCause: 17\r\nCause-txt: User busy\r\n"
    b"TechCause: 486\r\n\r\n"
)
SUCCESS = b"Response: Success\r\nActionID: a-1\r\nMessage: Originate successfully queued\r\n\r\n"
STREAM = BANNER + SUCCESS + ORIGINATE_RESPONSE + HANGUP


def parse_all(chunks: list[bytes]) -> list[object]:
    parser = Parser()
    out: list[object] = []
    for chunk in chunks:
        out += parser.feed(chunk)
    return out


def test_a_real_exchange_parses_into_typed_frozen_messages() -> None:
    banner, response, event, hangup = parse_all([STREAM])
    assert banner == Banner("11.0.0")
    assert isinstance(response, Response) and response.ok and response.action_id == "a-1"
    assert isinstance(event, Event) and event.name == "OriginateResponse"
    assert event["reason"] == "5"  # header names are case-insensitive, as in Asterisk
    assert isinstance(hangup, Event) and hangup.get("Cause-txt") == "User busy"
    with pytest.raises(AttributeError):
        event.headers = ()  # type: ignore[misc]  # frozen: proving assignment fails


def test_repeated_keys_keep_their_order() -> None:
    parser = Parser(expect_banner=False)
    (event,) = parser.feed(b"Event: VarSet\r\nVariable: A=1\r\nVariable: B=2\r\n\r\n")
    assert isinstance(event, Event)
    assert event.get_all("variable") == ["A=1", "B=2"]


@given(st.lists(st.integers(min_value=0, max_value=len(STREAM)), max_size=12))
def test_any_split_parses_the_same(cuts: list[int]) -> None:
    points = sorted(set(cuts))
    chunks = [STREAM[a:b] for a, b in zip([0, *points], [*points, len(STREAM)], strict=True)]
    assert parse_all(chunks) == parse_all([STREAM])


keys = st.text(st.characters(min_codepoint=33, max_codepoint=126, exclude_characters=":"),
               min_size=1, max_size=20)  # fmt: skip
values = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\r\n"),
                 max_size=40).map(lambda v: v.strip(" ") or "x")  # fmt: skip


@given(st.lists(st.tuples(keys, values), max_size=8), st.integers(min_value=1, max_value=50))
def test_encoded_events_round_trip_through_any_chunking(
    pairs: list[tuple[str, str]], size: int
) -> None:
    event = Event((("Event", "UserEvent"), *pairs))
    data = encode_message(event) * 2
    parser = Parser(expect_banner=False)
    out = []
    for i in range(0, len(data), size):
        out += parser.feed(data[i : i + size])
    assert out == [event, event]


@given(st.binary(max_size=300))
def test_garbage_is_rejected_with_a_clear_error_or_parsed(data: bytes) -> None:
    parser = Parser()
    try:
        for item in parser.feed(data):
            assert isinstance(item, Banner | Response | Event)
    except AmiProtocolError as exc:
        assert "AMI" in str(exc)


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"SSH-2.0-OpenSSH_9.2\r\n", "banner"),
        (BANNER + b"this is not a header\r\n", "malformed AMI line"),
        (BANNER + b"Channel: x\r\n\r\n", "expected 'Response' or 'Event'"),
        (BANNER + b"Event: x\r\nValue: " + b"v" * 70_000, "longer than"),
    ],
)
def test_known_garbage_is_refused_naming_the_problem(data: bytes, says: str) -> None:
    with pytest.raises(AmiProtocolError, match=says):
        Parser().feed(data)


def test_actions_encode_with_their_id_and_repeated_variables() -> None:
    action = Action.of("Originate", {"Channel": "PJSIP/1@t"}, {"A": "1", "B": "2"})
    assert encode(action, "x-7") == (
        b"Action: Originate\r\nActionID: x-7\r\nChannel: PJSIP/1@t\r\n"
        b"Variable: A=1\r\nVariable: B=2\r\n\r\n"
    )


@pytest.mark.parametrize("bad", ["1\r\nAction: Hangup", "x\n", "\r"])
def test_a_line_break_in_a_value_cannot_inject_an_action(bad: str) -> None:
    with pytest.raises(AmiProtocolError, match="line break"):
        encode(Action.of("Setvar", {"Value": bad}), "1")


def test_a_header_name_with_a_colon_is_refused() -> None:
    with pytest.raises(AmiProtocolError, match="not valid"):
        encode(Action("Setvar", (("Bad: name", "v"),)), "1")
