"""The vosk engine: one Model per model directory shared by every call, one recogniser per call.

Decoding is blocking native code that releases the GIL, so it runs in worker threads through
`anyio.to_thread.run_sync`, bounded by one CapacityLimiter per engine (default: the CPU count).
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Sequence
from typing import Any

import anyio
import vosk

from asr_models.audio import TELEPHONY_RATE, Resampler
from asr_models.errors import GET_A_MODEL, GrammarError, ModelLayoutError
from asr_models.registry import ModelInfo, check_layout
from asr_models.results import Result, Word

_models: dict[str, Any] = {}
_models_lock = threading.Lock()


def _load_model(info: ModelInfo) -> Any:
    """The process-wide Model for this directory, loaded once (about 2 s for the Korean model)."""
    key = str(info.path.resolve())
    with _models_lock:
        if key not in _models:
            check_layout(info.path)
            vosk.SetLogLevel(-2)  # Kaldi's own log lines would interleave with the CLI's output
            try:
                _models[key] = vosk.Model(key)
            except Exception as exc:  # vosk raises a bare Exception when Kaldi refuses the files
                raise ModelLayoutError(
                    f"vosk could not load the model at {info.path}: a file is corrupt or from an "
                    f"incompatible model version (re-copy the model folder). {GET_A_MODEL}"
                ) from exc
        return _models[key]


class VoskEngine:
    """A loaded model plus the limiter that bounds how many decodes run at once."""

    streaming = True  # partial results while the caller speaks

    def __init__(self, info: ModelInfo, limiter: anyio.CapacityLimiter | None = None) -> None:
        self.info = info
        self.limiter = limiter or anyio.CapacityLimiter(os.cpu_count() or 1)
        self._model = _load_model(info)

    @classmethod
    async def load(
        cls, info: ModelInfo, limiter: anyio.CapacityLimiter | None = None
    ) -> VoskEngine:
        """Load off the event loop: the first load of a model reads a few hundred MB."""
        return await anyio.to_thread.run_sync(cls, info, limiter)

    def unknown_words(self, phrases: Sequence[str]) -> list[str]:
        """The words of `phrases` that are not in the model's vocabulary (they cannot be heard)."""
        words = {w for p in phrases for w in p.split()}
        return sorted(w for w in words if self._model.vosk_model_find_word(w) < 0)

    def open_stream(
        self, sample_rate: int = TELEPHONY_RATE, grammar: Sequence[str] | None = None
    ) -> VoskStream:
        """A recogniser for one call; audio arrives at `sample_rate` and is decoded at 8 kHz."""
        return VoskStream(self, sample_rate, grammar)

    def _recogniser(self, grammar_json: str | None) -> Any:
        if grammar_json is None:
            rec = vosk.KaldiRecognizer(self._model, TELEPHONY_RATE)
        else:
            rec = vosk.KaldiRecognizer(self._model, TELEPHONY_RATE, grammar_json)
        rec.SetWords(True)
        return rec


class Grammar:
    """Expected phrases compiled for one model: what vosk is given and how to map text back."""

    def __init__(self, engine: VoskEngine, phrases: Sequence[str]) -> None:
        if not engine.info.grammar:
            raise GrammarError(
                f"model {engine.info.name!r} has a static graph (HCLG.fst) and cannot take a "
                "grammar; use a model with graph/HCLr.fst and graph/Gr.fst, or no grammar"
            )
        unknown = set(engine.unknown_words(phrases))
        self.by_text: dict[str, str] = {}
        for phrase in phrases:
            known = " ".join(w for w in phrase.split() if w not in unknown)
            if not known:
                raise GrammarError(
                    f"none of the words of {phrase!r} are in model {engine.info.name!r}'s "
                    "vocabulary, so it can never be recognised; reword it (e.g. a shorter form)"
                )
            self.by_text.setdefault(known, phrase)
        self.json = json.dumps(sorted(self.by_text), ensure_ascii=False)


class VoskStream:
    """Push PCM, get partial and final results; word times are seconds of the call's audio.

    Audio may be fed with gaps (voice activity gating skips silence): `push(..., at=t)` says where
    in the call a chunk starts, and word times are mapped back through those anchors.
    """

    def __init__(self, engine: VoskEngine, sample_rate: int, grammar: Sequence[str] | None) -> None:
        self._engine = engine
        self._rec: Any = None
        self._resampler = Resampler(sample_rate, TELEPHONY_RATE)
        self._grammar: Grammar | None = None
        self._fed_s = 0.0  # seconds given to vosk so far (at 8 kHz)
        self._rec_origin = 0.0  # vosk's word times count from its recogniser's creation
        self._anchors: list[tuple[float, float]] = [(0.0, 0.0)]  # (fed time, call time)
        self.set_grammar(grammar)

    @property
    def grammar(self) -> tuple[str, ...] | None:
        return tuple(self._grammar.by_text.values()) if self._grammar else None

    def set_grammar(self, phrases: Sequence[str] | None) -> None:
        """Expected phrases for the next utterance (None: free vocabulary). Call between turns."""
        self._grammar = Grammar(self._engine, phrases) if phrases else None
        # A fresh recogniser (about 0.3 ms) is simpler than switching vosk's graph in place.
        self._rec = self._engine._recogniser(self._grammar.json if self._grammar else None)
        self._rec_origin = self._fed_s

    async def push(self, pcm: bytes, at: float | None = None) -> Result:
        """Decode a chunk; returns the current partial, or a final when vosk detects an endpoint."""
        data = self._resampler.convert(pcm)
        self._anchor(at)
        self._fed_s += len(data) / 2 / TELEPHONY_RATE
        done = await anyio.to_thread.run_sync(
            self._rec.AcceptWaveform, data, limiter=self._engine.limiter
        )
        if done:
            return self._parse(self._rec.Result(), final=True)
        return self._parse(self._rec.PartialResult(), final=False)

    async def finish(self) -> Result:
        """The final result of the current utterance; the stream is then ready for the next one."""
        raw = await anyio.to_thread.run_sync(self._rec.FinalResult, limiter=self._engine.limiter)
        return self._parse(raw, final=True)

    def _anchor(self, at: float | None) -> None:
        if at is None:
            return
        fed, call = self._anchors[-1]
        if abs(call + (self._fed_s - fed) - at) > 1e-3:  # a gap: the chunk is not contiguous
            self._anchors.append((self._fed_s, at))

    def _call_time(self, fed_time: float) -> float:
        fed_time += self._rec_origin
        base_fed, base_call = self._anchors[0]
        for fed, call in self._anchors:
            if fed > fed_time + 1e-6:
                break
            base_fed, base_call = fed, call
        return round(base_call + fed_time - base_fed, 3)

    def _parse(self, raw: str, final: bool) -> Result:
        data = json.loads(raw)
        text = str(data.get("text" if final else "partial", "")).strip()
        words = tuple(
            Word(str(w["word"]), self._call_time(float(w["start"])),
                 self._call_time(float(w["end"])), round(float(w["conf"]), 3))
            for w in data.get("result", [])
        )
        phrase = self._grammar.by_text.get(text) if self._grammar else None
        return Result(text=text, final=final, words=words, phrase=phrase)
