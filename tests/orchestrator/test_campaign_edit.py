"""`outreach campaign edit|archive|unarchive` and a campaign's own recogniser model, on SQLite and
PostgreSQL: edits are checked as create checks them and apply to the next claim; archived
campaigns are neither run nor listed; a run listens with the campaign's model."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from asr_models import list_models
from orchestrator.cli import _user_error_in, app

OUTREACH = str(Path(sys.executable).parent / "outreach")
WED_NOON = "2030-01-02T12:00:00"  # a Wednesday, read in the campaign's zone (Asia/Seoul)


def cli(db_url: str, home: Path, *args: str, fails: bool = False) -> Any:
    """The command's output; with `fails`, the one-line user error it stopped on."""
    result = CliRunner().invoke(app, ["--db", db_url, "--home", str(home), *args])
    if fails:
        assert result.exception is not None and _user_error_in(result.exception), result.output
        return str(result.exception)
    assert result.exit_code == 0, (result.output, result.exception)
    return json.loads(result.stdout) if "--json" in args else result.stdout


@pytest.fixture
def spring(db_url: str, tmp_path: Path) -> tuple[str, Path]:
    home = tmp_path / "home"
    cli(db_url, home, "campaign", "create", "spring", "--script", "ko-dormant-deposit",
        "--window", "09:00-20:00", "--days", "mon-fri")  # fmt: skip
    src = tmp_path / "l.csv"
    src.write_text("name,phone\n김민수,010-1234-5678\n", encoding="utf-8")
    cli(db_url, home, "contacts", "import", "spring", str(src), "--json")
    return db_url, home


def test_edit_changes_what_is_given_and_keeps_the_rest(spring: tuple[str, Path]) -> None:
    db, home = spring
    before = cli(db, home, "campaign", "show", "spring", "--json")
    out = cli(db, home, "campaign", "edit", "spring", "--max-channels", "4", "--cps", "0.5",
              "--queue", "sales", "--retry", "busy=10m", "--max-per-day", "2",
              "--json")  # fmt: skip
    assert sorted(out["changed"]) == ["cps", "max_channels", "max_per_day", "retry_delays",
                                      "transfer_queue"]  # fmt: skip
    after = cli(db, home, "campaign", "show", "spring", "--json")
    assert (after["max_channels"], after["cps"], after["transfer_queue"]) == (4, 0.5, "sales")
    assert after["retry_delays_s"]["busy"] == 600
    assert after["retry_delays_s"]["no_answer"] == before["retry_delays_s"]["no_answer"]
    assert after["windows"] == before["windows"] and after["max_attempts"] == 3
    cli(db, home, "campaign", "edit", "spring", "--queue", "")
    assert cli(db, home, "campaign", "show", "spring", "--json")["transfer_queue"] is None
    said = cli(db, home, "campaign", "edit", "spring", "--cps", "0.5")
    assert "already set so, nothing changed" in said
    assert "nothing to change: give at least one of" in cli(db, home, "campaign", "edit",
                                                            "spring", fails=True)  # fmt: skip


