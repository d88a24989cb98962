"""CLI start-up: `outreach --help` and `outreach campaign list` load only what they need.

Each command runs in a fresh interpreter (as a user types it) through a small wrapper that writes
the names of the modules it imported; the heavy libraries must not be among them. This is a
behaviour test, not a timing test: bench/bench_startup.py measures the wall time.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa
from alembic.config import Config
from alembic.script import ScriptDirectory

from campaigns.db import MIGRATIONS
from tests.campaigns.helpers import make_campaign

# Recognisers, numeric and speech runtimes, the web server: none of them lists a campaign.
HEAVY = {"vosk", "numpy", "faster_whisper", "ctranslate2", "onnxruntime", "starlette", "uvicorn"}

WRAPPER = """
import json, os, sys
sys.argv[0] = "outreach"
from orchestrator.cli import main
try:
    main()
finally:
    with open(os.environ["MODULES_OUT"], "w") as out:
        json.dump(sorted(sys.modules), out)
"""


def outreach(tmp_path: Path, *args: str, code: int = 0) -> tuple[str, set[str]]:
    """Run `outreach ARGS` in a new interpreter; its output and the top-level packages it loaded
    (stdout, or stderr when the exit status `code` is not 0)."""
    out, modules = outreach_modules(tmp_path, *args, code=code)
    return out, {name.split(".")[0] for name in modules}


def outreach_modules(tmp_path: Path, *args: str, code: int = 0) -> tuple[str, set[str]]:
    """outreach() with every module the command loaded (`campaigns.models`, not `campaigns`)."""
    wrapper = tmp_path / "outreach_wrapper.py"
    wrapper.write_text(WRAPPER, encoding="utf-8")
    modules = tmp_path / "modules.json"
    env = {**os.environ, "MODULES_OUT": str(modules), "COLUMNS": "120"}
    done = subprocess.run([sys.executable, str(wrapper), *args], capture_output=True, text=True,
                          env=env, timeout=120, cwd=tmp_path)  # fmt: skip
    assert done.returncode == code, done.stderr
    loaded = set(json.loads(modules.read_text(encoding="utf-8")))
    return (done.stdout if code == 0 else done.stderr), loaded


# What listing campaigns reads through the database driver alone instead (start-up, issue 13):
# the ORM, the table models, the settings' pydantic models, the migrations.
ORM = {"sqlalchemy", "sqlmodel", "pydantic_settings", "alembic", "campaigns.models",
       "campaigns.repo", "orchestrator.settings"}  # fmt: skip


def test_help_lists_every_command_without_loading_any(tmp_path: Path) -> None:
    out, loaded = outreach(tmp_path, "--help")
    for name in ("campaign", "contacts", "run", "serve", "leads", "asr", "users"):
        assert name in out
    assert not loaded & HEAVY
    # Nor the database layer nor the migrations: the help page needs only the command names.
    assert not loaded & {"sqlalchemy", "sqlmodel", "alembic", "dialogs", "asr_models", "telephony"}


def test_campaign_list_loads_no_speech_or_web_libraries(db_url: str, tmp_path: Path) -> None:
    engine, _ = make_campaign(db_url, 3, name="spring")
    engine.dispose()
    out, loaded = outreach(tmp_path, "--db", db_url, "campaign", "list", "--json")
    assert [(c["name"], c["contacts"]["total"]) for c in json.loads(out)] == [("spring", 3)]
    assert not loaded & HEAVY
    # The database is at the newest migration: Alembic and the scripts are not even loaded.
    assert "alembic" not in loaded


def test_campaign_list_reads_without_the_orm_and_says_what_show_says(
    db_url: str, tmp_path: Path
) -> None:
    """The listing (table and --json) loads neither SQLAlchemy nor the table models nor the
    settings' pydantic models, and every campaign in it is what `campaign show`, which reads
    through the ORM, says of it: the same settings, times and counts by status."""
    engine, _ = make_campaign(db_url, 4, name="spring", retry="busy=30m,no_answer=2h",
                                window="09:00-12:00,13:00-20:00", excluded_dates=("2026-05-05",),
                                caller_id="+8215885000", caller_name="은행")  # fmt: skip
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE contact SET status = 'done', queued = false WHERE phone "
                             "IN ('+821000000000', '+821000000001')"))  # fmt: skip
        conn.execute(sa.text("UPDATE contact SET status = 'retry' WHERE phone = '+821000000002'"))
    engine.dispose()
    engine, _ = make_campaign(db_url, 0, name="old")
    engine.dispose()
    base = ("--db", db_url, "campaign")
    outreach(tmp_path, *base, "archive", "old")
    listed = {}
    for flags in ([], ["--all"]):
        out, loaded = outreach_modules(tmp_path, *base, "list", "--json", *flags)
        assert not loaded & ORM, loaded & ORM
        listed[len(flags)] = json.loads(out)
    assert [c["name"] for c in listed[0]] == ["spring"]
    assert [c["name"] for c in listed[1]] == ["spring", "old"]
    for shown in listed[1]:
        out, _ = outreach(tmp_path, *base, "show", shown["name"], "--json")
        assert shown == json.loads(out)
    assert listed[0][0]["contacts"] == {"total": 4, "done": 2, "retry": 1, "new": 1}
    table, loaded = outreach_modules(tmp_path, *base, "list")
    assert not loaded & ORM, loaded & ORM
    assert "1 archived campaign(s) not shown" in table
    (row,) = [line for line in table.splitlines() if "spring" in line]
    assert [cell.strip() for cell in row.split("│")[1:-1]] == [
        "spring", "active", "ko-dormant-deposit", "4", "2", "2", "10", "1.0"]  # fmt: skip


def test_the_dnc_commands_load_no_dialog_engine(sqlite_url: str, tmp_path: Path) -> None:
    out, loaded = outreach(tmp_path, "--db", sqlite_url, "dnc", "add", "010-1234-5678")
    assert not loaded & (HEAVY | {"dialogs", "asr_models", "telephony"})
    out, loaded = outreach(tmp_path, "--db", sqlite_url, "dnc", "list", "--json")
    assert [e["phone"] for e in json.loads(out)] == ["+821012345678"]
    assert not loaded & (HEAVY | {"dialogs", "asr_models", "telephony"})


def test_a_group_help_lists_commands_from_every_module(tmp_path: Path) -> None:
    out, _ = outreach(tmp_path, "campaign", "--help")
    for name in ("list", "create", "edit", "update-script", "report", "due"):
        assert name in out


def test_a_mistyped_command_suggests_the_right_one(tmp_path: Path) -> None:
    err, _ = outreach(tmp_path, "campain", "list", code=2)
    assert "'campaign'" in err
    err, _ = outreach(tmp_path, "campaign", "lst", code=2)
    assert "'list'" in err


def test_the_lazy_table_matches_what_the_modules_register() -> None:
    from orchestrator.cli import ENTRIES, load

    for name, entry in ENTRIES.items():
        cmd = load(name)
        assert cmd is not None, name
        assert " ".join((cmd.help or "").split()) == entry.help, name
        subs = getattr(cmd, "commands", {})
        owner = f"orchestrator.{entry.module}"
        elsewhere = {sub: c.callback.__module__.split(".")[-1] for sub, c in subs.items()
                     if c.callback is not None and c.callback.__module__ != owner}  # fmt: skip
        # A command another module adds is in the table (or that module is imported by the
        # owner itself), or `outreach NAME SUB` would not find it.
        imported_by_owner = {m for m, v in vars(sys.modules[owner]).items()
                             if getattr(v, "__name__", "") == f"orchestrator.{m}"}  # fmt: skip
        for sub, module in elsewhere.items():
            assert entry.extras.get(sub) == module or module in imported_by_owner, (name, sub)
        assert set(entry.extras) <= set(subs), name


def test_the_migration_heads_are_read_without_alembic() -> None:
    from campaigns.db import head_revisions

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    assert head_revisions() == frozenset(ScriptDirectory.from_config(cfg).get_heads())
