"""The dialled number carried in an AudioSocket UUID, for the sandbox's simulated customers.

A customer-side AudioSocket connection has no other way to say which number was dialled than its
UUID, so the sandbox dialplan builds one from the extension: the digits, then `f` padding to 32 hex
characters, in the 8-4-4-4-12 layout. `f` is never a decimal digit, so the encoding is unambiguous
and the number stays readable in Asterisk's logs (`82101234-5678-ffff-ffff-ffffffffffff`).
The dialplan that produces it (docs/audiosocket.md):

    same => n,Set(D=${FILTER(0-9,${EXTEN})}ffffffffffffffffffffffffffffffff)
    same => n,AudioSocket(${D:0:8}-${D:8:4}-${D:12:4}-${D:16:4}-${D:20:12},127.0.0.1:PORT)
"""

from __future__ import annotations

import uuid

from telephony.audiosocket.errors import AudioSocketError

MAX_DIGITS = 31  # at least one `f` always ends the digits


def uuid_for_number(number: str) -> str:
    """The UUID string for a dialled number; a leading `+` is dropped (E.164 digits only)."""
    digits = number.removeprefix("+")
    if not digits.isascii() or not digits.isdigit() or not 1 <= len(digits) <= MAX_DIGITS:
        raise AudioSocketError(
            f"cannot carry {number!r} in an AudioSocket UUID: 1 to {MAX_DIGITS} digits expected"
        )
    return str(uuid.UUID(hex=digits.ljust(32, "f")))


def number_from_uuid(value: str | uuid.UUID) -> str:
    """The dialled digits (no `+`) encoded by `uuid_for_number` or the sandbox dialplan."""
    try:
        hex_ = value.hex if isinstance(value, uuid.UUID) else uuid.UUID(value).hex
    except ValueError:
        raise AudioSocketError(f"{value!r} is not a UUID") from None
    digits = hex_.rstrip("f")
    if len(digits) == len(hex_) or not digits or not digits.isdigit():
        raise AudioSocketError(
            f"UUID {value} does not carry a dialled number (digits then `f` padding expected); "
            "check the customers' dialplan context"
        )
    return digits
