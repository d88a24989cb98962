"""Recordings hold customers' voices: created readable by the owner only, in a private folder."""

from __future__ import annotations

import os
import stat
import wave
from pathlib import Path

from orchestrator.recording import Recorder


def test_a_recording_is_private_to_its_owner(tmp_path: Path) -> None:
    old = os.umask(0o022)  # the usual umask would leave a plain file world-readable
    try:
        recorder = Recorder(tmp_path / "recordings" / "call.wav")
        recorder.caller(0.0, b"\x01\x00" * 800)
        path = recorder.save()
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    with wave.open(str(path)) as w:
        assert (w.getnchannels(), w.getframerate(), w.getnframes()) == (2, 8000, 800)
