"""The fast path of phone normalisation gives exactly phonenumbers' answer, for KR and CN input.

Hypothesis writes numbers the way people and spreadsheets do (national, international, with a
trunk prefix, with the country code but no '+', with carrier codes, spaces, dashes, dots,
brackets), plus random digit strings and garbage; the fast path and the library must agree on
validity and on the E.164 form. The fallback must agree by construction; it is checked too.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from campaigns.phones import UNDECIDED, PhoneNormalizer, _rules, fast_e164, slow_e164

SEPARATORS = st.sampled_from(["", "", "", " ", "-", ".", "(", ")", "/", "  "])

# Leading digits that reach the interesting branches of KR and CN numbering plans.
PREFIXES = {
    "KR": ["010", "011", "016", "019", "10", "02", "2", "031", "051", "064", "070", "080",
           "060", "050", "0505", "1588", "1544", "15", "30", "0081", "0085", "082", "00",
           "001", "0031", "0030", "82", "8210", "8202", "+82", "+8210", "+82010", "+8202",
           "+86", "+861", "+1", "+44", "+7", "+0", "+", "0"],
    "CN": ["13", "138", "15", "18", "199", "147", "1740", "1610", "010", "10", "021", "0755",
           "0", "400", "800", "950", "1010", "1096", "17951", "12593", "11", "12", "179",
           "86", "8613", "0086", "00", "+86", "+8613", "+86010", "+82", "+8210", "+1", "+"],
}  # fmt: skip


def _spread(digits: str, seps: list[str]) -> str:
    """Put separators between the digits, as people format numbers."""
    out = []
    for i, ch in enumerate(digits):
        out.append(ch)
        if i < len(seps):
            out.append(seps[i])
    return "".join(out)


@st.composite
def typed_numbers(draw: st.DrawFn, region: str) -> str:
    prefix = draw(st.sampled_from(PREFIXES[region]))
    rest = draw(st.text(alphabet="0123456789", min_size=0, max_size=12))
    body = prefix + rest
    plus = body.startswith("+")
    digits = body[1:] if plus else body
    seps = draw(st.lists(SEPARATORS, max_size=len(digits)))
    lead = draw(st.sampled_from(["", "", " ", "(", "-"]))
    tail = draw(st.sampled_from(["", "", " ", ")", "."]))
    return lead + ("+" if plus else "") + _spread(digits, seps) + tail


def _garbage() -> st.SearchStrategy[str]:
    return st.text(alphabet="0123456789+- ().x#*/０１２abc\t,;", max_size=24)


def _agree(raw: str, region: str) -> None:
    reference = slow_e164(raw, region)
    fast = fast_e164(raw, _rules(region))  # type: ignore[arg-type]  # KR and CN have rules
    if fast is not UNDECIDED:
        assert fast == reference, f"fast path says {fast!r}, phonenumbers {reference!r} for {raw!r}"
    assert PhoneNormalizer(region).e164(raw) == reference


@pytest.mark.parametrize("region", ["KR", "CN"])
def test_both_regions_have_fast_rules(region: str) -> None:
    assert _rules(region) is not None


@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=typed_numbers("KR"))
@example("+82 10-1234-5678")
@example("010 1234 5678")
@example("+82 (0)10 1234 5678")
@example("0082 10 1234 5678")
@example("821012345678")
def test_fast_path_matches_phonenumbers_kr(raw: str) -> None:
    _agree(raw, "KR")


@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=typed_numbers("CN"))
@example("13812345678")
@example("+86 138 1234 5678")
@example("17951 13812345678")
@example("010-12345678")
def test_fast_path_matches_phonenumbers_cn(raw: str) -> None:
    _agree(raw, "CN")


@settings(max_examples=1500, deadline=None)
@given(raw=_garbage(), region=st.sampled_from(["KR", "CN"]))
def test_garbage_gets_the_library_answer(raw: str, region: str) -> None:
    _agree(raw, region)


@settings(max_examples=500, deadline=None)
@given(
    # 179xx is also China's carrier-select / IDD prefix: the library decides those.
    national=st.from_regex(r"1(?:[3-68][0-9]|7[0-8]|9[0-9])[0-9]{8}", fullmatch=True),
    seps=st.lists(SEPARATORS, max_size=11),
)
def test_formatted_cn_mobiles_are_decided_fast(national: str, seps: list[str]) -> None:
    raw = _spread(national, seps)
    fast = fast_e164(raw, _rules("CN"))  # type: ignore[arg-type]
    assert fast is not UNDECIDED
    assert fast == slow_e164(raw, "CN")


def test_the_fast_path_decides_the_common_shapes() -> None:
    """The shapes a bank's list is made of never pay for a full phonenumbers parse."""
    kr = _rules("KR")
    assert kr is not None
    for raw in ["+82 10-1234-5678", "010 1234 5678", "010-1234-5678", "01012345678",
                "02-312-3456", "(031) 123-4567", "+86 138 1234 5678", "1588-1234"]:  # fmt: skip
        assert fast_e164(raw, kr) == slow_e164(raw, "KR") != None  # noqa: E711
    assert fast_e164("010-1234-56", kr) is None
    assert fast_e164("13812345678", kr) is None  # a Chinese mobile is no Korean number


def test_fallback_handles_what_the_fast_path_leaves() -> None:
    """Full-width digits and a country code without '+' still come out right."""
    norm = PhoneNormalizer("KR")
    assert norm.e164("０１０-１２３４-５６７８") == "+821012345678"
    assert norm.e164("82 10 1234 5678") == "+821012345678"
    assert norm.slow_hits == 2
