"""After the terminal is closed the cause of a problem is still on disk: warnings and errors, with
their tracebacks and phone numbers masked, in OUTREACH_HOME/logs/outreach.log (0600, rotated)."""

from __future__ import annotations

import logging
import os
import stat
import subprocess
import sys
from pathlib import Path

from orchestrator import privacy
from tests.orchestrator.helpers import cli

OUTREACH = str(Path(sys.executable).parent / "outreach")


def _env(home: Path) -> dict[str, str]:
    env = {**os.environ, "OUTREACH_HOME": str(home)}
    env.pop("OUTREACH_DEBUG", None)
    return env


def test_a_failed_call_and_a_refused_command_leave_their_cause_in_the_log_file(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    cli(home, "campaign", "create", "f", "--script", "ko-dormant-deposit", "--window",
        "00:00-24:00", "--allow-night", "--days", "mon-sun")  # fmt: skip
    (tmp_path / "l.csv").write_text("name,phone,persona\n김하나,010-6666-1000,interested\n",
                                    encoding="utf-8")  # fmt: skip
    cli(home, "contacts", "import", "f", str(tmp_path / "l.csv"), "--json")
    (home / "recordings").write_text("a file where the recordings folder should be")
    run = [OUTREACH, "run", "f", "--telephony", "sim", "--speed", "4", "--until-done", "--json"]
    proc = subprocess.run(run, env=_env(home), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    (call,) = cli(home, "calls", "list", "--campaign", "f", "--json")
    refused = subprocess.run([OUTREACH, "run", "nosuch"], env=_env(home), capture_output=True,
                             text=True, timeout=60)  # fmt: skip
    assert refused.returncode == 2
    log = home / "logs" / "outreach.log"
    text = log.read_text(encoding="utf-8")
    assert f"call {call['id']}: the recording could not be saved" in text
    assert "Traceback (most recent call last)" in text and "recordings" in text
    assert refused.stderr.strip().splitlines()[-1].split(": ", 1)[-1] in text
    assert "01066661000" not in text and "6666-1000" not in text
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    assert stat.S_IMODE(log.parent.stat().st_mode) == 0o700


def test_the_log_file_rotates_by_size_and_stays_private(tmp_path: Path) -> None:
    path = tmp_path / "logs" / "outreach.log"
    handler = privacy.PrivateRotatingFile(path)
    handler.maxBytes, handler.backupCount = 2000, 2
    logger = logging.getLogger("test.log_file.rotate")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        for i in range(100):
            logger.warning("line %d %s", i, "x" * 80)
    finally:
        logger.removeHandler(handler)
        handler.close()
    kept = sorted(p.name for p in path.parent.iterdir())
    assert kept == ["outreach.log", "outreach.log.1", "outreach.log.2"]
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in path.parent.iterdir())
    assert "line 99" in path.read_text(encoding="utf-8")
