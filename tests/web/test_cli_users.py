"""`outreach users add` and `outreach serve`, run as a user runs them: one-line errors, no
traceback, nothing weak accepted."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from campaigns.accounts import BadLogin, authenticate
from campaigns.db import open_database

OUTREACH = Path(sys.executable).with_name("outreach")


def outreach(home: Path, *args: str, stdin: str = "", secret: str | None = None) -> tuple[int, str]:
    env = {k: v for k, v in os.environ.items() if k != "OUTREACH_WEB_SECRET"}
    if secret is not None:
        env["OUTREACH_WEB_SECRET"] = secret
    p = subprocess.run([str(OUTREACH), "--home", str(home), *args], input=stdin, env=env,
                       capture_output=True, text=True, timeout=60)  # fmt: skip
    return p.returncode, p.stdout + p.stderr


def test_users_add_hashes_the_password_and_refuses_weak_input(tmp_path: Path) -> None:
    code, out = outreach(tmp_path, "users", "add", "kim", "--role", "agent", "--password-stdin",
                         stdin="a long enough pass\n")  # fmt: skip
    assert code == 0 and "user kim added (agent)" in out, out
    engine = open_database(f"sqlite:///{tmp_path / 'outreach.db'}")
    try:
        assert authenticate(engine, "kim", "a long enough pass").role == "agent"
        try:
            authenticate(engine, "kim", "another password")
            raise AssertionError("a wrong password logged in")
        except BadLogin:
            pass
    finally:
        engine.dispose()
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("outreach.db*"))
    assert b"a long enough pass" not in raw and b"$argon2id$" in raw  # only the hash is kept
    for args, stdin, said in [
        (["kim", "--role", "agent"], "another long pass\n", "a user named 'kim' already exists"),
        (["lee", "--role", "boss"], "another long pass\n", "unknown role 'boss'"),
        (["lee", "--role", "qa"], "short\n", "the password is too short"),
        (["lee", "--role", "qa"], "\n", "no password on standard input"),
    ]:
        code, out = outreach(tmp_path, "users", "add", *args, "--password-stdin", stdin=stdin)
        assert code == 2 and said in out and "Traceback" not in out, (args, out)
        assert len(out.strip().splitlines()) == 1, out
    code, out = outreach(tmp_path, "users", "add", "lee", "--role", "qa")  # no terminal, no stdin
    assert code == 2 and "--password-stdin" in out


def test_serve_refuses_to_start_without_a_session_secret(tmp_path: Path) -> None:
    code, out = outreach(tmp_path, "serve", "--port", "1")
    assert code == 2 and "OUTREACH_WEB_SECRET" in out and "Traceback" not in out
    code, out = outreach(tmp_path, "serve", "--port", "1", secret="short")
    assert code == 2 and "at least 32 characters" in out
