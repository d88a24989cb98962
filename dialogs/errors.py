"""The dialogs layer's errors: each says what is wrong and what to do about it."""


class DialogError(Exception):
    """Base of every error the dialogs layer (scripts, engine, synthesis) reports to a user."""
