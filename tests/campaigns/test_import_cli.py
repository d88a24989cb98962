"""`outreach contacts import` and `outreach dnc ...` as a user runs them.

Through typer's CliRunner on orchestrator.cli.app, and as the installed `outreach` executable
for the error path a user sees (one line, no traceback).
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from campaigns.db import open_database, session
from campaigns.repo import CampaignSpec, create_campaign
from orchestrator import cli

OUTREACH = Path(sys.executable).with_name("outreach")


Invoke = Callable[..., tuple[int, str, BaseException | None]]


@pytest.fixture
def invoke(db_url: str) -> Invoke:
    app = cli.app
    runner = CliRunner()

    def run(*args: str) -> tuple[int, str, BaseException | None]:
        res = runner.invoke(app, ["--db", db_url, *args])
        return res.exit_code, res.stdout, res.exception

    engine = open_database(db_url)
    with session(engine) as s:
        create_campaign(s, CampaignSpec(name="spring", script_ref="ko-dormant-deposit"))
        create_campaign(s, CampaignSpec(name="china", script_ref="ko-dormant-deposit", region="CN"))
    engine.dispose()
    return run


def generated_list(path: Path) -> Path:
    rows = [["휴대폰", "이름", "persona"], ["+82 10-1234-5678", "김민수", "polite"],
            ["010 1234 5678", "dup", ""], ["", "blank phone", ""], ["ㅋㅋㅋ", "garbage", ""],
            ["13812345678", "王伟", ""], ["010-9999-8888", "이영희", "busy"]]  # fmt: skip
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh, delimiter="\t").writerows(rows)
    return path


def test_import_json_shape_and_reimport(invoke: Invoke, tmp_path: Path) -> None:
    src = generated_list(tmp_path / "list.tsv")
    errors = tmp_path / "rejected.csv"
    code, out, exc = invoke("contacts", "import", "spring", str(src), "--errors", str(errors),
                            "--json")  # fmt: skip
    assert code == 0, exc
    assert json.loads(out) == {"rows": 6, "imported": 2, "duplicates": 1, "invalid": 3, "dnc": 0,
                               "errors_file": str(errors), "missing_variables": 0, "missing": {},
                               "columns": {"휴대폰": "phone", "이름": "name",
                                           "persona": "persona"}}  # fmt: skip
    code, out, _ = invoke("contacts", "import", "spring", str(src), "--json")
    assert json.loads(out)["imported"] == 0
    assert json.loads(out)["errors_file"] == str(tmp_path / "list.errors.csv")


def test_import_with_region_cn(invoke: Invoke, tmp_path: Path) -> None:
    src = generated_list(tmp_path / "list.tsv")
    code, out, _ = invoke("contacts", "import", "china", str(src), "--json")
    assert code == 0
    # In a CN campaign the Chinese mobile is valid, and "010 ..." is a Beijing landline.
    assert json.loads(out)["imported"] == 4


def test_import_summary_for_people(invoke: Invoke, tmp_path: Path) -> None:
    code, out, _ = invoke("contacts", "import", "spring", str(generated_list(tmp_path / "l.csv")))
    assert code == 0
    assert "imported" in out and "4 rejected row(s)" in out and "l.errors.csv" in out


def test_dnc_commands(invoke: Invoke, tmp_path: Path) -> None:
    src = generated_list(tmp_path / "list.csv")
    assert invoke("contacts", "import", "spring", str(src), "--json")[0] == 0
    code, out, _ = invoke("dnc", "add", "010-9999-8888", "+82 10 9999 8888", "--reason", "angry")
    assert code == 0 and "added 1 number(s)" in out
    code, out, _ = invoke("dnc", "check", "+82 10-9999-8888", "--json")
    assert json.loads(out) == {"phone": "+821099998888", "blocked": True, "reason": "angry"}
    code, out, _ = invoke("dnc", "check", "13812345678", "--region", "CN", "--json")
    assert json.loads(out) == {"phone": "+8613812345678", "blocked": False, "reason": None}
    dnc_file = tmp_path / "dnc.txt"
    dnc_file.write_text("13812345678\nnope\n", encoding="utf-8")
    code, out, _ = invoke("dnc", "import", str(dnc_file), "--region", "CN", "--json")
    assert json.loads(out) == {"rows": 2, "added": 1, "already_listed": 0, "invalid": 1}
    code, out, _ = invoke("dnc", "list", "--json")
    listed = json.loads(out)
    assert [(e["phone"], e["reason"]) for e in listed] == [
        ("+821099998888", "angry"), ("+8613812345678", "do-not-call list import")]  # fmt: skip
    assert set(listed[0]) == {"phone", "reason", "added_at"}
    assert listed[0]["added_at"].endswith("+00:00")
    # The contact already imported is blocked: re-importing counts it as do-not-call.
    code, out, _ = invoke("contacts", "import", "spring", str(src), "--json")
    assert json.loads(out)["dnc"] == 1
    code, out, _ = invoke("dnc", "list")
    assert code == 0 and "angry" in out


def test_unknown_phone_format_is_a_clear_error(invoke: Invoke) -> None:
    code, _, exc = invoke("dnc", "add", "010-9999-8888", "12-34")
    assert code != 0
    assert "'12-34' is not a valid phone number for region KR" in str(exc)
    assert json.loads(invoke("dnc", "list", "--json")[1]) == []  # all or nothing


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["contacts", "import", "nope", "{tmp}/l.csv"], "no campaign named 'nope'"),
        (["contacts", "import", "spring", "{tmp}/missing.csv"], "does not exist"),
        (["contacts", "import", "spring", "{tmp}/l.csv", "--region", "XX"], "unknown region"),
        (["dnc", "check", "call me", "--json"], "is not a valid phone number"),
    ],
)
def test_errors_print_one_line_without_traceback(
    invoke: Invoke, db_url: str, tmp_path: Path, args: list[str], message: str
) -> None:
    generated_list(tmp_path / "l.csv")
    argv = [a.replace("{tmp}", str(tmp_path)) for a in args]
    env = {**os.environ, "OUTREACH_HOME": str(tmp_path / "home")}
    env.pop("OUTREACH_DEBUG", None)
    proc = subprocess.run([str(OUTREACH), "--db", db_url, *argv],
                          capture_output=True, text=True, env=env, timeout=120)  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""
