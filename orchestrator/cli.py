"""The `outreach` command: parse, build settings, call into the packages. Kept thin on purpose.

Start-up is lazy: the table below names every top-level command and group, its help line and the
module that registers it, so `outreach --help` imports no command module and `outreach campaign
list` imports only the campaign commands (not vosk, numpy, whisper, onnxruntime or the web).
tests/orchestrator/test_startup.py checks the table against what the modules register.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

import typer
import typer.main

# typer 0.13+ vendors click; its Context and Command are what TyperGroup's methods take.
from typer._click import Command, Context
from typer.core import TyperCommand, TyperGroup

from orchestrator import cli_common, privacy
from orchestrator.cli_common import GlobalOptions, print_error


@dataclass(frozen=True)
class Entry:
    """One top-level command or group: its help line, the module whose `register(app)` adds it,
    and the subcommands that other modules add to the group (loaded only when asked for)."""

    help: str
    module: str
    extras: dict[str, str] = field(default_factory=dict)


INIT_HELP = ("Make the home folder and its database (or the one --db / OUTREACH_DATABASE_URL "
             "names), with the schema up to date. Safe to run again: nothing that exists is "
             "changed or emptied.")
RETENTION_HELP = "Delete recordings and transcripts older than retention_days (calls are kept)."

ENTRIES: dict[str, Entry] = {
    "demo": Entry("The whole job on the embedded defaults: a campaign with the Korean (or "
                  "Mandarin) script, a bundled list covering every persona, dialled on simulated "
                  "customers with the real recogniser, synthesiser and dialog; ends with the "
                  "report and the lead queue.", "cli_demo"),
    "run": Entry("Dial a campaign: claims due contacts, paces calls, records every outcome. Ctrl-C "
                 "or `campaign pause` stops cleanly (calls in progress finish).", "cli_run"),
    "serve": Entry("Run the web console for agents, QA reviewers and managers (needs "
                   "OUTREACH_WEB_SECRET).", "cli_web"),
    "calls": Entry("Calls and transcripts, for QA.", "cli_calls",
                   {"show": "cli_run", "export": "cli_run"}),
    "audit": Entry("Audit logs (recording playbacks).", "cli_calls"),
    "campaign": Entry("Create and manage campaigns.", "cli_campaign_list", {
        "create": "cli_campaigns", "show": "cli_campaigns", "pause": "cli_campaigns",
        "resume": "cli_campaigns", "edit": "cli_campaign_edit", "archive": "cli_campaign_edit",
        "unarchive": "cli_campaign_edit", "update-script": "cli_campaign_script",
        "report": "cli_run", "due": "cli_due"}),
    "contacts": Entry("Contact lists (CSV or XLSX): import, list, search, remove.", "cli_contacts"),
    "dnc": Entry("The do-not-call list: numbers no campaign may dial.", "cli_contacts"),
    "leads": Entry("The tele-sales lead queue.", "cli_leads", {"push": "cli_run"}),
    "script": Entry("Check, try and run dialog scripts.", "cli_script", {"eval": "cli_eval"}),
    "models": Entry("Speech recognition models: list, add, verify.", "cli_speech"),
    "asr": Entry("Speech recognition.", "cli_speech"),
    "tts": Entry("Speech synthesis and the prompt cache.", "cli_speech"),
    "asterisk": Entry("The Asterisk PBX: the project's sandbox and the robot dialplan.",
                      "cli_telephony"),
    "users": Entry("Web console accounts (manager, agent, qa).", "cli_web"),
    "init": Entry(INIT_HELP, "cli_ops"),
    "retention": Entry(RETENTION_HELP, "cli_ops"),
}  # fmt: skip

_holders: dict[str, typer.Typer] = {}


def _holder(module: str) -> typer.Typer:
    """A Typer carrying what `orchestrator.<module>.register` attaches (registered once)."""
    if module not in _holders:
        holder = typer.Typer()
        importlib.import_module(f"orchestrator.{module}").register(holder)
        _holders[module] = holder
    return _holders[module]


def load(name: str, sub: str | None = None) -> Command | None:
    """The click command for `outreach NAME`, with the module of subcommand `sub` imported
    (every subcommand's module when `sub` is None, an option or unknown: help lists them all)."""
    entry = ENTRIES.get(name)
    if entry is None:
        return None
    holder = _holder(entry.module)
    every = sub is None or sub.startswith("-")
    # In the table's order, so that help lists the commands in the same order every time.
    wanted = dict.fromkeys(entry.extras.values()) if every else [entry.extras.get(sub or "")]
    for extra in (m for m in wanted if m is not None):
        importlib.import_module(f"orchestrator.{extra}")
    cmd = typer.main.get_group(holder).commands.get(name)
    if not every and sub not in entry.extras and isinstance(cmd, TyperGroup) \
            and sub not in cmd.commands:  # fmt: skip
        return load(name, None)  # a typo: the error and its suggestions know every subcommand
    return cmd


class LazyGroup(TyperGroup):
    """The top-level group: commands listed from ENTRIES, their modules imported on use."""

    _for_help = False

    def list_commands(self, ctx: Context) -> list[str]:
        return list(ENTRIES)

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        entry = ENTRIES.get(cmd_name)
        if entry is not None and self._for_help:
            return TyperCommand(cmd_name, help=entry.help)  # the help page needs only this line
        return load(cmd_name, self._sub)

    def resolve_command(
        self, ctx: Context, args: list[str]
    ) -> tuple[str | None, Command | None, list[str]]:
        self._sub: str | None = args[1] if len(args) > 1 else None
        self.commands = {}  # TyperGroup suggests close names from these on a typo
        if args and args[0] not in ENTRIES:
            self.commands = {n: TyperCommand(n) for n in ENTRIES}
        return super().resolve_command(ctx, args)

    def format_help(self, ctx: Context, formatter: typer._click.HelpFormatter) -> None:
        self._for_help = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._for_help = False

    _sub: str | None = None


app = typer.Typer(
    name="outreach",
    help="Outbound voice-robot campaigns: lists, do-not-call, dialling, dialogs, leads.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    cls=LazyGroup,
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


_USER_ERRORS = (
    ("asr_models.errors", "AsrError"), ("campaigns.errors", "CampaignError"),
    ("dialogs.errors", "DialogError"), ("telephony.errors", "TelephonyError"),
    ("orchestrator.settings", "SettingsError"), ("orchestrator.cli_common", "UserError"),
)  # fmt: skip


def _user_errors() -> tuple[type[BaseException], ...]:
    # Only the modules this command imported can have raised their errors: importing the others
    # here would load vosk and the rest just to print one line.
    found: list[type[BaseException]] = [
        getattr(sys.modules[module], name) for module, name in _USER_ERRORS if module in sys.modules
    ]
    # OSError: a path that cannot be read or written, a port in use: the message says which.
    return (*found, OSError)


def _database_trouble(exc: BaseException) -> bool:
    """The database failing under a command (a damaged file, the server gone, a full disk): the
    user's to fix, not a bug. Integrity and programming errors stay bugs."""
    if "sqlalchemy" not in sys.modules:  # a command that never opened a database
        return False
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
        cli_common.err_console.print("interrupted")
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
        from rich.text import Text

        cli_common.err_console.print(
            Text.assemble(
                ("internal error:", "bold red"),
                f" {type(exc).__name__}: {exc}\nThis is a bug in outreach. Rerun with "
                "OUTREACH_DEBUG=1 for the full traceback and report it.",
            ),
            highlight=False,
        )
        sys.exit(1)