def test_window_edits_keep_the_other_half_and_apply_to_who_is_due(
    spring: tuple[str, Path]
) -> None:
    db, home = spring

    def due(at: str) -> int:
        return len(cli(db, home, "campaign", "due", "spring", "--at", at, "--json"))

    assert due(WED_NOON) == 1
    cli(db, home, "campaign", "edit", "spring", "--window", "13:00-18:00")
    windows = cli(db, home, "campaign", "show", "spring", "--json")["windows"]
    assert windows == {d: [["13:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}
    assert due(WED_NOON) == 0, "12:00 is outside the new window"
    assert due("2030-01-02T14:00:00") == 1
    cli(db, home, "campaign", "edit", "spring", "--days", "sat")
    windows = cli(db, home, "campaign", "show", "spring", "--json")["windows"]
    assert windows == {"sat": [["13:00", "18:00"]]}, "the window stays, the days change"
    assert due("2030-01-02T14:00:00") == 0 and due("2030-01-05T14:00:00") == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--cps", "0"], "--cps must be above 0"),
        (["--max-channels", "0"], "--max-channels must be between 1 and 1000"),
        (["--window", "20:00-09:00"], "ends before it starts"),
        (["--days", "funday"], "bad days"),
        (["--retry", "busy=10s"], "minimum is 2m"),
        (["--tz", "Mars/Olympus"], "unknown time zone"),
        (["--window", "07:00-20:00"], "reaches into the night"),
        (["--number-max-per-day", "0"], "--number-max-per-day must be at least 1"),
        (["--model", "no-such-model"], "recogniser model 'no-such-model' is not installed"),
    ],
)
def test_bad_edits_are_one_line_and_change_nothing(
    spring: tuple[str, Path], args: list[str], message: str
) -> None:
    db, home = spring
    before = cli(db, home, "campaign", "show", "spring", "--json")
    # With a valid change beside the bad one: all or nothing.
    assert message in cli(db, home, "campaign", "edit", "spring", *args, "--max-attempts", "5",
                          fails=True)  # fmt: skip
    assert cli(db, home, "campaign", "show", "spring", "--json") == before


def test_night_window_needs_allow_night_and_is_warned(spring: tuple[str, Path]) -> None:
    db, home = spring
    args = ["campaign", "edit", "spring", "--window", "08:00-22:00", "--allow-night"]
    result = CliRunner().invoke(app, ["--db", db, "--home", str(home), *args])
    assert result.exit_code == 0
    assert "WARNING:" in result.stderr and "calls at night" in result.stderr


def test_archive_hides_refuses_run_and_unarchive_pauses(spring: tuple[str, Path]) -> None:
    db, home = spring
    cli(db, home, "campaign", "create", "autumn", "--script", "ko-dormant-deposit")
    assert "never dialled again" in cli(db, home, "campaign", "archive", "spring")
    assert [c["name"] for c in cli(db, home, "campaign", "list", "--json")] == ["autumn"]
    assert "1 archived campaign(s) not shown; --all shows them" in cli(db, home, "campaign",
                                                                       "list")  # fmt: skip
    assert "is archived: `outreach campaign unarchive spring` before importing" in cli(
        db, home, "contacts", "import", "spring", str(home.parent / "l.csv"), fails=True)
    listed = cli(db, home, "campaign", "list", "--all", "--json")
    assert [(c["name"], c["status"]) for c in listed] == [("spring", "archived"),
                                                          ("autumn", "active")]  # fmt: skip
    assert cli(db, home, "campaign", "due", "spring", "--at", WED_NOON, "--json") == []
    assert "is archived and is not run" in cli(db, home, "run", "spring", "--until-done",
                                               fails=True)  # fmt: skip
    assert "unarchive spring" in cli(db, home, "campaign", "resume", "spring", fails=True)
    assert "is archived" in cli(db, home, "campaign", "edit", "spring", "--cps", "2", fails=True)
    assert "was already archived" in cli(db, home, "campaign", "archive", "spring")
    shown = cli(db, home, "campaign", "show", "spring", "--json")
    assert shown["contacts"] == {"total": 1, "new": 1}, "its contacts are kept"
    assert "paused" in cli(db, home, "campaign", "unarchive", "spring")
    assert cli(db, home, "campaign", "show", "spring", "--json")["status"] == "paused"
    cli(db, home, "campaign", "resume", "spring")
    assert len(cli(db, home, "campaign", "due", "spring", "--at", WED_NOON, "--json")) == 1


def _linked_model(home: Path, name: str, language: str) -> Path:
    """An installed model folder named `name` whose files are the bundled Korean model's."""
    korean = next(m for m in list_models(home / "models") if m.source == "package").path
    folder = home / "models" / name
    folder.mkdir(parents=True)
    for part in korean.iterdir():
        (folder / part.name).symlink_to(part)
    (folder / "outreach-model.json").write_text(json.dumps({"language": language}))
    return folder


def test_model_on_create_and_edit_is_checked(db_url: str, tmp_path: Path) -> None:
    home = tmp_path / "home"
    _linked_model(home, "ko-bank", "ko")
    _linked_model(home, "zh-stand-in", "cmn")
    made = cli(db_url, home, "campaign", "create", "c", "--script", "ko-dormant-deposit",
               "--model", "ko-bank", "--json")  # fmt: skip
    assert made["asr_model"] == "ko-bank"
    wrong = cli(db_url, home, "campaign", "edit", "c", "--model", "zh-stand-in", fails=True)
    assert "hears cmn, but campaign c's script speaks ko" in wrong
    assert "not installed" in cli(db_url, home, "campaign", "create", "d", "--script",
                                  "ko-dormant-deposit", "--model", "nope", fails=True)  # fmt: skip
    assert cli(db_url, home, "campaign", "list", "--json")[0]["name"] == "c", "d was not made"
    cli(db_url, home, "campaign", "edit", "c", "--model", "")
    assert cli(db_url, home, "campaign", "show", "c", "--json")["asr_model"] is None


def test_run_listens_with_the_campaigns_model(db_url: str, tmp_path: Path) -> None:
    home = tmp_path / "home"
    own = _linked_model(home, "ko-bank", "ko")
    cli(db_url, home, "campaign", "create", "m", "--script", "ko-dormant-deposit", "--window",
        "00:00-24:00", "--allow-night", "--days", "mon-sun", "--model", "ko-bank")  # fmt: skip
    src = tmp_path / "l.csv"
    src.write_text("name,phone,persona\n김민수,010-5555-1000,interested\n"
                   "이영희,010-5555-1001,not_interested\n", encoding="utf-8")  # fmt: skip
    cli(db_url, home, "contacts", "import", "m", str(src), "--json")
    env = {**os.environ, "OUTREACH_HOME": str(home), "OUTREACH_DATABASE_URL": db_url}
    env.pop("OUTREACH_DEBUG", None)
    shutil.rmtree(own)  # the settings' Korean model is still there: only the campaign's is gone
    proc = subprocess.run([OUTREACH, "run", "m", "--until-done"], env=env, capture_output=True,
                          text=True, timeout=180)  # fmt: skip
    assert proc.returncode == 2 and "Traceback" not in proc.stderr + proc.stdout
    assert "campaign m's recogniser model 'ko-bank' is not installed" in proc.stderr
    shown = cli(db_url, home, "campaign", "show", "m", "--json")
    assert shown["contacts"] == {"total": 2, "new": 2}, "nobody was dialled"
    _linked_model(home, "ko-bank", "ko")
    proc = subprocess.run([OUTREACH, "run", "m", "--until-done", "--speed", "2"], env=env,
                          capture_output=True, text=True, timeout=300)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "campaign m listens with recogniser ko-bank (ko)" in proc.stdout
    calls = {c["phone"]: c["dialog_outcome"] for c in cli(db_url, home, "calls", "list", "--json")}
    assert calls == {"+821055551000": "transfer", "+821055551001": "not_interested"}
