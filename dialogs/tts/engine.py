"""The text-to-speech engine interface and its default, espeak-ng.

Each prompt is rendered by the `espeak-ng` program (`-w` to a WAV, text on stdin as UTF-8), a
child process that can be killed on a timeout. This used to go through pyttsx3, whose espeak
driver writes the WAV before appending the audio that arrives with espeak's last callback: prompts
came out up to a quarter of a second short now and then (a 0.83 s word as 0.57 s). The program
gives the same samples (checked: byte-identical for a whole prompt) and always all of them.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import wave
from dataclasses import dataclass
from functools import cache
from importlib.metadata import version
from pathlib import Path
from typing import Protocol

import anyio

from dialogs.tts.errors import TtsError

# Words per minute and espeak pitch (0-99, its default 50). At 8 kHz the Korean model confused
# 싫어요/아니요 and 나중에/네 at pitch 40-50; pitch 60-80 was right at every rate tried
# (docs/speech.md).
DEFAULT_RATE = 150
DEFAULT_PITCH = 70
INSTALL = "Check that espeak-ng is installed (`apt-get install espeak-ng`)"


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
    Implemented by `EspeakEngine` (espeak-ng) and `KokoroEngine` (dialogs/tts/kokoro.py)."""

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


class EspeakEngine:
    """espeak-ng (voices such as `ko`, `cmn`, `en-us`), one child process per prompt; `speed`
    scales the words-per-minute rate."""

    name = "espeak-ng"

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
        exe = shutil.which("espeak-ng")
        if exe is None:
            raise TtsError(f"speech synthesis failed: espeak-ng is not on PATH. {INSTALL}")
        async with self.limiter:
            with tempfile.TemporaryDirectory(prefix="outreach-tts-") as tmp:
                return [await self._one(exe, r, Path(tmp) / f"{i}.wav")
                        for i, r in enumerate(requests)]

    async def _one(self, exe: str, request: SpeechRequest, out: Path) -> Audio:
        said = _espeak_text(request)
        if said["voice"].split("+")[0] not in espeak_voices():  # "en-us+f3": a voice variant
            raise TtsError(f"espeak-ng has no voice {said['voice']!r}; list voices with "
                           "`espeak-ng --voices` (e.g. ko, cmn, en-us)")
        rate = max(80, min(450, round(request.rate * request.speed)))
        cmd = [exe, "-b", "1", "-v", said["voice"], "-s", str(rate), "-p", str(request.pitch),
               "-w", str(out)]
        try:
            with anyio.fail_after(self.timeout_s):
                done = await anyio.run_process(cmd, input=said["text"].encode(), check=False)
        except TimeoutError:
            raise TtsError(f"speech synthesis took longer than {self.timeout_s:.0f} s") from None
        if done.returncode != 0:
            detail = done.stderr.decode(errors="replace").strip()[-300:]
            raise TtsError(f"speech synthesis failed: {detail or done.returncode}. {INSTALL}")
        return _read(out)


Pyttsx3Engine = EspeakEngine  # the name it had while it went through pyttsx3


def _espeak_text(request: SpeechRequest) -> dict[str, str]:
    """Mandarin characters become tone-numbered pinyin for the pinyin voice; the rest as is."""
    from dialogs.tts.mandarin import has_han, pinyin_text

    if request.voice in MANDARIN_VOICES and has_han(request.text):
        return {"text": pinyin_text(request.text, dict(request.pronounce)), "voice": PINYIN_VOICE}
    return {"text": request.text, "voice": request.voice}


def _read(path: Path) -> Audio:
    try:
        with wave.open(str(path), "rb") as f:
            audio = Audio(f.readframes(f.getnframes()), f.getframerate())
    except (OSError, wave.Error, EOFError) as exc:
        raise TtsError(f"the synthesiser produced no usable audio ({exc})") from exc
    if not audio.pcm:
        raise TtsError(f"espeak-ng wrote no audio. {INSTALL}")
    return audio


@cache
def espeak_voices() -> frozenset[str]:
    """Every name `-v` accepts: the voice names and their file names (`sit/cmn-Latn-pinyin`)."""
    exe = shutil.which("espeak-ng")
    if exe is None:
        return frozenset()
    out = subprocess.run([exe, "--voices"], capture_output=True, text=True, check=False).stdout
    names: set[str] = set()
    for line in out.splitlines()[1:]:
        cols = line.split()
        if len(cols) >= 5:
            names |= {cols[1], cols[3], cols[4], cols[4].split("/")[-1],
                      cols[4].split("/")[-1].lower()}
    return frozenset(names)


@cache
def _engine_version() -> str:
    """espeak-ng's version (a new one changes how prompts sound, so it is in the cache key) and
    pypinyin's (it turns Mandarin into the pinyin espeak-ng reads)."""
    espeak = "unknown"
    exe = shutil.which("espeak-ng")
    if exe:
        out = subprocess.run([exe, "--version"], capture_output=True, text=True, check=False)
        found = re.search(r"\d+\.\d+[\w.\-]*", out.stdout)  # "eSpeak NG text-to-speech: 1.51 ..."
        espeak = found.group(0) if found else "unknown"
    return f"espeak-ng-{espeak}+pypinyin-{version('pypinyin')}"
