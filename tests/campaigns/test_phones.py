"""Phone normalisation as the importer and the do-not-call commands use it."""

from __future__ import annotations

import pytest

from campaigns.errors import InvalidInput
from campaigns.phones import PhoneNormalizer, check_region, phone_time_zone


def test_korean_formats_become_one_e164_number() -> None:
    norm = PhoneNormalizer("KR")
    forms = ["+82 10-1234-5678", "010 1234 5678", "010-1234-5678", "(010) 1234.5678",
             "+82 (0)10 1234 5678", " 01012345678 "]  # fmt: skip
    assert {norm.e164(f) for f in forms} == {"+821012345678"}


def test_chinese_mobile_needs_the_cn_region() -> None:
    assert PhoneNormalizer("CN").e164("13812345678") == "+8613812345678"
    assert PhoneNormalizer("KR").e164("13812345678") is None
    assert PhoneNormalizer("KR").e164("+86 138 1234 5678") == "+8613812345678"


@pytest.mark.parametrize("raw", ["", "   ", "abc", "12", "010-1234", "+999 123456789", "0" * 30])
def test_garbage_is_invalid(raw: str) -> None:
    assert PhoneNormalizer("KR").e164(raw) is None


def test_require_says_what_is_wrong() -> None:
    with pytest.raises(InvalidInput, match=r"'12-34' is not a valid phone number for region KR"):
        PhoneNormalizer("kr").require("12-34")


def test_unknown_region_is_a_clear_error() -> None:
    with pytest.raises(InvalidInput, match="unknown region 'XX'"):
        check_region("XX")
    assert check_region(" cn ") == "CN"


def test_time_zone_of_the_number() -> None:
    assert phone_time_zone("+821012345678") == "Asia/Seoul"
    assert phone_time_zone("+8613812345678") == "Asia/Shanghai"
    assert phone_time_zone("+12125551234") == "America/New_York"
    # A Russian mobile spans eleven zones: the caller falls back to the campaign's zone.
    assert phone_time_zone("+79161234567") is None
