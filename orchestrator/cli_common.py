"""What every CLI command shares: settings from global options, JSON and table output, errors."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from orchestrator import privacy

if TYPE_CHECKING:  # imported on use: `outreach --help` needs neither SQLAlchemy nor pydantic
    from rich.console import Console
    from rich.text import Text
    from sqlalchemy.engine import Engine

    from orchestrator.settings import Settings

    console: Console
    err_console: Console  # an error stays one line, whatever its length
else:

    def __getattr__(name: str) -> Any:
        # rich is imported when something is printed through it (`--json` never is).
        if name not in ("console", "err_console"):
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        return _console(name)


def _console(name: str) -> Console:
    """`console` (stdout) or `err_console` (stderr, one line per error), made on first use."""
    made = globals().get(name)
    if made is None:
        from rich.console import Console

        made = Console() if name == "console" else Console(stderr=True, soft_wrap=True)
        globals()[name] = made
    return made

# `--json`, which every listing has (one definition for every command module).
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


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

    def quick_database_url(self) -> str | None:
        """The database URL when it is known without building the settings (pydantic), else
        None (orchestrator/locations.py); the home's log file is installed as `settings` does."""
        if self._settings is not None:
            return self._settings.db_url
        from orchestrator.locations import database_url, home_and_database

        found = home_and_database(self.config, self.db, self.home)
        if found is None:
            return None
        privacy.install_file(found[0])
        return database_url(*found)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            from orchestrator.settings import load_settings

            self._settings = load_settings(self.config, database_url=self.db, home=self.home)
            # From here on warnings and errors are also kept in the home's log file.
            privacy.install_file(self._settings.home)
        return self._settings


def settings_of(ctx: typer.Context) -> Settings:
    """The settings for this invocation, built on first use (never at import)."""
    return options_of(ctx).settings


def options_of(ctx: typer.Context) -> GlobalOptions:
    """The global options of this invocation."""
    root = ctx.find_root()
    if not isinstance(root.obj, GlobalOptions):
        root.obj = GlobalOptions(None, None, None)
    return root.obj


def engine_of(ctx: typer.Context) -> Engine:
    """The campaign database for this invocation, migrated, disposed when the command ends."""
    root = ctx.find_root()
    settings_of(ctx)
    opts = root.obj
    assert isinstance(opts, GlobalOptions)
    if opts.engine is None:
        from campaigns.db import open_database

        # The home's own database is made on first use; a database named by URL (--db,
        # OUTREACH_DATABASE_URL, the settings file) must be there (`outreach init` makes one).
        create = opts.settings.database_url is None
        opts.engine = open_database(opts.settings.db_url, create=create)
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


def _whole(column: str) -> bool:
    """Columns whose values are never wrapped nor cut: ids, names of things, phone numbers."""
    c = column.lower()
    return c in ("id", "phone", "call", "lead", "name", "campaign") or c.endswith((" id", "_id"))


def _cell(column: str, value: Any) -> Text:
    from rich.text import Text

    if value is None:
        return Text("")
    text = str(value)
    if column.lower() == "phone" and text.startswith("+"):
        from campaigns.lead_card import national

        text = national(text)  # people read their local format; --json keeps E.164
    # Text, not markup: a name or path with "[...]" in it is shown as written.
    return Text(text)


def print_table(
    title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]],
    drop_first: Sequence[str] = (),
) -> None:  # fmt: skip
    """A readable table for people, at any terminal width (80 columns included): long text
    wraps; ids, names and phones are never wrapped or cut; when even that does not fit,
    columns are dropped (`drop_first`, then the rightmost others) and the caption says which."""
    from rich.table import Table
    from rich.text import Text

    cells = [[_cell(c, v) for c, v in zip(columns, row, strict=False)] for row in rows]
    keep = list(range(len(columns)))

    def least(i: int) -> int:
        longest = max([len(columns[i])] + [r[i].cell_len for r in cells if i < len(r)])
        return longest if _whole(columns[i]) else min(longest, max(10, len(columns[i])))

    def build(idx: list[int], dropped: list[str]) -> Table:
        caption = f"not shown at this width: {', '.join(dropped)} (--json has all)" if dropped \
            else None  # fmt: skip
        table = Table(title=Text(title), caption=caption)
        for i in idx:
            if _whole(columns[i]):
                table.add_column(columns[i], no_wrap=True, min_width=least(i))
            else:  # wraps, but never narrower than its header or 10 cells
                table.add_column(columns[i], overflow="fold", min_width=least(i))
        for r in cells:
            table.add_row(*(r[i] if i < len(r) else Text("") for i in idx))
        return table

    order = [c for c in drop_first if c in columns]
    order += [c for c in reversed(columns) if not _whole(c) and c not in order]
    dropped: list[str] = []
    table = build(keep, dropped)
    # Each column takes its width plus a space either side and a border line.
    width = _console("console").width
    while sum(least(i) + 3 for i in keep) + 1 > width and order and len(keep) > 1:
        name = order.pop(0)
        keep.remove(list(columns).index(name))
        dropped.append(name)
        table = build(keep, dropped)
    _console("console").print(table)


def fail(message: str, code: int = 2) -> NoReturn:
    """Print a user-facing error and exit."""
    print_error(message)
    raise typer.Exit(code)


def print_error(message: object) -> None:
    """`error: ...` on stderr, on one line; the message is text, never markup."""
    from rich.text import Text

    line = Text.assemble(("error:", "bold red"), " ", str(message))
    _console("err_console").print(line, highlight=False)
