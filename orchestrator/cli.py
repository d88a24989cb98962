"""The `outreach` command: parse, build settings, call into the packages. Kept thin on purpose."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from orchestrator import (
    cli_calls,
    cli_campaign_edit,
    cli_campaign_script,
    cli_campaigns,
    cli_contacts,
    cli_demo,
    cli_leads,
    cli_ops,
    cli_run,
    cli_script,
    cli_speech,
    cli_telephony,
    cli_web,
    privacy,
)
from orchestrator.cli_common import GlobalOptions, err_console, print_error

app = typer.Typer(
    name="outreach",
    help="Outbound voice-robot campaigns: lists, do-not-call, dialling, dialogs, leads.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _global(
    ctx: typer.Context,
    db: Annotated[
        str | None, typer.Option("--db", help="Database URL (overrides OUTREACH_DATABASE_URL).")
    ] = None,
    home: Annotated[
        Path | None, typer.Option("--home", help="Data directory (default ./.outreach).")
    ] = None,
    config: Annotated[Path | None, typer.Option("--config", help="Settings file (TOML).")] = None,
) -> None:
    ctx.obj = GlobalOptions(db, home, config)
    # Logs go to stderr with every phone number masked; OUTREACH_LOG_LEVEL=INFO shows more.
    privacy.install(os.environ.get("OUTREACH_LOG_LEVEL", "WARNING").upper())


_MODULES = (cli_calls, cli_campaigns, cli_campaign_edit, cli_campaign_script, cli_contacts,
            cli_demo, cli_leads, cli_ops, cli_run, cli_script, cli_speech, cli_telephony,
            cli_web)  # fmt: skip
for module in _MODULES:
    module.register(app)


def _user_errors() -> tuple[type[BaseException], ...]:
    from asr_models import AsrError
    from campaigns import CampaignError
    from dialogs import DialogError
    from orchestrator.cli_common import UserError
    from orchestrator.settings import SettingsError
    from telephony import TelephonyError

    # OSError: a path that cannot be read or written, a port in use: the message says which.
    return (AsrError, CampaignError, DialogError, TelephonyError, SettingsError, UserError, OSError)


def _database_trouble(exc: BaseException) -> bool:
    """The database failing under a command (a damaged file, the server gone, a full disk): the
    user's to fix, not a bug. Integrity and programming errors stay bugs."""
    import sqlalchemy as sa

    return isinstance(exc, sa.exc.OperationalError) or type(exc) is sa.exc.DatabaseError


def _user_error_in(exc: BaseException) -> BaseException | None:
    """The user-facing error in `exc`, also when task groups wrapped it (ExceptionGroup)."""
    if isinstance(exc, _user_errors()):
        return exc
    if _database_trouble(exc):
        from orchestrator.cli_common import UserError

        orig = getattr(exc, "orig", None) or exc
        return UserError(f"the database failed: {orig}. Check OUTREACH_DATABASE_URL / --db, "
                         "that the server is running, and the disk; restore a damaged file "
                         "from a backup")  # fmt: skip
    if isinstance(exc, BaseExceptionGroup):
        for sub in exc.exceptions:
            found = _user_error_in(sub)
            if found is not None:
                return found
    return None


def main() -> None:
    """Entry point: known errors become one clear line; nothing prints a traceback to a user."""
    try:
        app()
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(130)
    except Exception as exc:
        if os.environ.get("OUTREACH_DEBUG"):
            raise
        known = _user_error_in(exc)
        if known is not None:
            cause = exc if known is not exc else None  # a translated error keeps its traceback
            privacy.to_file(logging.WARNING, f"stopped: {known}", cause)
            print_error(known)
            sys.exit(2)
        privacy.to_file(logging.ERROR, f"internal error: {type(exc).__name__}: {exc}", exc)
        err_console.print(
            Text.assemble(
                ("internal error:", "bold red"),
                f" {type(exc).__name__}: {exc}\nThis is a bug in outreach. Rerun with "
                "OUTREACH_DEBUG=1 for the full traceback and report it.",
            ),
            highlight=False,
        )
        sys.exit(1)
