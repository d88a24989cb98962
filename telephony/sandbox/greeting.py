"""The answering machine's recorded greeting, synthesised once with espeak-ng at 8 kHz.

Answering-machine detection needs a long greeting with hardly a pause; a real recording cannot ship
in the repository, so the sandbox speaks one itself.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import wave
from pathlib import Path

import numpy as np
import soxr

from telephony.sandbox.errors import SandboxError

TEXT = (
    "Hello, you have reached the voicemail of the accounts department. Nobody is available to take "
    "your call right now. Please leave your name, your number and a short message after the tone, "
    "and we will call you back as soon as we can. Thank you for calling, and have a good day."
)


def write_greeting(target: Path) -> None:
    """Write `target` (8 kHz mono 16-bit WAV) unless it already exists."""
    if target.is_file():
        return
    espeak = shutil.which("espeak-ng")
    if espeak is None:
        raise SandboxError("espeak-ng is not installed: run `apt-get install espeak-ng`")
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "greeting.wav"
        done = subprocess.run(
            [espeak, "-v", "en-us", "-s", "170", "-g", "1", "-w", str(raw), TEXT],
            capture_output=True, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            raise SandboxError(f"espeak-ng failed: {done.stderr.decode(errors='replace')}")
        with wave.open(str(raw), "rb") as src:
            rate = src.getframerate()
            pcm = np.frombuffer(src.readframes(src.getnframes()), dtype=np.int16)
    resampled = soxr.resample(pcm, rate, 8000).astype(np.int16)
    target.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(target), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(resampled.tobytes())
