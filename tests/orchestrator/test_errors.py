"""What a campaign manager sees when the run cannot work: one clear line, no traceback, and
nothing left claimed."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from dialogs.script import resolve_ref
from tests.orchestrator.helpers import cli

OUTREACH = str(Path(sys.executable).parent / "outreach")


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_unreachable_pbx_is_one_line_and_leaves_contacts_unclaimed(tmp_path: Path) -> None:
    home = tmp_path / "home"
    cli(home, "campaign", "create", "e", "--script", "ko-dormant-deposit", "--window",
        "00:00-24:00", "--allow-night", "--days", "mon-sun")  # fmt: skip
    (tmp_path / "l.csv").write_text("name,phone\n김민수,010-1234-5678\n", encoding="utf-8")
    cli(home, "contacts", "import", "e", str(tmp_path / "l.csv"), "--json")
    env = {**os.environ, "OUTREACH_HOME": str(home), "OUTREACH_AMI_PORT": str(_closed_port()),
           "OUTREACH_AMI_SECRET": "not-used"}  # fmt: skip
    env.pop("OUTREACH_DEBUG", None)
    proc = subprocess.run([OUTREACH, "run", "e", "--telephony", "asterisk", "--until-done"],
                          env=env, capture_output=True, text=True, timeout=180)  # fmt: skip
    assert proc.returncode == 2
    assert "cannot reach AMI" in proc.stderr and "Traceback" not in proc.stderr + proc.stdout
    shown = cli(home, "campaign", "show", "e", "--json")
    assert shown["contacts"] == {"total": 1, "new": 1}


def test_broken_script_is_refused_at_create_and_at_run(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = {**os.environ, "OUTREACH_HOME": str(home)}
    env.pop("OUTREACH_DEBUG", None)
    script = tmp_path / "mine.yaml"
    broken = "name: x\nlanguage: ko\nstates: {a: {say: hi, on: {yes: nowhere}}}\n"
    script.write_text(broken, encoding="utf-8")
    create = [OUTREACH, "campaign", "create", "b", "--script", str(script)]
    proc = subprocess.run(create, env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "mine.yaml" in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    # A good script broken after the campaign was made: the campaign runs its stored copy, and
    # taking the broken file in is refused in one line, the campaign keeping its version.
    script.write_text(_bundled("ko-dormant-deposit"), encoding="utf-8")
    cli(home, "campaign", "create", "b", "--script", str(script), "--window", "00:00-24:00",
        "--allow-night", "--days", "mon-sun")  # fmt: skip
    before = cli(home, "campaign", "show", "b", "--json")
    script.write_text(broken, encoding="utf-8")
    proc = subprocess.run([OUTREACH, "campaign", "update-script", "b"], env=env,
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert proc.returncode == 2 and "mine.yaml" in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    after = cli(home, "campaign", "show", "b", "--json")
    assert before["script_version"] and after["script_version"] == before["script_version"]


def _bundled(name: str) -> str:
    from dialogs import load_script

    return Path(load_script(name).source).read_text(encoding="utf-8")


def test_brackets_in_names_and_paths_are_shown_as_written(tmp_path: Path) -> None:
    home = tmp_path / "home"
    cli(home, "campaign", "create", "[b]bold[/b]", "--script", "ko-dormant-deposit")
    assert "[b]bold[/b]" in cli(home, "campaign", "show", "[b]bold[/b]")
    env = {**os.environ, "OUTREACH_HOME": str(home)}
    env.pop("OUTREACH_DEBUG", None)
    proc = subprocess.run([OUTREACH, "campaign", "due", "x[/]"], env=env, capture_output=True,
                          text=True, timeout=60)  # fmt: skip
    assert proc.returncode == 2 and "no campaign named 'x[/]'" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_unknown_region_is_refused_at_create(tmp_path: Path) -> None:
    env = {**os.environ, "OUTREACH_HOME": str(tmp_path)}
    proc = subprocess.run(
        [OUTREACH, "campaign", "create", "c", "--script", "ko-dormant-deposit", "--region", "XX"],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 2 and "unknown region 'XX'" in proc.stderr


def test_contact_the_script_cannot_address_is_not_dialled(tmp_path: Path) -> None:
    """The import keeps such rows out; this is the guard at dial time, for a script whose
    default was removed after the list went in."""
    home = tmp_path / "home"
    bundled = resolve_ref("ko-dormant-deposit").read_text(encoding="utf-8")
    script = tmp_path / "mine.yaml"
    assert "  name: null " in bundled
    script.write_text(bundled.replace("  name: null ", "  name: 고객 ", 1), encoding="utf-8")
    cli(home, "campaign", "create", "v", "--script", str(script), "--window",
        "00:00-24:00", "--allow-night", "--days", "mon-sun")  # fmt: skip
    (tmp_path / "l.csv").write_text("name,phone,persona\n,010-1234-5678,interested\n")
    assert cli(home, "contacts", "import", "v", str(tmp_path / "l.csv"), "--json")["imported"] == 1
    script.write_text(bundled, encoding="utf-8")  # the name is required again
    cli(home, "campaign", "update-script", "v")  # and the campaign takes that version in
    summary = cli(home, "run", "v", "--until-done", "--speed", "4", "--json")
    assert summary["outcomes"] == {"invalid": 1}
    (call,) = cli(home, "calls", "list", "--json")
    assert call["outcome"] == "invalid" and call["answered_at"] is None
    report = cli(home, "campaign", "report", "v", "--json")
    assert report["dialled"] == 0 and report["not_dialled_bad_data"] == 1
    assert report["contacts_by_status"] == {"exhausted": 1}, "not retried: it can never work"
