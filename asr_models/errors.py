"""The speech-recognition layer's errors: each says what is wrong and what to do about it."""


class AsrError(Exception):
    """Base of every error the recognition layer reports to a user."""
