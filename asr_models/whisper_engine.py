"""The faster-whisper engine: an utterance recogniser behind the same interface as vosk.

Whisper cannot stream: `push` collects the audio the voice gate let through (resampled to the
16 kHz Whisper wants), and `finish` decodes the utterance in a worker thread, bounded by the
engine's CapacityLimiter. Settings (measured in issue 10): int8, beam 1, temperature 0, no
timestamps, not conditioned on earlier text, and an initial prompt in Simplified Chinese (without
it Whisper often writes Traditional characters). Its text then passes `whisper_guard.judge`.
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Sequence
from functools import partial
from typing import Any

import anyio
import numpy as np

from asr_models.audio import TELEPHONY_RATE, Pcm, Resampler, resample
from asr_models.errors import ModelLayoutError
from asr_models.registry import ModelInfo
from asr_models.results import Result, Word
from asr_models.whisper_guard import Segment, Verdict, judge, normalise
from asr_models.whisper_model import check_whisper_layout

WHISPER_RATE = 16000
MAX_UTTERANCE_S = 30.0  # Whisper's window; a session ends a turn long before (20 s)
MAX_NEW_TOKENS = 128
# Silence put before every utterance: Whisper dropped the first words (or all) of speech that
# starts at its window's first sample (不好意思 of 不好意思，我没有听到您的声音。). A call's voice
# gate already releases 300 ms before the onset; a file cut at the onset had none.
LEAD_S = 0.3
SPEECH_RMS = 300.0  # a 20 ms frame this loud (about -40 dBFS) counts as speech for the guard
# Whisper's language codes; a script's "cmn" is Whisper's "zh".
LANGUAGES = {"cmn": "zh", "zh": "zh", "ko": "ko", "en": "en", "en-us": "en", "ja": "ja"}
INITIAL_PROMPTS = {"zh": "以下是普通话的句子，使用简体中文。"}
# A second decode with a hint (the script's opt-out words after the prompt) searches wider: with
# beam 1 the hint changed no garbled opt-out into its words (docs/benchmarks.md).
HINT_BEAM = 5

_models: dict[str, Any] = {}
_models_lock = threading.Lock()


def _load_model(info: ModelInfo, workers: int) -> Any:
    key = str(info.path.resolve())
    with _models_lock:
        if key not in _models:
            check_whisper_layout(info.path)
            from faster_whisper import WhisperModel

            try:
                _models[key] = WhisperModel(
                    key, device="cpu", compute_type="int8", cpu_threads=1,
                    num_workers=workers, local_files_only=True,
                )  # fmt: skip
            except (RuntimeError, ValueError, OSError) as exc:
                raise ModelLayoutError(
                    f"faster-whisper could not load the model at {info.path} ({exc}); "
                    "reinstall it with `outreach models add whisper-base`"
                ) from exc
        return _models[key]


class WhisperEngine:
    """A loaded Whisper model; decodes of different calls run in parallel up to the limiter."""

    streaming = False

    def __init__(self, info: ModelInfo, limiter: anyio.CapacityLimiter | None = None) -> None:
        self.info = info
        self.limiter = limiter or anyio.CapacityLimiter(os.cpu_count() or 1)
        self.language = LANGUAGES.get(info.language, info.language)
        self.initial_prompt = INITIAL_PROMPTS.get(self.language, "")
        self._model = _load_model(info, max(1, int(self.limiter.total_tokens)))

    @classmethod
    async def load(
        cls, info: ModelInfo, limiter: anyio.CapacityLimiter | None = None
    ) -> WhisperEngine:
        return await anyio.to_thread.run_sync(cls, info, limiter)

    def open_stream(
        self, sample_rate: int = TELEPHONY_RATE, grammar: Sequence[str] | None = None
    ) -> WhisperStream:
        return WhisperStream(self, sample_rate, grammar)

    def decode(self, audio: np.ndarray, prompt: str | None = None,
               beam_size: int = 1) -> list[Segment]:
        """Blocking: one utterance (float32 at 16 kHz) to segments. Call from a worker thread."""
        lead = np.zeros(int(LEAD_S * WHISPER_RATE), dtype=np.float32)
        segments, _ = self._model.transcribe(
            np.concatenate([lead, audio]), language=self.language, beam_size=beam_size,
            best_of=1, temperature=0.0, without_timestamps=True,
            condition_on_previous_text=False, vad_filter=False,
            initial_prompt=(self.initial_prompt if prompt is None else prompt) or None,
            max_new_tokens=MAX_NEW_TOKENS,
        )  # fmt: skip
        convert = _simplified if self.language == "zh" else str
        return [Segment(convert(s.text), s.avg_logprob, s.no_speech_prob, s.compression_ratio)
                for s in segments]  # fmt: skip

    async def hear_with_hint(self, pcm: bytes, sample_rate: int, hint: Sequence[str]) -> str:
        """One turn's audio (16-bit) decoded again with `hint` (words the script expects) after
        the initial prompt, by the same guard ("" when it drops the text)."""
        samples = np.frombuffer(resample(Pcm(pcm, sample_rate), WHISPER_RATE).data,
                                dtype="<i2").astype(np.float32) / 32768.0
        if not len(samples):
            return ""
        prompt = self.initial_prompt + "，".join(hint) + "。"
        segments = await anyio.to_thread.run_sync(
            partial(self.decode, samples, prompt, HINT_BEAM), limiter=self.limiter)
        return judge(segments, len(samples) / WHISPER_RATE, _speech_s(samples), prompt).text


class WhisperStream:
    """One call's utterance recogniser: audio is kept until `finish`, then decoded at once."""

    def __init__(self, engine: WhisperEngine, sample_rate: int,
                 grammar: Sequence[str] | None) -> None:  # fmt: skip
        self._engine = engine
        self._resampler = Resampler(sample_rate, WHISPER_RATE)
        self._chunks: list[bytes] = []
        self._bytes = 0
        self._start: float | None = None
        self._end = 0.0
        self._phrases: dict[str, str] = {}
        self.last_verdict: Verdict | None = None  # why the last utterance was kept or dropped
        self.set_grammar(grammar)

    @property
    def grammar(self) -> tuple[str, ...] | None:
        return tuple(self._phrases.values()) if self._phrases else None

    def set_grammar(self, phrases: Sequence[str] | None) -> None:
        """Whisper decodes freely; expected phrases only map a heard text back to the phrase."""
        self._phrases = {normalise(p): p for p in phrases or ()}
        self._reset()

    async def push(self, pcm: bytes, at: float | None = None) -> Result:
        data = self._resampler.convert(pcm)
        seconds = len(pcm) / 2 / self._resampler.in_rate
        if self._start is None:
            self._start = at if at is not None else self._end
        self._end = (at if at is not None else self._end) + seconds
        if self._bytes < MAX_UTTERANCE_S * WHISPER_RATE * 2:
            self._chunks.append(data)
            self._bytes += len(data)
        return Result(text="", final=False)

    async def finish(self) -> Result:
        audio = b"".join(self._chunks)
        start, end = self._start, self._end
        self._reset()
        if not audio or start is None:
            self.last_verdict = Verdict("", "empty")
            return Result(text="", final=True)
        samples = np.frombuffer(audio, dtype="<i2").astype(np.float32) / 32768.0
        segments = await anyio.to_thread.run_sync(
            self._engine.decode, samples, limiter=self._engine.limiter
        )
        audio_s = len(samples) / WHISPER_RATE
        verdict = judge(segments, audio_s, _speech_s(samples), self._engine.initial_prompt)
        self.last_verdict = verdict
        if not verdict.text:
            return Result(text="", final=True)
        conf = _confidence(segments)
        words = (Word(verdict.text, round(start, 3), round(end, 3), conf),)
        phrase = self._phrases.get(normalise(verdict.text))
        return Result(text=verdict.text, final=True, words=words, phrase=phrase)

    def _reset(self) -> None:
        self._chunks, self._bytes, self._start = [], 0, None


_t2s: Any = None


def _simplified(text: str) -> str:
    """Whisper writes Traditional characters now and then even with a Simplified prompt (保證,
    聽清, 掛斷 in a measured run); OpenCC's dictionary conversion puts them back (3 µs a phrase)."""
    global _t2s
    if _t2s is None:
        import opencc

        _t2s = opencc.OpenCC("t2s")
    return str(_t2s.convert(text))


def _speech_s(samples: np.ndarray) -> float:
    """Seconds of 20 ms frames loud enough to be speech."""
    frame = WHISPER_RATE // 50
    n = len(samples) // frame
    if n == 0:
        return 0.0
    frames = samples[: n * frame].reshape(n, frame) * 32768.0
    rms = np.sqrt(np.mean(frames * frames, axis=1))
    return float(np.count_nonzero(rms >= SPEECH_RMS)) * 0.02


def _confidence(segments: list[Segment]) -> float:
    """exp(mean token log-probability): about 0.8 for a clear short answer, under 0.4 for mush."""
    if not segments:
        return 0.0
    mean = sum(s.avg_logprob for s in segments) / len(segments)
    return round(min(1.0, math.exp(mean)), 3)
