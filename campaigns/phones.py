"""Phone numbers: normalise what people type into E.164 and find the number's time zone.

`phonenumbers` is the reference, but parse + is_valid_number costs ~50 µs a number (FACTS.md),
too slow for a million-row import. So `PhoneNormalizer` has a fast path for the common shape,
ASCII digits with simple punctuation and an optional leading '+', that replays exactly the steps
`phonenumbers.parse` and `is_valid_number` take for such input (national prefix stripping, the
length rules, the region's general and per-type patterns), with the region's metadata compiled
once. Anything it cannot decide the same way for certain (letters, extensions, full-width digits,
IDD prefixes, a country code written without '+', countries sharing a calling code) goes through
`phonenumbers` itself. tests/campaigns/test_phones_fast.py checks, with hypothesis, that both give
the same answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
from phonenumbers import COUNTRY_CODE_TO_REGION_CODE, PhoneMetadata
from phonenumbers import timezone as pn_timezone
from phonenumbers.tzdata import TIMEZONE_DATA

from campaigns.errors import InvalidInput

# Punctuation phonenumbers ignores and that cannot start an extension or a second number.
_PUNCT = str.maketrans("", "", " -.()/")
_MAX_INPUT = 250  # phonenumbers rejects longer input outright
_MIN_NSN, _MAX_NSN = 2, 17  # phonenumbers' bounds on a national significant number
_MAX_CC_DIGITS = 3
_UNKNOWN_ZONE = "Etc/Unknown"


class _Undecided:
    """The fast path's answer when only phonenumbers itself can decide."""

    def __repr__(self) -> str:
        return "UNDECIDED"


UNDECIDED = _Undecided()


@dataclass(frozen=True, slots=True)
class _Desc:
    pattern: str
    lengths: frozenset[int]  # empty: any length (phonenumbers skips the length test then)


@dataclass(frozen=True, slots=True)
class _Rules:
    """One region's metadata, compiled once, as the fast path needs it."""

    cc_str: str
    idd: re.Pattern[str] | None
    national_prefix: re.Pattern[str] | None
    general: re.Pattern[str]
    possible: tuple[int, ...]  # sorted, from the general description
    local_only: frozenset[int]
    # Length -> one alternation of every number type of that length. is_valid_number accepts a
    # number when the general pattern and any type's pattern (with its lengths) match, so one
    # fullmatch of the alternation gives the same answer (the patterns have no groups).
    by_length: dict[int, re.Pattern[str]]

    def strip_allowed(self, length: int) -> bool:
        """phonenumbers keeps a stripped national prefix unless the rest is too short to dial."""
        if length in self.local_only:
            return False
        return length in self.possible or length > self.possible[-1]

    def is_valid(self, nsn: str) -> bool:
        types = self.by_length.get(len(nsn))
        return (
            types is not None
            and self.general.fullmatch(nsn) is not None
            and types.fullmatch(nsn) is not None
        )


def _desc(d: object) -> _Desc | None:
    pattern = getattr(d, "national_number_pattern", None)
    if not pattern:
        return None
    return _Desc(pattern, frozenset(getattr(d, "possible_length", ()) or ()))


_TYPE_FIELDS = (
    "premium_rate", "toll_free", "shared_cost", "voip", "personal_number",
    "pager", "uan", "voicemail", "fixed_line", "mobile",
)  # fmt: skip


def _by_length(general: _Desc, types: list[_Desc]) -> dict[int, re.Pattern[str]]:
    out = {}
    for length in general.lengths:
        alts = [d.pattern for d in types if not d.lengths or length in d.lengths]
        if alts:
            out[length] = re.compile("|".join(f"(?:{p})" for p in alts))
    return out


@lru_cache(maxsize=64)
def _rules(region: str) -> _Rules | None:
    """Compiled rules for `region`, or None when the fast path must not be used for it."""
    meta = PhoneMetadata.metadata_for_region(region, None)
    if meta is None or meta.country_code is None:
        return None
    # Shared calling codes (NANPA, +7, +44...) pick the region by the number: leave them to the
    # library. Transform rules (Argentina, Mexico...) rewrite digits: likewise.
    if COUNTRY_CODE_TO_REGION_CODE.get(meta.country_code) != (region,):
        return None
    if meta.national_prefix_transform_rule:
        return None
    general = _desc(meta.general_desc)
    if general is None or not general.lengths:
        return None
    types = [d for d in (_desc(getattr(meta, f)) for f in _TYPE_FIELDS) if d is not None]
    local = getattr(meta.general_desc, "possible_length_local_only", ()) or ()
    npfp = meta.national_prefix_for_parsing
    return _Rules(
        cc_str=str(meta.country_code),
        idd=re.compile(meta.international_prefix) if meta.international_prefix else None,
        national_prefix=re.compile(npfp) if npfp else None,
        general=re.compile(general.pattern),
        possible=tuple(sorted(general.lengths)),
        local_only=frozenset(local),
        by_length=_by_length(general, types),
    )


def _region_of_cc(cc: int) -> str | None:
    regions = COUNTRY_CODE_TO_REGION_CODE.get(cc)
    if regions is None or len(regions) != 1 or regions[0] == "001":
        return None
    return regions[0]


