"""The telephony layer's errors: each says what is wrong and what to do about it."""


class TelephonyError(Exception):
    """Base of every error the telephony layer (AMI, AudioSocket, sandbox, sim) reports."""
