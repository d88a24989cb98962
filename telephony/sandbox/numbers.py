"""The sandbox's number plan: which dialled numbers are busy, never answer, are congested or are an
answering machine, and how a simulated customer's AudioSocket UUID carries the number it was called
on. Shared by the sandbox dialplan (rendered from these values) and the backend's customer side.
"""

from __future__ import annotations

import uuid

# E.164 numbers with fixed behaviour in the sandbox's `customers-sim` context. The last three digits
# echo the SIP response each one produces, to make test failures easy to read.
BUSY = "+15550000486"  # Busy(): SIP 486 Busy Here
NO_ANSWER = "+15550000408"  # rings forever: the dialler's ring timeout ends it
CONGESTION = "+15550000503"  # Congestion(): SIP 503
UNALLOCATED = "+15550000404"  # Hangup(1): unallocated number, SIP 404
MACHINE = "+15550000200"  # answers with a long recorded greeting, for answering-machine detection

SPECIAL_NUMBERS = {
    "busy": BUSY,
    "no_answer": NO_ANSWER,
    "congestion": CONGESTION,
    "unallocated": UNALLOCATED,
    "machine": MACHINE,
}

_NUMBER_DIGITS = 12  # the UUID's last group holds 12 hex digits; decimal digits are valid hex


def dial_digits(phone: str) -> str:
    """The digits dialled over the trunk for an E.164 number (`+1555...` -> `1555...`)."""
    digits = phone.removeprefix("+")
    if not digits.isdigit():
        raise ValueError(f"{phone!r} is not an E.164 number (+ then digits)")
    return digits


def number_key(phone: str) -> str:
    """The part of a number a customer UUID can carry: its last 12 digits, without leading zeros."""
    return dial_digits(phone)[-_NUMBER_DIGITS:].lstrip("0")


def number_from_customer_uuid(value: uuid.UUID) -> str:
    """The number key (see `number_key`) a `customers-sim` call's AudioSocket UUID was made from."""
    return value.hex[-_NUMBER_DIGITS:].lstrip("0")