def _strip_national_prefix(rules: _Rules, number: str) -> str:
    """phonenumbers' _maybe_strip_national_prefix_carrier_code + the length guard in parse()."""
    if rules.national_prefix is None or not number:
        return number
    m = rules.national_prefix.match(number)
    if m is None:
        return number
    rest = number[m.end() :]
    viable_before = rules.general.fullmatch(number) is not None
    if viable_before and rules.general.fullmatch(rest) is None:
        return number
    return rest if rules.strip_allowed(len(rest)) else number


def _finish(rules: _Rules, national: str) -> str | None:
    if len(national) < _MIN_NSN:
        return None
    nsn = _strip_national_prefix(rules, national)
    if not _MIN_NSN <= len(nsn) <= _MAX_NSN:
        return None
    # A leading zero stays part of the number (phonenumbers' "italian leading zero").
    return f"+{rules.cc_str}{nsn}" if rules.is_valid(nsn) else None


def fast_e164(raw: str, rules: _Rules) -> str | _Undecided | None:
    """E.164, None (invalid) or UNDECIDED, for input in the default region `rules`."""
    if len(raw) > _MAX_INPUT:
        return UNDECIDED
    s = raw.strip().translate(_PUNCT)
    plus = s.startswith("+")
    digits = s[1:] if plus else s
    if len(digits) < 4 or not (digits.isascii() and digits.isdigit()):
        return UNDECIDED
    if plus:
        if digits[0] == "0":
            return UNDECIDED  # phonenumbers retries without the '+'
        for n in range(1, _MAX_CC_DIGITS + 1):
            cc = int(digits[:n])
            if cc in COUNTRY_CODE_TO_REGION_CODE:
                region = _region_of_cc(cc)
                cc_rules = _rules(region) if region else None
                if cc_rules is None:
                    return UNDECIDED
                return _finish(cc_rules, digits[n:])
        return UNDECIDED
    if rules.idd is not None and rules.idd.match(digits):
        return UNDECIDED
    if digits.startswith(rules.cc_str):
        return UNDECIDED  # maybe a country code without '+': phonenumbers weighs both readings
    return _finish(rules, digits)


def slow_e164(raw: str, region: str) -> str | None:
    """The reference answer: phonenumbers parse + is_valid_number + E.164."""
    try:
        num = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(num):
        return None
    return phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)


def check_region(region: str) -> str:
    """The upper-case region code, or InvalidInput saying what is accepted."""
    code = region.strip().upper()
    if code not in phonenumbers.SUPPORTED_REGIONS:
        raise InvalidInput(
            f"unknown region {region!r}: use a two-letter country code such as KR, CN or US"
        )
    return code


class PhoneNormalizer:
    """Normalises numbers typed for one default region. Build one per import and reuse it."""

    def __init__(self, region: str) -> None:
        self.region = check_region(region)
        self._rules = _rules(self.region)
        self.fast_hits = 0
        self.slow_hits = 0

    def e164(self, raw: str) -> str | None:
        """The number in E.164, or None when it is not a valid number."""
        if self._rules is not None:
            got = fast_e164(raw, self._rules)
            if not isinstance(got, _Undecided):
                self.fast_hits += 1
                return got
        self.slow_hits += 1
        return slow_e164(raw, self.region)

    def require(self, raw: str) -> str:
        """The number in E.164, or InvalidInput naming the number and the region used."""
        got = self.e164(raw)
        if got is None:
            raise InvalidInput(
                f"{raw!r} is not a valid phone number for region {self.region}: "
                "give it in international form (+82 10-1234-5678) or pass the right --region"
            )
        return got


@lru_cache(maxsize=512)
def _constant_zone(cc_str: str) -> str | _Undecided | None:
    """The zone every valid number with this calling code gets, when the data says it is one."""
    zones = TIMEZONE_DATA.get(cc_str)
    if zones is None:
        return UNDECIDED
    if any(v != zones for k, v in TIMEZONE_DATA.items() if k.startswith(cc_str)):
        return UNDECIDED
    return _single(zones)


def _single(zones: tuple[str, ...] | list[str]) -> str | None:
    if len(zones) != 1 or zones[0] == _UNKNOWN_ZONE:
        return None
    return zones[0]


@lru_cache(maxsize=65536)
def _lookup_zone(e164: str) -> str | None:
    num = phonenumbers.parse(e164, None)
    return _single(list(pn_timezone.time_zones_for_number(num)))


@lru_cache(maxsize=4096)
def _zone_by_head(head: str) -> str | _Undecided | None:
    """The constant zone for the calling code that starts `head` ("+" and 3 digits)."""
    for n in range(1, _MAX_CC_DIGITS + 1):
        cc_str = head[1 : 1 + n]
        if cc_str.isdigit() and int(cc_str) in COUNTRY_CODE_TO_REGION_CODE:
            return _constant_zone(cc_str)
    return UNDECIDED


def phone_time_zone(e164: str) -> str | None:
    """The one IANA zone of a valid E.164 number; None when it has several or none.

    Most calling codes have one zone for all their numbers (KR, CN): that answer is cached per
    code, so a million Korean numbers cost one lookup.
    """
    zone = _zone_by_head(e164[:4])
    if isinstance(zone, _Undecided):
        return _lookup_zone(e164)
    return zone
