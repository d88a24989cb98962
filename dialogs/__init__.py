"""Dialog scripts, the pure dialog engine, intents and lead scoring, and prompt synthesis."""

from dialogs.errors import DialogError

__all__ = ["DialogError"]
