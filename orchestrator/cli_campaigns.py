"""CLI commands (placeholder: filled in by the issue that owns this area)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Attach this module's command groups to the main app."""
