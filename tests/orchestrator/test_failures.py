"""Whatever fails inside an answered call, the customer hears a short apology, the line is ended,
and what was heard is stored (issue 12). Every failure here is a real one: a file where the
recordings directory should be, a prompt cache that cannot store a new prompt, a database without
its tables, a worker stopped twice."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from campaigns.db import open_database
from campaigns.models import Attempt, Contact
from dialogs import load_script
from dialogs.tts import PromptCache, Pyttsx3Engine
from orchestrator.cli import app
from orchestrator.runtime import build_services
from orchestrator.session import SessionConfig
from orchestrator.settings import load_settings
from tests.orchestrator.helpers import cli, runner
from tests.orchestrator.test_session import keyed_call

OUTREACH = str(Path(sys.executable).parent / "outreach")
SCRIPT = "ko-dormant-deposit"


def _campaign(home: Path, tmp: Path, names: list[str], persona: str = "interested") -> None:
    cli(home, "campaign", "create", "f", "--script", SCRIPT, "--window", "00:00-24:00",
        "--allow-night", "--days", "mon-sun", "--max-channels", "2", "--cps", "2")  # fmt: skip
    rows = ["name,phone,persona"] + [
        f"{n},010-6666-{1000 + i},{persona}" for i, n in enumerate(names)
    ]
    (tmp / "l.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    cli(home, "contacts", "import", "f", str(tmp / "l.csv"), "--json")


def _block_greeting_cache(home: Path) -> str:
    """A name whose greeting goes to a prompt-cache folder that a file occupies: the templated
    greeting cannot be stored, so its synthesis fails at call time, as a full disk would."""
    cache = PromptCache(home / "prompts", Pyttsx3Engine())
    script = load_script(SCRIPT)
    taken = {p.parent.name for p in (home / "prompts").rglob("*.wav")}
    fixed = {cache.path_of(script.voice.spec(p.template)).parent.name
             for p in script.all_prompts() if p.fixed}  # fmt: skip
    for i in range(200):
        name = f"김민{i}"
        text = script.render(script.start, {"name": name})
        folder = cache.path_of(script.voice.spec(text)).parent
        if folder.name not in taken | fixed:
            folder.parent.mkdir(parents=True, exist_ok=True)
            folder.write_text("not a directory")
            return name
    raise AssertionError("no free cache folder found")


def _run(home: Path) -> dict[str, Any]:
    """A run to its end; the failure is logged on stderr, the summary alone is on stdout."""
    result = runner.invoke(app, ["--home", str(home), "run", "f", "--telephony", "sim",
                                 "--speed", "4", "--until-done", "--json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_a_recording_that_cannot_be_saved_loses_nothing_else(tmp_path: Path) -> None:
    home = tmp_path / "home"
    _campaign(home, tmp_path, ["김하나"])
    (home / "recordings").write_text("a file where the recordings folder should be")
    _run(home)
    (call,) = cli(home, "calls", "list", "--campaign", "f", "--json")
    shown = cli(home, "calls", "show", call["id"], "--json")
    assert (call["outcome"], call["dialog_outcome"]) == ("answered", "transfer"), shown
    assert [t for t in shown["turns"] if t["speaker"] == "customer"], "what was said is kept"
    assert len(cli(home, "leads", "list", "--json")) == 1, "the lead is kept"
    assert "recording not saved" in (shown.get("cause") or json.dumps(shown))


def test_a_prompt_that_cannot_be_synthesised_ends_the_call_with_an_apology(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    # The fixed prompts are rendered by a first run on an empty list; then the trap is set.
    cli(home, "campaign", "create", "warm", "--script", SCRIPT)
    cli(home, "run", "warm", "--telephony", "sim", "--until-done")
    name = _block_greeting_cache(home)
    _campaign(home, tmp_path, [name])
    _run(home)
    (call,) = cli(home, "calls", "list", "--campaign", "f", "--json")
    shown = cli(home, "calls", "show", call["id"], "--json")
    robot = [t["text"] for t in shown["turns"] if t["speaker"] == "robot"]
    apology = load_script(SCRIPT).apology
    assert robot and robot[-1].startswith(apology[:10]), shown["turns"]
    assert (call["outcome"], call["dialog_outcome"]) == ("answered", "error")
    engine = open_database(f"sqlite:///{home / 'outreach.db'}")
    with engine.connect() as conn:
        status = conn.execute(sa.select(Contact.status)).scalar_one()  # type: ignore[call-overload]
    engine.dispose()
    assert status == "retry", "a failure on our side is tried again"


@pytest.mark.anyio
async def test_a_failed_opt_out_write_keeps_the_opt_out_and_apologises(tmp_path: Path) -> None:
    settings = load_settings(home=tmp_path, recordings=False)
    broken = sa.create_engine(f"sqlite:///{tmp_path / 'no-tables.db'}")  # a database gone wrong
    services = await build_services(settings, broken, SCRIPT, SessionConfig(speed=4))
    conv = await keyed_call(services, ["1", "9"])  # yes it's me; never call again
    broken.dispose()
    said = [t.text for t in conv.turns if t.speaker == "customer"]
    assert said == ["DTMF 1", "DTMF 9"]
    assert conv.opt_out and conv.outcome == "opt_out", "the opt-out is stored with the call"
    assert conv.turns[-1].prompt_id == "apology" and conv.turns[-1].end_s > conv.turns[-1].start_s
    assert conv.error is not None and "OperationalError" in conv.error


def _open(db: str) -> list[sa.Row[Any]]:
    engine = open_database(db)
    try:
        with engine.connect() as conn:
            return list(conn.execute(sa.select(Attempt)).all())  # type: ignore[call-overload]
    finally:
        engine.dispose()


def test_a_second_ctrl_c_keeps_the_transcripts_and_recordings_of_live_calls(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    _campaign(home, tmp_path, [f"고객{i}" for i in range(6)])
    db = f"sqlite:///{home / 'outreach.db'}"
    env = {**os.environ, "OUTREACH_HOME": str(home), "OUTREACH_WORKER_ID": "twice"}
    worker = subprocess.Popen(
        [OUTREACH, "run", "f", "--telephony", "sim", "--json"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while sum(a.outcome is None for a in _open(db)) < 2 and time.monotonic() < deadline:
        time.sleep(0.3)
    time.sleep(6)  # the greeting has been said and answered on the live calls
    worker.send_signal(signal.SIGINT)
    time.sleep(0.5)
    worker.send_signal(signal.SIGINT)
    worker.communicate(timeout=60)
    stopped = [a for a in _open(db) if a.dialog_outcome == "interrupted"]
    assert stopped, [(a.outcome, a.dialog_outcome) for a in _open(db)]
    for attempt in stopped:
        assert attempt.recording_path and Path(attempt.recording_path).stat().st_size > 44
    # The customers of the stopped calls heard the closing before their line was ended.
    apology = load_script(SCRIPT).apology
    for attempt in stopped:
        shown = cli(home, "calls", "show", attempt.id, "--json")
        robot = [t for t in shown["turns"] if t["speaker"] == "robot"]
        assert len(robot) >= 2 and robot[-1]["prompt_id"] == "apology", shown["turns"]
        assert robot[0]["end_s"] > robot[0]["start_s"], "what was said before is kept"
        assert robot[-1]["text"] == apology and robot[-1]["end_s"] > robot[-1]["start_s"]
    assert all(a.outcome is not None for a in _open(db)), "every attempt has an outcome"
