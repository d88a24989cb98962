"""The dialogs layer's errors: each says what is wrong and what to do about it."""

from __future__ import annotations


class DialogError(Exception):
    """Base of every error the dialogs layer (scripts, engine, synthesis) reports to a user."""


class ScriptError(DialogError):
    """A script file that cannot be used: unreadable, malformed, or failing `script check`.

    `file`, `line` and `state` locate the first problem so an author can jump to it.
    """

    def __init__(
        self, message: str, *, file: str = "", line: int | None = None, state: str | None = None
    ) -> None:
        self.file = file
        self.line = line
        self.state = state
        self.detail = message
        where = file + (f":{line}" if line is not None else "")
        prefix = f"{where}: " if where else ""
        in_state = f"state '{state}': " if state else ""
        super().__init__(f"{prefix}{in_state}{message}")


class VariableError(DialogError):
    """A contact lacks a value the script's prompts need (and the script gives no default)."""
