"""The campaign's caller ID as typed at `campaign create/edit` (campaigns/caller_id.py)."""

from __future__ import annotations

import pytest

from campaigns.caller_id import caller_id_header, parse_caller_id
from campaigns.errors import InvalidInput


@pytest.mark.parametrize(
    ("number", "name", "region", "want"),
    [
        ("1588-5000", "OO Bank", "KR", ("+8215885000", "OO Bank")),
        ("+8215885000", None, "CN", ("+8215885000", None)),
        ("OO Bank <1588-5000>", None, "KR", ("+8215885000", "OO Bank")),
        ('"OO Bank" <02-1234-5678>', "Other", "KR", ("+82212345678", "Other")),
        ("", None, "KR", (None, None)),
    ],
)
def test_caller_ids_are_stored_in_e164_with_their_name(
    number: str, name: str | None, region: str, want: tuple[str | None, str | None]
) -> None:
    assert parse_caller_id(number, name, region) == want


@pytest.mark.parametrize(
    ("number", "name", "says"),
    [
        ("12", None, "not a valid phone number for region KR"),
        ("1588-5000", 'OO "Bank"', "without quotes"),
        ("1588-5000", "x" * 41, "at most 40"),
        ("1588-5000", "OO\r\nBank", "control characters"),
        ("", "OO Bank", "needs a --caller-id"),
    ],
)
def test_a_bad_caller_id_is_refused_in_one_line(number: str, name: str | None, says: str) -> None:
    with pytest.raises(InvalidInput, match=says):
        parse_caller_id(number, name, "KR")


def test_the_originate_caller_id_is_name_and_number_or_the_trunks_default() -> None:
    assert caller_id_header("+8215885000", "OO Bank") == '"OO Bank" <+8215885000>'
    assert caller_id_header("+8215885000", None) == "+8215885000"
    assert caller_id_header(None, None) is None
