"""The caller ID a campaign's calls show: the number (and name) registered with the carrier.

Carriers and the Chinese and Korean rules want outbound marketing calls to present a registered
number; without one the PBX sent `Anonymous`. The number is stored in E.164; the name is what a
phone with a display shows. Both go to Asterisk as the Originate's `CallerID: "Name" <number>`.
"""

from __future__ import annotations

import re

from campaigns.errors import InvalidInput
from campaigns.phones import slow_e164

MAX_NAME = 40
_NAME_AND_NUMBER = re.compile(r'^\s*"?([^"<>]*?)"?\s*<([^<>]+)>\s*$')  # OO Bank <+8215885000>
_BAD_NAME = re.compile(r'["<>\\]|[\x00-\x1f\x7f]')


def parse_caller_id(
    number: str, name: str | None, region: str
) -> tuple[str | None, str | None]:  # fmt: skip
    """(E.164 number, name) from `--caller-id` and `--caller-name`; '' for the number means
    none (the trunk's default). `--caller-id 'OO Bank <1588-5000>'` gives both at once."""
    m = _NAME_AND_NUMBER.match(number)
    if m:
        if name is None:
            name = m.group(1).strip() or None
        number = m.group(2)
    if not number.strip():
        if name is not None and name.strip():
            raise InvalidInput("--caller-name needs a --caller-id (the number shown with it)")
        return None, None
    e164 = slow_e164(number.strip(), region)
    if e164 is None:
        raise InvalidInput(
            f"--caller-id {number!r} is not a valid phone number for region {region}: give the "
            "number registered with your carrier, e.g. +8215885000 or 1588-5000"
        )
    return e164, check_caller_name(name)


def check_caller_name(name: str | None) -> str | None:
    if name is None or not name.strip():
        return None
    name = name.strip()
    if len(name) > MAX_NAME or _BAD_NAME.search(name):
        raise InvalidInput(
            f"--caller-name {name!r}: use at most {MAX_NAME} characters without quotes, <, >, "
            "backslashes or control characters"
        )
    return name


def caller_id_header(number: str | None, name: str | None) -> str | None:
    """The Originate's CallerID value; None leaves the trunk's own."""
    if number is None:
        return None
    return f'"{name}" <{number}>' if name else number
