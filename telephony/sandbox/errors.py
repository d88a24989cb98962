"""The sandbox's errors: each says what failed and what to do next."""

from __future__ import annotations

from telephony.errors import TelephonyError


class SandboxError(TelephonyError):
    """The Asterisk sandbox could not be built, started, stopped or inspected."""
