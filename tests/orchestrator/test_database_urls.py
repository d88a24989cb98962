"""A database URL that is wrong is one clear line, through the installed command: a mistyped
SQLite path never starts a new empty database (all campaigns would seem gone), an unsupported
scheme or a damaged file is never "a bug in outreach"."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

OUTREACH = str(Path(sys.executable).parent / "outreach")


def _outreach(home: Path, *args: str, db: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OUTREACH_HOME": str(home)}
    for name in ("OUTREACH_DEBUG", "OUTREACH_DATABASE_URL", "OUTREACH_CONFIG"):
        env.pop(name, None)
    if db is not None:
        env["OUTREACH_DATABASE_URL"] = db
    return subprocess.run([OUTREACH, *args], env=env, capture_output=True, text=True,
                          timeout=120, cwd=home.parent)  # fmt: skip


def _one_line(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 2, proc.stdout + proc.stderr
    (line,) = proc.stderr.strip().splitlines()
    assert "Traceback" not in proc.stderr + proc.stdout and "bug in outreach" not in line
    return line


def test_a_mistyped_sqlite_path_is_refused_not_started_empty(tmp_path: Path) -> None:
    home = tmp_path / "home"
    created = _outreach(home, "campaign", "create", "spring", "--script", "ko-dormant-deposit")
    assert created.returncode == 0, created.stderr
    real = home / "outreach.db"  # made by the home's first use
    typo = tmp_path / "hme" / "outreach.db"
    line = _one_line(_outreach(home, "campaign", "list", "--json", db=f"sqlite:///{typo}"))
    assert str(typo) in line and "outreach init" in line
    assert not typo.parent.exists(), "nothing was made at the mistyped path"
    # --db says the same; the real database still has its campaign.
    line = _one_line(_outreach(home, "--db", f"sqlite:///{typo}", "campaign", "list"))
    assert "no database" in line
    listed = _outreach(home, "campaign", "list", "--json", db=f"sqlite:///{real}")
    assert [c["name"] for c in json.loads(listed.stdout)] == ["spring"]
    # A new database at a path of one's choosing is made on purpose, then used.
    made = _outreach(home, "init", "--json", db=f"sqlite:///{typo}")
    assert json.loads(made.stdout)["database"] == f"sqlite:///{typo}"
    listed = _outreach(home, "campaign", "list", "--json", db=f"sqlite:///{typo}")
    assert listed.returncode == 0 and json.loads(listed.stdout) == []


def test_the_default_home_is_made_on_first_use(tmp_path: Path) -> None:
    home = tmp_path / "new-home"
    proc = _outreach(home, "campaign", "list", "--json")
    assert proc.returncode == 0 and json.loads(proc.stdout) == []
    assert (home / "outreach.db").is_file()


def test_an_unsupported_scheme_is_one_line(tmp_path: Path) -> None:
    home = tmp_path / "home"
    for url in ("mysql://outreach:pw@127.0.0.1/outreach", "mysql+pymysql://u@h/x",
                "postgresql+asyncpg://u@h/x"):  # fmt: skip
        line = _one_line(_outreach(home, "campaign", "list", db=url))
        assert "sqlite:///PATH or postgresql://" in line, line
        assert ":pw@" not in line  # the password is never printed
    assert "mysql, which outreach does not support" in _one_line(
        _outreach(home, "--db", "mysql://u@h/x", "campaign", "list")
    )


def test_a_damaged_database_file_is_one_line_and_left_as_it_was(tmp_path: Path) -> None:
    home = tmp_path / "home"
    junk = tmp_path / "junk.db"
    junk.write_bytes(os.urandom(8192))
    before = junk.read_bytes()
    line = _one_line(_outreach(home, "campaign", "list", db=f"sqlite:///{junk}"))
    assert str(junk) in line and "not a SQLite database or is damaged" in line
    assert junk.read_bytes() == before
    # A real database whose pages were overwritten after its header (a bad disk, a bad copy).
    db = tmp_path / "real.db"
    assert _outreach(home, "init", db=f"sqlite:///{db}").returncode == 0
    data = bytearray(db.read_bytes())
    data[100:] = os.urandom(len(data) - 100)
    db.write_bytes(bytes(data))
    line = _one_line(_outreach(home, "campaign", "list", db=f"sqlite:///{db}"))
    assert "damaged (database disk image is malformed)" in line and "backup" in line, line


def test_a_database_that_fails_under_a_command_is_one_line(tmp_path: Path) -> None:
    """The schema is at head, then a table is lost (a hand-made repair gone wrong): the command
    that meets it says the database failed and what to check."""
    home = tmp_path / "home"
    db = tmp_path / "lost.db"
    assert _outreach(home, "init", db=f"sqlite:///{db}").returncode == 0
    with sqlite3.connect(db) as conn:
        conn.execute("DROP TABLE campaign")
    line = _one_line(_outreach(home, "campaign", "list", db=f"sqlite:///{db}"))
    assert "the database failed: no such table: campaign" in line and "backup" in line
