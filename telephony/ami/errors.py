"""The AMI layer's errors: one flat hierarchy; socket errors become these once, at the edge."""

from __future__ import annotations

from telephony.errors import TelephonyError


class AmiError(TelephonyError):
    """Base of everything the AMI client reports."""


class AmiProtocolError(AmiError):
    """The peer sent bytes that are not AMI, or an action cannot be encoded safely."""


class AmiConnectionError(AmiError):
    """The AMI connection could not be made or was lost (the action's fate is unknown)."""


class AmiAuthError(AmiError):
    """Asterisk refused the AMI username/secret: fix the settings; retrying will not help."""


class AmiActionError(AmiError):
    """Asterisk answered an action with `Response: Error`."""


class AmiTimeout(AmiError):
    """An action got no answer within its deadline."""
