"""The asterisk backend's errors."""

from __future__ import annotations

from telephony.errors import TelephonyError


class AsteriskError(TelephonyError):
    """The asterisk backend was used wrongly or the PBX refused what it asked."""
