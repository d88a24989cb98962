"""The Asterisk sandbox: rendered configuration, the secret, and the CLI against the running one.

The lifecycle test stops and restarts the shared sandbox (about a second) to prove that `down`
leaves nothing running or mounted and that `up` is safe twice.
"""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from orchestrator.cli import app
from telephony.sandbox import Sandbox, SandboxConfig, numbers
from telephony.sandbox.control import _alive
from telephony.sandbox.render import MODULES, render
from tests.sandbox import running_sandbox

runner = CliRunner()
OUTREACH = str(Path(__file__).resolve().parents[2] / ".venv" / "bin" / "outreach")


def test_rendered_configs_are_complete_and_locked_to_loopback() -> None:
    files = render(SandboxConfig(ami_secret="x" * 43))
    for name, text in files.items():
        assert "{{" not in text, name
    modules = files["modules.conf"]
    assert "autoload = no" in modules
    assert all(f"load = {m}.so" in modules for m in MODULES)
    manager = files["manager.conf"]
    assert "bindaddr = 127.0.0.1" in manager and "secret = " + "x" * 43 in manager
    assert "deny = 0.0.0.0/0.0.0.0" in manager and "permit = 127.0.0.1/255.255.255.255" in manager
    assert "writetimeout = 5000" in manager
    pjsip = files["pjsip.conf"]
    assert "contact = sip:127.0.0.1:5060" in pjsip and "match = 127.0.0.1" in pjsip
    dialplan = files["extensions.conf"]
    for phone in numbers.SPECIAL_NUMBERS.values():
        assert f"exten => {numbers.dial_digits(phone)},1," in dialplan
    assert "[outreach-robot]" in dialplan and "Queue(${OUTREACH_QUEUE},r)" in dialplan


def _permissions(text: str) -> dict[str, set[str]]:
    found = re.findall(r"^(read|write) = ([\w,]+)$", text, re.MULTILINE)
    return {key: set(value.split(",")) for key, value in found}


def test_the_ami_user_has_the_least_permissions_and_the_docs_ask_for_the_same() -> None:
    # Originate = originate; Setvar/Hangup = call; CoreShowChannels = reporting (or system);
    # events: OriginateResponse/DialEnd/Hangup = call, our UserEvents = user. Never `system`.
    least = {"read": {"call", "user"}, "write": {"originate", "call", "reporting"}}
    manager = render(SandboxConfig(ami_secret="x" * 43))["manager.conf"]
    assert _permissions(manager) == least
    docs = (Path(__file__).resolve().parents[2] / "docs" / "dialplan.md").read_text("utf-8")
    assert _permissions(docs) == least


def test_the_ami_secret_is_generated_once_long_and_owner_only(tmp_path: Path) -> None:
    sandbox = Sandbox(tmp_path / "sb")
    with pytest.raises(Exception, match="sandbox up"):
        sandbox.secret()
    first = sandbox.secret(create=True)
    assert len(first) >= 40 and sandbox.secret(create=True) == first
    assert stat.S_IMODE(os.stat(sandbox.secret_file).st_mode) == 0o600


def test_status_json_reports_the_ami_address_and_health() -> None:
    running_sandbox()
    result = runner.invoke(app, ["asterisk", "sandbox", "status", "--json"])
    assert result.exit_code == 0, result.output
    status = json.loads(result.stdout)
    assert status["healthy"] and status["running"]
    assert (status["ami_host"], status["ami_port"]) == ("127.0.0.1", 5038)


def test_dialplan_prints_the_robot_context_for_a_production_pbx() -> None:
    result = runner.invoke(app, ["asterisk", "dialplan", "--audiosocket", "10.0.0.5:9092"])
    assert result.exit_code == 0
    text = result.stdout
    assert text.startswith("; outreach robot context")
    assert "Set(OUTREACH_AUDIOSOCKET=10.0.0.5:9092)" in text
    steps = ("AMD(${OUTREACH_AMD_SILENCE})", "UserEvent(OutreachAmd",
             "AudioSocket(${OUTREACH_ATTEMPT}", "Queue(")  # fmt: skip
    for step in steps:
        assert step in text


def test_check_with_a_wrong_secret_says_so_without_a_traceback() -> None:
    running_sandbox()
    env = {**os.environ, "OUTREACH_AMI_SECRET": "wrong"}
    done = subprocess.run([OUTREACH, "asterisk", "check"], capture_output=True, text=True,
                          env=env, check=False)  # fmt: skip
    assert done.returncode == 2
    assert "refused AMI login" in done.stderr and "Traceback" not in done.stderr


def _asterisk_mounts(root: Path) -> list[str]:
    lines = Path("/proc/self/mountinfo").read_text().splitlines()
    return [line.split()[4] for line in lines if line.split()[4].startswith(str(root))]


def test_down_leaves_nothing_and_up_twice_is_safe() -> None:
    sandbox = running_sandbox()
    try:
        down = runner.invoke(app, ["asterisk", "sandbox", "down", "--json"])
        assert down.exit_code == 0, down.output
        assert json.loads(down.stdout)["running"] is False
        assert _asterisk_mounts(sandbox.root) == []
        assert not sandbox.pid_file.exists()
        gone = runner.invoke(app, ["asterisk", "sandbox", "status", "--json"])
        assert gone.exit_code == 1 and json.loads(gone.stdout)["healthy"] is False
        again = runner.invoke(app, ["asterisk", "sandbox", "down"])  # nothing to stop: fine
        assert again.exit_code == 0
    finally:
        first = runner.invoke(app, ["asterisk", "sandbox", "up", "--json"])
    assert first.exit_code == 0, first.output
    second = runner.invoke(app, ["asterisk", "sandbox", "up", "--json"])
    assert second.exit_code == 0
    assert json.loads(second.stdout)["pid"] == json.loads(first.stdout)["pid"]
    assert len(_asterisk_mounts(sandbox.root)) == 2  # proc and dev, once each


def test_a_half_built_root_is_never_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    partial = tmp_path / "asterisk-rootfs.partial"
    (partial / "usr/sbin").mkdir(parents=True)
    (partial / "usr/sbin/asterisk").write_text("")  # debootstrap got this far, then died
    monkeypatch.setenv("OUTREACH_SANDBOX_ROOTFS", str(tmp_path / "asterisk-rootfs"))
    status = Sandbox(tmp_path / "run").status()
    assert status.rootfs == str(tmp_path / "asterisk-rootfs") and not status.rootfs_built


def test_up_stops_an_asterisk_whose_pid_file_was_lost() -> None:
    """A deleted clone (or a crashed CLI) leaves an Asterisk running with no pid file: `up` must
    find it by its root directory and replace it, not fail with "already running"."""
    sandbox = running_sandbox()
    old = sandbox.status().pid
    assert old is not None
    sandbox.pid_file.unlink()
    status = sandbox.up()
    assert status.healthy and status.pid != old
    assert not _alive(old)
