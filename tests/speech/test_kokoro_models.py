"""`models add|list|verify` for the Kokoro voice: joined from its packages, hash-checked and
loaded in a child process before it is accepted; a changed file is refused."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from dialogs.tts import KokoroEngine

OUTREACH = str(Path(sys.executable).parent / "outreach")


def outreach(home: Path, *args: str) -> tuple[int, str]:
    """The real command, as a user runs it (errors as one line, no traceback)."""
    done = subprocess.run([OUTREACH, "--home", str(home), *args], capture_output=True,
                          text=True, timeout=300, check=False)
    return done.returncode, done.stdout + done.stderr


def test_add_list_verify_and_a_changed_model_is_refused(tmp_path: Path) -> None:
    home = tmp_path / "home"
    code, out = outreach(home, "models", "add", "kokoro")
    assert code == 0 and "sha256 checked, speaks" in out, out
    model = home / "voices" / "kokoro-82m-int8" / "model.onnx"
    assert model.stat().st_size > 90_000_000
    code, out = outreach(home, "models", "list", "--json")
    voices = [m for m in json.loads(out) if m.get("kind") == "tts"]
    assert [(m["name"], m["engine"], m["source"]) for m in voices] == [
        ("kokoro-82m-int8", "kokoro", "home")]
    assert KokoroEngine(home=home).model.source == "home"  # calls use the installed copy
    code, out = outreach(home, "models", "verify", "kokoro", "--json")
    verdict = json.loads(out)
    assert code == 0 and verdict["ok"] and verdict["seconds"] > 0.5
    code, out = outreach(home, "models", "add", "kokoro")
    assert code != 0 and "already installed" in out and "Traceback" not in out
    assert outreach(home, "models", "add", "kokoro", "--if-missing")[0] == 0
    with model.open("r+b") as f:  # one byte changed, as a disk error or a bad copy would
        f.seek(50_000_000)
        byte = f.read(1)
        f.seek(50_000_000)
        f.write(bytes([byte[0] ^ 0xFF]))
    code, out = outreach(home, "models", "verify", "kokoro")
    assert code != 0 and "has changed since it was installed" in out
    assert "Traceback" not in out and len(out.strip().splitlines()) <= 3
