"""SIPp (Debian's `sip-tester`) as a foreign SIP user agent behind the sandbox's `sipp` trunk.

The sandbox's pjsip.conf has an endpoint `sipp` whose contact is 127.0.0.1:5070; a test starts
SIPp there with a scenario from tests/telephony/sipp/ and reads what SIPp received from its
message trace (`-trace_msg`). Tests fail, never skip, when SIPp or the trunk is missing.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest

from orchestrator.settings import load_settings
from telephony.sandbox import Sandbox, SandboxError

SCENARIOS = Path(__file__).parent / "telephony" / "sipp"
PORT = 5070  # telephony.sandbox.render.SandboxConfig.sipp_port
CHANNEL = "PJSIP/{digits}@sipp"
DEAD_CHANNEL = "PJSIP/sipp/sip:{digits}@127.0.0.1:5079"  # the same trunk, nobody listening
_ENTRY = re.compile(
    r"^-{10,} (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+)\n(UDP message (?:received|sent))", re.M
)


@dataclass(frozen=True)
class SipMessage:
    at: datetime
    received: bool  # by SIPp (sent by Asterisk)
    text: str

    @property
    def first_line(self) -> str:
        return self.text.split("\n", 1)[0].strip()

    def header(self, name: str) -> str | None:
        m = re.search(rf"^{re.escape(name)}:\s*(.*)$", self.text, re.M | re.I)
        return m.group(1).strip() if m else None


def require_sipp_trunk() -> None:
    """Fail with what to do when SIPp is not installed or the sandbox predates the trunk."""
    if shutil.which("sipp") is None:
        pytest.fail("SIPp is not installed: `apt-get install sip-tester` "
                    "(scripts/ensure-sysdeps.sh does it)")  # fmt: skip
    sandbox = Sandbox(load_settings().sandbox_dir)
    etc = sandbox.dir / "etc"
    if _has(etc / "pjsip.conf", "[sipp]") and _has(etc / "extensions.conf", "AMD_SILENCE"):
        return
    # Started by code from before the trunk existed: add it without cutting others' calls.
    try:
        sandbox.refresh()
    except SandboxError as exc:
        pytest.fail(f"the running sandbox has no `sipp` trunk and it could not be added ({exc}):"
                    " `outreach asterisk sandbox down` then `up`")  # fmt: skip
    time.sleep(0.5)  # the reload is asynchronous


class Sipp:
    """One SIPp process playing `scenario` as the called side (UAS) on 127.0.0.1:5070."""

    def __init__(self, workdir: Path, scenario: str, on_line_ms: int = 4000) -> None:
        self.workdir = workdir
        self.scenario = SCENARIOS / f"{scenario}.xml"
        self.log = workdir / f"{scenario}-messages.log"
        self.on_line_ms = on_line_ms  # the scenarios' <pause/>: how long the customer stays
        self.proc: subprocess.Popen[bytes] | None = None
        self._err_fd: int | None = None

    def start(self) -> None:
        # The silent customer's RTP: raw mu-law silence (SIPp streams file bytes as they are).
        (self.workdir / "silence.ulaw").write_bytes(b"\xff" * 8000 * 120)
        self.proc = subprocess.Popen(
            ["sipp", "-sf", str(self.scenario), "-i", "127.0.0.1", "-p", str(PORT),
             "-mi", "127.0.0.1", "-mp", "16500", "-d", str(self.on_line_ms), "-nostdin",
             "-trace_msg", "-message_file", str(self.log),
             "-trace_err", "-error_file", str(self.workdir / "sipp-errors.log")],
            cwd=self.workdir, stdout=subprocess.DEVNULL, stderr=self._open_stderr(),
        )  # fmt: skip
        deadline = time.monotonic() + 5
        while not _listening(PORT):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                err = (self.workdir / "sipp-stderr.log").read_text(errors="replace")
                pytest.fail(f"SIPp did not start on 127.0.0.1:{PORT}: {err.strip()[-300:]}")
            time.sleep(0.05)

    def _open_stderr(self) -> int:
        self._err_fd = os.open(self.workdir / "sipp-stderr.log", os.O_WRONLY | os.O_CREAT, 0o600)
        return self._err_fd

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self._err_fd is not None:
            os.close(self._err_fd)
            self._err_fd = None

    def messages(self) -> list[SipMessage]:
        if not self.log.exists():
            return []
        text = self.log.read_text(encoding="utf-8", errors="replace")
        marks = list(_ENTRY.finditer(text))
        out = []
        for m, nxt in zip(marks, [*marks[1:], None], strict=True):
            body = text[m.end(): nxt.start() if nxt else len(text)].split(":", 1)[-1].strip()
            at = datetime.fromisoformat(m.group(1))
            out.append(SipMessage(at, m.group(2).endswith("received"), body))
        return out

    def invites(self) -> list[SipMessage]:
        return [m for m in self.messages() if m.received and m.first_line.startswith("INVITE ")]

    def peak_calls(self) -> int:
        """The most calls SIPp had at once: each from its first INVITE to its first BYE, CANCEL
        or final refusal (a re-INVITE or a retransmission does not count again)."""
        began: dict[str, datetime] = {}
        ended: dict[str, datetime] = {}
        for m in self.messages():
            call, line = m.header("Call-ID"), m.first_line
            if call is None:
                continue
            if m.received and line.startswith("INVITE "):
                began.setdefault(call, m.at)
            elif line.startswith(("BYE ", "CANCEL ")) or re.match(r"SIP/2.0 [3-6]\d\d ", line):
                ended.setdefault(call, m.at)
        changes = sorted([(t, 1) for t in began.values()]
                         + [(t, -1) for c, t in ended.items() if c in began])  # fmt: skip
        peak = now = 0
        for _, d in changes:
            now += d
            peak = max(peak, now)
        return peak


def _has(path: Path, text: str) -> bool:
    return path.exists() and text in path.read_text(encoding="utf-8")


def _listening(port: int) -> bool:
    needle = f":{port:04X} "
    for table in ("/proc/net/udp", "/proc/net/udp6"):
        try:
            with open(table) as f:
                lines = f.readlines()[1:]
        except OSError:
            continue
        if any(needle in line.split(None, 3)[1] + " " for line in lines):
            return True
    return False


@contextmanager
def running_sipp(workdir: Path, scenario: str, on_line_ms: int = 4000) -> Iterator[Sipp]:
    require_sipp_trunk()
    sipp = Sipp(workdir, scenario, on_line_ms)
    sipp.start()
    try:
        yield sipp
    finally:
        sipp.stop()
