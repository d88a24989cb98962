"""Starts, stops and inspects the sandbox Asterisk: a chroot into the cached root filesystem.

Run state lives under the sandbox directory (`--dir`): the rendered configs, the AMI secret (0600),
Asterisk's pid and console log. `up` is idempotent; `down` stops Asterisk and undoes every mount.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from telephony.sandbox import rootfs
from telephony.sandbox.errors import SandboxError
from telephony.sandbox.greeting import write_greeting
from telephony.sandbox.health import probe_ami
from telephony.sandbox.render import CONFIG_FILES, SandboxConfig, write_configs

RUN_DIRS = ("/var/lib/asterisk", "/var/run/asterisk", "/var/log/asterisk", "/var/spool/asterisk")
SOUNDS = "usr/share/asterisk/sounds/outreach"
START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class SandboxStatus:
    running: bool  # the Asterisk process is alive
    healthy: bool  # AMI accepted our login and answered Ping
    pid: int | None
    ami_host: str
    ami_port: int
    ami_username: str
    dir: str
    rootfs: str
    rootfs_built: bool
    ami_version: str | None  # the AMI protocol version from the banner, when healthy
    detail: str

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


class Sandbox:
    """The sandbox whose run state lives in `directory`, running from the root at `root`."""

    def __init__(self, directory: Path, root: Path | None = None, ami_port: int = 5038) -> None:
        self.dir = directory.resolve()
        self.root = (root or rootfs.default_rootfs()).resolve()
        self.ami_port = ami_port

    # ---- files -------------------------------------------------------------------------------

    @property
    def secret_file(self) -> Path:
        return self.dir / "ami-secret"

    @property
    def pid_file(self) -> Path:
        return self.dir / "asterisk.pid"

    @property
    def log_file(self) -> Path:
        return self.dir / "asterisk.log"

    def secret(self, create: bool = False) -> str:
        """The AMI secret, generated once (long, random) and stored readable by the owner only."""
        if self.secret_file.is_file():
            return self.secret_file.read_text("utf-8").strip()
        if not create:
            raise SandboxError(
                f"no AMI secret in {self.dir}: run `outreach asterisk sandbox up` first"
            )
        self.dir.mkdir(parents=True, exist_ok=True)
        value = secrets.token_urlsafe(32)
        fd = os.open(self.secret_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(value + "\n")
        return value

    def config(self) -> SandboxConfig:
        return SandboxConfig(ami_secret=self.secret(create=True), ami_port=self.ami_port)

    # ---- lifecycle ---------------------------------------------------------------------------

    def up(self, log: Callable[[str], None] = lambda _: None) -> SandboxStatus:
        """Build the root if missing, render configs, mount, start Asterisk, wait for AMI."""
        current = self.status()
        if current.healthy:
            log(f"already running (pid {current.pid})")
            return current
        if current.running:
            log("Asterisk is running but AMI does not answer: restarting it")
            self.down(log)
        self._require_root()
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise SandboxError(f"cannot use {self.dir} as the sandbox directory: {exc}") from exc
        rootfs.build(self.root, log, self.dir / "debootstrap.log")
        self._evict_other(log)
        self._install_configs(log)
        self._mount()
        self._start(log)
        return self._wait_healthy()

    def down(self, log: Callable[[str], None] = lambda _: None) -> SandboxStatus:
        """Stop Asterisk (TERM, then KILL) and undo the mounts; safe when nothing runs."""
        pid = self._pid()
        if pid is not None and _alive(pid):
            log(f"stopping Asterisk (pid {pid})")
            _terminate(pid)
        self.pid_file.unlink(missing_ok=True)
        owner = self._owner()
        if owner is not None and owner[1] == self.dir:
            self._owner_file.unlink(missing_ok=True)
        if self.root.is_dir() and (owner is None or owner[1] == self.dir or not _alive(owner[0])):
            self._unmount()  # never under another sandbox that still runs from this root
        return self.status()

    def status(self) -> SandboxStatus:
        pid = self._pid()
        running = pid is not None and _alive(pid)
        healthy, banner, detail = False, None, "not running"
        if running and self.secret_file.is_file():
            banner, detail = probe_ami("127.0.0.1", self.ami_port, "outreach", self.secret())
            healthy = banner is not None
        return SandboxStatus(
            running=running, healthy=healthy, pid=pid if running else None,
            ami_host="127.0.0.1", ami_port=self.ami_port, ami_username="outreach",
            dir=str(self.dir), rootfs=str(self.root), rootfs_built=rootfs.is_built(self.root),
            ami_version=banner, detail=detail,
        )  # fmt: skip

    # ---- one sandbox per root filesystem ------------------------------------------------------

    @property
    def _owner_file(self) -> Path:
        return self.root / "run" / "outreach-sandbox"

    def _owner(self) -> tuple[int, Path] | None:
        """(pid, sandbox dir) of the sandbox last started from this root, if recorded."""
        try:
            pid, _, directory = self._owner_file.read_text().strip().partition(" ")
            return int(pid), Path(directory)
        except (OSError, ValueError):
            return None

    def _evict_other(self, log: Callable[[str], None]) -> None:
        """The root (and port 5038) serve one sandbox at a time: an Asterisk started from another
        directory (another clone), or one whose directory and pid file are gone (a deleted clone,
        a crashed CLI), is stopped, with a message. Found by the processes' root directory, not
        only the owner record, which a deleted clone cannot keep up to date."""
        owner = self._owner()
        mine = self._pid()
        strays = set(_chrooted(self.root))
        if owner is not None and _alive(owner[0]):
            strays.add(owner[0])
        for pid in sorted(strays - {mine} if mine is not None and _alive(mine) else strays):
            where = owner[1] if owner is not None and owner[0] == pid else "an unknown directory"
            log(f"stopping the Asterisk started from {where} (pid {pid}): one at a time")
            _terminate(pid)
        if owner is not None and owner[1] != self.dir:
            (owner[1] / "asterisk.pid").unlink(missing_ok=True)

    def refresh(self, log: Callable[[str], None] = lambda _: None) -> None:
        """Write this code's configuration into the running sandbox and reload PJSIP and the
        dialplan, so a sandbox started by older code gains what was added since (the `sipp` test
        trunk, AMD's per-call initial silence) without a restart that would cut other users'
        calls. PJSIP's [system] timers, AMI users and queues wait for `up`."""
        self._require_root()
        if not self.status().healthy:
            raise SandboxError("the sandbox is not running: `outreach asterisk sandbox up`")
        self._install_configs(log)
        for command in ("module reload res_pjsip.so", "dialplan reload"):
            _run(["chroot", str(self.root), "asterisk", "-rx", command])
        log("PJSIP configuration and dialplan reloaded")

    # ---- steps -------------------------------------------------------------------------------

    def _require_root(self) -> None:
        if os.geteuid() != 0:
            raise SandboxError("the sandbox needs root (chroot and mount): rerun it as root")

    def _install_configs(self, log: Callable[[str], None]) -> None:
        rendered = self.dir / "etc"
        write_configs(self.config(), rendered)
        etc = self.root / "etc" / "asterisk"
        for name in CONFIG_FILES:  # copied, not bind-mounted: nothing left to undo on `down`
            target = etc / name
            target.write_bytes((rendered / name).read_bytes())
            target.chmod(0o600)
        write_greeting(self.root / SOUNDS / "machine-greeting.wav")
        # Inside the chroot: /var/run is an absolute symlink that must resolve in the chroot.
        _run(["chroot", str(self.root), "mkdir", "-p", *RUN_DIRS])
        log(f"configuration rendered into {rendered}")

    def _mount(self) -> None:
        mounted = _mount_points()
        if str(self.root / "proc") not in mounted:
            _run(["mount", "-t", "proc", "proc", str(self.root / "proc")])
        if str(self.root / "dev") not in mounted:
            _run(["mount", "--bind", "/dev", str(self.root / "dev")])

    def _unmount(self) -> None:
        mounted = _mount_points()
        for sub in ("dev", "proc"):
            point = str(self.root / sub)
            if point in mounted:
                _run(["umount", point])

    def _start(self, log: Callable[[str], None]) -> None:
        # setsid --fork: Asterisk runs in its own session, reparented to init (who reaps it), so
        # it outlives this CLI; its own pid file (inside the chroot) tells `down` whom to stop.
        own_pid = self.root / "run" / "asterisk" / "asterisk.pid"
        own_pid.unlink(missing_ok=True)
        with self.log_file.open("ab") as out:
            done = subprocess.run(
                ["setsid", "--fork", "chroot", str(self.root), "asterisk", "-f", "-n"],
                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, check=False,
            )  # fmt: skip
        if done.returncode != 0:
            raise SandboxError(f"could not start Asterisk; see {self.log_file}")
        deadline = time.monotonic() + START_TIMEOUT_S
        while not own_pid.is_file() or not own_pid.read_text().strip():
            if time.monotonic() > deadline:
                raise SandboxError(
                    f"Asterisk wrote no pid file within {START_TIMEOUT_S:g} s. Last lines of "
                    f"{self.log_file}:\n{_tail(self.log_file)}"
                )
            time.sleep(0.05)
        pid = int(own_pid.read_text().strip())
        self.pid_file.write_text(f"{pid}\n")
        self._owner_file.write_text(f"{pid} {self.dir}\n")
        log(f"started Asterisk (pid {pid}); console log {self.log_file}")

    def _wait_healthy(self) -> SandboxStatus:
        deadline = time.monotonic() + START_TIMEOUT_S
        status = self.status()
        while time.monotonic() < deadline:
            status = self.status()
            if status.healthy:
                return status
            if not status.running:
                break
            time.sleep(0.3)
        tail = _tail(self.log_file)
        self.down()
        raise SandboxError(
            f"Asterisk did not start ({status.detail}). Last lines of {self.log_file}:\n{tail}"
        )

    def _pid(self) -> int | None:
        try:
            return int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie (exited, not reaped) is not running
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rpartition(")")[2].split()[0] != "Z"
    except OSError:
        return False


def _chrooted(root: Path) -> list[int]:
    """Processes whose root directory is `root` (an Asterisk running in this sandbox's root)."""
    target = str(root.resolve())
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if os.readlink(entry / "root") == target:
                    found.append(int(entry.name))
            except OSError:
                continue  # gone meanwhile, or not ours to look at
    return found


def _terminate(pid: int) -> None:
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while time.monotonic() < deadline:
        if not _alive(pid):
            return
        time.sleep(0.1)
    os.kill(pid, signal.SIGKILL)
    while _alive(pid):
        time.sleep(0.05)


def _mount_points() -> set[str]:
    points = set()
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        points.add(line.split()[4].replace("\\040", " "))
    return points


def _run(cmd: list[str]) -> None:
    done = subprocess.run(cmd, capture_output=True, check=False)
    if done.returncode != 0:
        raise SandboxError(
            f"`{' '.join(cmd)}` failed: {done.stderr.decode(errors='replace').strip()}"
        )


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"
