"""Builds (once) the Debian sid root filesystem the sandbox runs Asterisk 22 in, and finds it.

The root lives outside the repository, in the user's cache, because building it takes about a minute
and 500 MB: a fresh clone (CI) on the same machine reuses it. It is built into `<root>.partial` and
renamed only when debootstrap succeeded, so a half-built root is never used.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

from telephony.sandbox.errors import SandboxError

MIRROR = "http://deb.debian.org/debian"
ASTERISK_BINARY = "usr/sbin/asterisk"


def default_rootfs() -> Path:
    """`${XDG_CACHE_HOME:-~/.cache}/outreach/asterisk-rootfs` (or `$OUTREACH_SANDBOX_ROOTFS`)."""
    explicit = os.environ.get("OUTREACH_SANDBOX_ROOTFS")
    if explicit:
        return Path(explicit)
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "outreach" / "asterisk-rootfs"


def is_built(root: Path) -> bool:
    return (root / ASTERISK_BINARY).is_file()


def build(root: Path, log: Callable[[str], None], log_file: Path) -> None:
    """Run debootstrap into `<root>.partial`, then rename it to `root`. Needs root and network."""
    if is_built(root):
        return
    if os.geteuid() != 0:
        raise SandboxError(
            f"the Asterisk sandbox root {root} is not built yet and building it needs root "
            "(debootstrap, chroot): rerun `outreach asterisk sandbox up` as root"
        )
    debootstrap = shutil.which("debootstrap")
    if debootstrap is None:
        raise SandboxError("debootstrap is not installed: run `apt-get install debootstrap`")
    partial = root.with_name(root.name + ".partial")
    if partial.exists():
        log(f"removing an unfinished build at {partial}")
        shutil.rmtree(partial)
    partial.parent.mkdir(parents=True, exist_ok=True)
    log(f"building the Asterisk root filesystem in {partial} (about a minute, 500 MB)")
    cmd = [debootstrap, "--variant=minbase", "--include=asterisk,asterisk-modules", "sid",
           str(partial), MIRROR]  # fmt: skip
    with log_file.open("ab") as out:
        done = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, check=False)
    if done.returncode != 0 or not is_built(partial):
        raise SandboxError(
            f"debootstrap failed (exit {done.returncode}); see {log_file}. Check the network "
            f"access to {MIRROR} and the free space under {partial.parent}, then rerun"
        )
    partial.rename(root)
    log(f"built {root}")
