"""Errors of the AudioSocket layer: each says what went wrong on which call and what to check."""

from __future__ import annotations

from telephony.errors import TelephonyError


class AudioSocketError(TelephonyError):
    """Base of the AudioSocket server's errors."""


class AudioSocketProtocolError(AudioSocketError):
    """The peer sent bytes that are not valid AudioSocket; the call it came on is closed."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"malformed AudioSocket stream: {reason}")
        self.reason = reason


class AcceptTimeout(AudioSocketError):
    """No AudioSocket connection for a call arrived in time."""


class ServerNotRunning(AudioSocketError):
    """The server was used outside `async with server.running()`."""
