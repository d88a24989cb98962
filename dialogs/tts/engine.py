"""The text-to-speech engine interface and its default, pyttsx3 driving espeak-ng.

Each batch of prompts is rendered by one short-lived child process (see `_pyttsx3_worker.py`):
pyttsx3's engine cannot be shared between threads, and a process per batch also runs batches on
both cores at once and can be killed if espeak hangs. Startup costs tens of milliseconds.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import wave
from dataclasses import dataclass
from functools import cache
from importlib.metadata import version
from pathlib import Path
from typing import Protocol

import anyio

from dialogs.tts.errors import TtsError

WORKER = Path(__file__).with_name("_pyttsx3_worker.py")
# Words per minute and espeak pitch (0-99, its default 50). At 8 kHz the Korean model confused
# 싫어요/아니요 and 나중에/네 at pitch 40-50; pitch 60-80 was right at every rate tried
# (docs/speech.md).
DEFAULT_RATE = 150
DEFAULT_PITCH = 70


@dataclass(frozen=True, slots=True)
class Audio:
    """Signed 16-bit little-endian mono PCM."""

    pcm: bytes
    sample_rate: int

    @property
    def duration_s(self) -> float:
        return len(self.pcm) / 2 / self.sample_rate


@dataclass(frozen=True, slots=True)
class SpeechRequest:
    text: str
    voice: str
    rate: int = DEFAULT_RATE
    pitch: int = DEFAULT_PITCH
    speed: float = 1.0  # pace for engines without a words-per-minute rate (Kokoro)
    pronounce: tuple[tuple[str, str], ...] = ()  # (word, "huan2 kuan3"): Mandarin readings


class TtsEngine(Protocol):
    """What the prompt cache needs from a synthesiser; `version` changes when output would.
    Implemented by `Pyttsx3Engine` (espeak-ng) and `KokoroEngine` (dialogs/tts/kokoro.py)."""

    name: str

    @property
    def version(self) -> str: ...

    async def synthesize_many(self, requests: list[SpeechRequest]) -> list[Audio]: ...


# Language codes as scripts, models and personas write them -> the espeak-ng voice that speaks it.
VOICES = {"ko": "ko", "cmn": "cmn", "zh": "cmn", "cn": "cmn", "en": "en-us", "en-us": "en-us"}
# espeak-ng's `cmn` voice reads characters as pinyin with the tone digits spoken in English
# ("ni-three"); Chinese text for these voices is turned into pinyin with tone numbers
# (dialogs/tts/mandarin.py) and spoken by the voice that reads pinyin.
PINYIN_VOICE = "cmn-latn-pinyin"
MANDARIN_VOICES = {"cmn", "zh", "cmn-latn-pinyin", "zh-cmn"}


def voice_for(language: str, default: str = "ko") -> str:
    return VOICES.get(language, default)


class Pyttsx3Engine:
    """pyttsx3 + espeak-ng (voices such as `ko`, `cmn`, `en-us`), in child processes."""

    name = "pyttsx3"

    def __init__(self, limiter: anyio.CapacityLimiter | None = None,
                 timeout_s: float = 60.0) -> None:
        self.limiter = limiter or anyio.CapacityLimiter(os.cpu_count() or 1)
        self.timeout_s = timeout_s

    @property
    def version(self) -> str:
        return _engine_version()

    async def synthesize(self, request: SpeechRequest) -> Audio:
        return (await self.synthesize_many([request]))[0]

    async def synthesize_many(self, requests: list[SpeechRequest]) -> list[Audio]:
        if not requests:
            return []
        for r in requests:
            if not r.text.strip():
                raise TtsError("cannot synthesise an empty prompt; give the text to say")
        async with self.limiter:
            with tempfile.TemporaryDirectory(prefix="outreach-tts-") as tmp:
                outs = [Path(tmp) / f"{i}.wav" for i in range(len(requests))]
                await self._run(requests, outs)
                return [_read(p) for p in outs]

    async def _run(self, requests: list[SpeechRequest], outs: list[Path]) -> None:
        jobs = [{**_espeak_text(r), "rate": r.rate, "pitch": r.pitch, "out": str(p)}
                for r, p in zip(requests, outs, strict=True)]
        payload = json.dumps({"jobs": jobs}, ensure_ascii=False).encode()
        try:
            with anyio.fail_after(self.timeout_s + len(jobs)):
                done = await anyio.run_process([sys.executable, str(WORKER)], input=payload,
                                               check=False)
        except TimeoutError:
            raise TtsError(f"speech synthesis took longer than {self.timeout_s:.0f} s") from None
        if done.returncode != 0:
            raise TtsError(_worker_error(done.stderr, done.returncode))


def _espeak_text(request: SpeechRequest) -> dict[str, str]:
    """Mandarin characters become tone-numbered pinyin for the pinyin voice; the rest as is."""
    from dialogs.tts.mandarin import has_han, pinyin_text

    if request.voice in MANDARIN_VOICES and has_han(request.text):
        return {"text": pinyin_text(request.text, dict(request.pronounce)), "voice": PINYIN_VOICE}
    return {"text": request.text, "voice": request.voice}


def _worker_error(stderr: bytes, code: int) -> str:
    try:
        message = str(json.loads(stderr.decode().strip().splitlines()[-1])["error"])
    except (ValueError, KeyError, IndexError, TypeError):
        message = stderr.decode(errors="replace").strip()[-500:] or f"exit status {code}"
    if code == 3:
        return f"{message}; list voices with `espeak-ng --voices` (e.g. ko, cmn, en-us)"
    return (f"speech synthesis failed: {message}. Check that espeak-ng is installed "
            "(`apt-get install espeak-ng`)")


def _read(path: Path) -> Audio:
    try:
        with wave.open(str(path), "rb") as f:
            return Audio(f.readframes(f.getnframes()), f.getframerate())
    except (OSError, wave.Error, EOFError) as exc:
        raise TtsError(f"the synthesiser produced no usable audio ({exc})") from exc


@cache
def _engine_version() -> str:
    """pyttsx3 and espeak-ng versions: a new espeak changes how prompts sound, so the cache key."""
    espeak = "unknown"
    exe = shutil.which("espeak-ng")
    if exe:
        out = subprocess.run([exe, "--version"], capture_output=True, text=True, check=False)
        found = re.search(r"\d+\.\d+[\w.\-]*", out.stdout)  # "eSpeak NG text-to-speech: 1.51 ..."
        espeak = found.group(0) if found else "unknown"
    return f"pyttsx3-{version('pyttsx3')}+espeak-ng-{espeak}+cmn-pinyin-{version('pypinyin')}"
