"""A campaign on a script whose language no installed recogniser hears is refused at `campaign
create` and at `run`, with one line saying what to install (issue 9: such campaigns made silent,
failed calls and the run still said "done")."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from asr_models import list_models
from tests.orchestrator.helpers import cli

OUTREACH = str(Path(sys.executable).parent / "outreach")


def _outreach(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OUTREACH_HOME": str(home)}
    env.pop("OUTREACH_DEBUG", None)
    return subprocess.run([OUTREACH, *args], env=env, capture_output=True, text=True,
                          timeout=180)  # fmt: skip


def add_mandarin_stand_in(home: Path) -> Path:
    """A model folder labelled Mandarin, as `outreach models add ... --language cmn` leaves it;
    its files are the Korean model's (linked): only which languages are installed matters here."""
    korean = next(m for m in list_models(home / "models") if m.language == "ko").path
    folder = home / "models" / "cn-stand-in"
    folder.mkdir(parents=True)
    for part in korean.iterdir():
        (folder / part.name).symlink_to(part)
    (folder / "outreach-model.json").write_text(json.dumps({"language": "cmn"}))
    return folder


def test_create_refuses_a_script_nobody_can_hear_and_says_what_to_install(
        tmp_path: Path) -> None:
    home = tmp_path / "home"
    for script, what in (("cmn-dormant-deposit", "no Mandarin (cmn) recogniser"),
                         ("en-dormant-deposit", "no English (en-us) recogniser")):
        proc = _outreach(home, "campaign", "create", "c", "--script", script)
        assert proc.returncode == 2, proc.stdout
        assert "Traceback" not in proc.stderr + proc.stdout
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and what in lines[0] and "outreach models add" in lines[0]
    assert cli(home, "campaign", "list", "--json") == []
    # The Korean script: the bundled Korean model hears it.
    cli(home, "campaign", "create", "k", "--script", "ko-dormant-deposit")


def test_a_recogniser_added_for_the_language_lets_the_campaign_be_made(tmp_path: Path) -> None:
    home = tmp_path / "home"
    add_mandarin_stand_in(home)
    made = cli(home, "campaign", "create", "c", "--script", "cmn-dormant-deposit", "--json")
    assert made["name"] == "c"


def test_run_refuses_when_the_recogniser_has_gone_and_dials_nobody(tmp_path: Path) -> None:
    home = tmp_path / "home"
    stand_in = add_mandarin_stand_in(home)
    cli(home, "campaign", "create", "c", "--script", "cmn-dormant-deposit", "--window",
        "00:00-24:00", "--allow-night", "--days", "mon-sun", "--region", "CN")  # fmt: skip
    (tmp_path / "l.csv").write_text("name,phone\n王伟,13812345678\n", encoding="utf-8")
    cli(home, "contacts", "import", "c", str(tmp_path / "l.csv"), "--json")
    shutil.rmtree(stand_in)
    proc = _outreach(home, "run", "c", "--until-done")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr + proc.stdout
    assert "no Mandarin (cmn) recogniser" in proc.stderr and "models add" in proc.stderr
    assert cli(home, "campaign", "show", "c", "--json")["contacts"] == {"total": 1, "new": 1}
