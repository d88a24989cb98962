"""The sandbox's number plan: which dialled numbers are busy, never answer, are congested or are an
answering machine. Every other number reaches a simulated customer, whose AudioSocket UUID carries
the number (telephony.audiosocket.uuid_for_number). Rendered into the sandbox dialplan.
"""

from __future__ import annotations

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


def dial_digits(phone: str) -> str:
    """The digits dialled over the trunk for an E.164 number (`+1555...` -> `1555...`)."""
    digits = phone.removeprefix("+")
    if not digits.isdigit():
        raise ValueError(f"{phone!r} is not an E.164 number (+ then digits)")
    return digits
