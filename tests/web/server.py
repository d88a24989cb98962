"""`outreach serve` started as a user starts it (a real process on a free loopback port), and
Debian's Chromium driven by Playwright. A missing browser fails the tests, it never skips them."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]  # fmt: skip
SECRET = "test-secret-0123456789abcdefghijklmnop"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def console_server(home: Path) -> Iterator[str]:
    """Run `outreach --home HOME serve` and yield its base URL once it answers."""
    port = free_port()
    env = {**os.environ, "OUTREACH_WEB_SECRET": SECRET}
    exe = Path(sys.executable).with_name("outreach")
    log = (home / "serve.log").open("w")  # the server's own output, for a failing test's reader
    proc = subprocess.Popen(
        [str(exe), "--home", str(home), "serve", "--port", str(port)],
        env=env, stdout=log, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(base + "/login", timeout=1)
                break
            except httpx.TransportError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"outreach serve did not start: {(home / 'serve.log').read_text()}")
                time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def launch_browser(playwright: Playwright) -> Browser:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make test` (scripts/ensure-sysdeps.sh installs "
                    "Debian's chromium); the browser tests are never skipped")  # fmt: skip
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
