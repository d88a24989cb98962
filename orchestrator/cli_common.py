"""What every CLI command shares: settings from global options, JSON and table output, errors."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text
from sqlalchemy.engine import Engine

from campaigns.db import open_database
from orchestrator.settings import Settings, load_settings

console = Console()
err_console = Console(stderr=True, soft_wrap=True)  # an error stays one line, whatever its length


class UserError(Exception):
    """Raised by a command for a problem the user can fix; printed without a traceback."""


class GlobalOptions:
    """The options given before the command (`outreach --db URL campaign list`)."""

    def __init__(self, db: str | None, home: Path | None, config: Path | None) -> None:
        self.db = db
        self.home = home
        self.config = config
        self._settings: Settings | None = None
        self.engine: Engine | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.config, database_url=self.db, home=self.home)
        return self._settings


def settings_of(ctx: typer.Context) -> Settings:
    """The settings for this invocation, built on first use (never at import)."""
    root = ctx.find_root()
    opts = root.obj
    if not isinstance(opts, GlobalOptions):
        opts = GlobalOptions(None, None, None)
        root.obj = opts
    return opts.settings


def engine_of(ctx: typer.Context) -> Engine:
    """The campaign database for this invocation, migrated, disposed when the command ends."""
    root = ctx.find_root()
    settings_of(ctx)
    opts = root.obj
    assert isinstance(opts, GlobalOptions)
    if opts.engine is None:
        opts.engine = open_database(opts.settings.db_url)
        root.call_on_close(opts.engine.dispose)
    return opts.engine


def campaign_id_in(engine: Engine, name: str) -> int:
    """The id of the campaign named `name` (NotFound says how to list them)."""
    from campaigns.db import session
    from campaigns.repo import get_campaign_by_name

    with session(engine) as s:
        cid = get_campaign_by_name(s, name).id
    assert cid is not None
    return cid


def print_json(value: Any) -> None:
    """JSON for scripts: plain stdout, UTF-8, no rich markup or wrapping."""
    sys.stdout.write(json.dumps(value, ensure_ascii=False, default=str, indent=2) + "\n")
    sys.stdout.flush()


def print_table(title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """A readable table for people."""
    table = Table(title=Text(title))
    for col in columns:
        table.add_column(col)
    for row in rows:
        # Text, not markup: a name or path with "[...]" in it is shown as written.
        table.add_row(*(Text("" if v is None else str(v)) for v in row))
    console.print(table)


def fail(message: str, code: int = 2) -> NoReturn:
    """Print a user-facing error and exit."""
    print_error(message)
    raise typer.Exit(code)


def print_error(message: object) -> None:
    """`error: ...` on stderr, on one line; the message is text, never markup."""
    err_console.print(Text.assemble(("error:", "bold red"), " ", str(message)), highlight=False)
