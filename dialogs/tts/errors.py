"""Prompt synthesis errors: under the dialogs layer's base, so the CLI prints them plainly."""

from dialogs.errors import DialogError


class TtsError(DialogError):
    """Synthesis failed or was asked for what it cannot do (an unknown voice, no espeak-ng)."""
