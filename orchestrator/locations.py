"""Where the home and the database are, read as orchestrator.settings reads them (the --db /
--home options, then OUTREACH_DATABASE_URL / OUTREACH_HOME in any case, then the settings file)
but without pydantic, whose import is most of a short command's start-up.

Only these two settings are read; a command that uses this (`campaign list`) does not check the
others, which the commands that use them still do. Whenever the answer is not plain (a settings
file missing or unreadable, a value that is not text or is empty, a home that is a file) it is
None: the caller builds the full settings, which say in one line what is wrong.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

_FIELDS = ("home", "database_url")


def _config_file(explicit: Path | None) -> Path | bool | None:
    """The settings file load_settings would read; None: none; False: one that is not there."""
    if explicit is not None:
        return explicit if explicit.is_file() else False
    env = os.environ.get("OUTREACH_CONFIG")
    if env:
        return Path(env) if Path(env).is_file() else False
    local = Path("outreach.toml")
    return local if local.is_file() else None


def home_and_database(
    config: Path | None, db: str | None, home: Path | None
) -> tuple[Path, str | None] | None:
    """The home and the database URL setting (None: the home's own file), or None when only
    the full settings can tell (see the module's docstring)."""
    path = _config_file(config)
    if path is False:
        return None
    from_file: dict[str, Any] = {}
    if isinstance(path, Path):
        try:
            with path.open("rb") as fh:
                from_file = tomllib.load(fh)
        except (tomllib.TOMLDecodeError, OSError):
            return None
        if any(k.lower() in _FIELDS and k not in _FIELDS for k in from_file):
            return None
    env = {k.lower(): v for k, v in os.environ.items()}  # pydantic-settings ignores the case
    given = {"home": str(home) if home is not None else None, "database_url": db}
    values: dict[str, str | None] = {}
    for name in _FIELDS:
        value = given[name]
        if value is None:
            value = env.get(f"outreach_{name}", from_file.get(name))
        if value is not None and (not isinstance(value, str) or not value):
            return None
        values[name] = value
    where = Path(values["home"] or ".outreach")
    if where.exists() and not where.is_dir():
        return None
    return where, values["database_url"]


def database_url(home: Path, database: str | None) -> str:
    """The URL of the database (orchestrator.settings.Settings.db_url)."""
    return database or f"sqlite:///{(home / 'outreach.db').resolve()}"
