"""End of turn: voice activity and the recogniser together decide when the caller has finished.

A turn ends early (`quick_end_ms` of silence) when the recogniser already holds a complete answer:
in grammar mode one of the expected phrases, in free mode a non-empty hypothesis that the trailing
padding did not change. Otherwise it ends after `end_silence_ms`. Only audio around speech is
decoded, in chunks of `decode_ms` so that 20 ms frames do not each cost a thread hop.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from asr_models.audio import TELEPHONY_RATE, Resampler
from asr_models.recogniser import RecogniserStream
from asr_models.results import Result
from asr_models.vad import GateStep, VadConfig, VoiceGate


@dataclass(frozen=True, slots=True)
class TurnConfig:
    vad: VadConfig = field(default_factory=VadConfig)
    end_silence_ms: int = 700
    quick_end_ms: int = 240
    decode_ms: int = 100
    no_input_ms: int | None = None  # report NoSpeech once if nobody speaks this long


@dataclass(frozen=True, slots=True)
class SpeechStarted:
    at: float


@dataclass(frozen=True, slots=True)
class Utterance:
    """A finished turn: the final result, when speech started and stopped, when the end was known.

    `decided_at - speech_end` is the end-of-turn delay in audio time; `decode_s` is the wall time
    the recogniser then took to give the final result (Whisper decodes the whole utterance only
    now; vosk's final is almost free), which the caller waits too.
    """

    result: Result
    started_at: float
    speech_end: float
    decided_at: float
    decode_s: float = 0.0
    audio: bytes = field(default=b"", repr=False)  # what was decoded (8 kHz), for a check pass


@dataclass(frozen=True, slots=True)
class NoSpeech:
    waited_s: float


TurnEvent = SpeechStarted | Utterance | NoSpeech


@dataclass(slots=True)
class ListenerStats:
    audio_s: float = 0.0
    decoded_s: float = 0.0


class TurnListener:
    """Feed the caller's audio (any rate, any chunk size); get turn events back."""

    def __init__(self, stream: RecogniserStream, sample_rate: int = TELEPHONY_RATE,
                 config: TurnConfig | None = None) -> None:
        self.config = config or TurnConfig()
        self.stream = stream
        self.stats = ListenerStats()
        self._resampler = Resampler(sample_rate, TELEPHONY_RATE)
        self._gate = VoiceGate(TELEPHONY_RATE, self.config.vad)
        self._rest = b""
        self._pending = b""
        self._pending_at = 0.0
        self._started_at: float | None = None
        self._last: Result | None = None
        self._finals: list[Result] = []  # pieces vosk closed itself at a pause inside the turn
        self._turn_audio: list[bytes] = []  # the turn's decoded audio, kept for a second pass
        self._silent_text: str | None = None  # the hypothesis when the caller went quiet
        self._listen_since = 0.0
        self._no_input_sent = False
        self._decode_bytes = TELEPHONY_RATE * 2 * self.config.decode_ms // 1000

    def expect(self, grammar: Sequence[str] | None) -> None:
        """Start listening for a new answer (None: free vocabulary); restarts the no-input clock."""
        self.stream.set_grammar(grammar)
        self._listen_since = self._gate.time_s
        self._no_input_sent = False

    async def feed(self, pcm: bytes) -> list[TurnEvent]:
        data = self._rest + self._resampler.convert(pcm)
        size = self._gate.frame_bytes
        whole = len(data) - len(data) % size
        self._rest = data[whole:]
        events: list[TurnEvent] = []
        for i in range(0, whole, size):
            step = self._gate.step(data[i:i + size])
            self.stats.audio_s += self.config.vad.frame_ms / 1000
            event = await self._on_step(step)
            if event is not None:
                events.append(event)
        return events

    async def close(self) -> Utterance | None:
        """The call ended: whatever the caller was saying becomes a last utterance."""
        if self._started_at is None:
            return None
        return await self._finish(self._gate.time_s)

    async def _on_step(self, step: GateStep) -> TurnEvent | None:
        if step.feed:
            if not self._pending:
                self._pending_at = step.at
            self._pending += step.feed
        if step.started:
            self._started_at = step.at
            self._last, self._silent_text = None, None
            return SpeechStarted(step.at)
        if not step.in_speech:
            return self._no_input()
        if len(self._pending) >= self._decode_bytes:
            await self._decode()
        if step.silence_ms == 0:
            self._silent_text = None
            return None
        if step.silence_ms >= self.config.end_silence_ms or await self._complete(step):
            return await self._finish(self._gate.time_s - step.silence_ms / 1000)
        return None

    async def _complete(self, step: GateStep) -> bool:
        """Is the answer already whole, so the turn may end after only `quick_end_ms`?"""
        if step.silence_ms == self.config.vad.frame_ms:
            await self._decode()
            self._silent_text = self._last.text if self._last else ""
        if step.silence_ms < self.config.quick_end_ms:
            return False
        await self._decode()
        last = self._last
        if last is None or not last.text:
            return False
        if self.stream.grammar is not None:
            return last.phrase is not None
        return last.text == self._silent_text

    async def _decode(self) -> None:
        if self._pending:
            self.stats.decoded_s += len(self._pending) / 2 / TELEPHONY_RATE
            self._turn_audio.append(self._pending)
            self._last = await self.stream.push(self._pending, at=self._pending_at)
            self._pending = b""
            if self._last.final and self._last.text:
                self._finals.append(self._last)

    async def _finish(self, speech_end: float) -> Utterance:
        began = time.perf_counter()
        await self._decode()
        result = join_results([*self._finals, await self.stream.finish()])
        decode_s = time.perf_counter() - began
        started = self._started_at if self._started_at is not None else speech_end
        audio = b"".join(self._turn_audio)
        self._started_at, self._last, self._finals, self._turn_audio = None, None, [], []
        self._gate.end_turn()
        self._listen_since = self._gate.time_s
        return Utterance(result, started, round(speech_end, 3), round(self._gate.time_s, 3),
                         round(decode_s, 3), audio)

    def _no_input(self) -> NoSpeech | None:
        limit = self.config.no_input_ms
        waited = self._gate.time_s - self._listen_since
        if limit is None or self._no_input_sent or waited * 1000 < limit:
            return None
        self._no_input_sent = True
        return NoSpeech(round(waited, 3))


def join_results(parts: list[Result]) -> Result:
    """One result from the pieces of a turn (vosk may have closed part of it at a pause)."""
    spoken = [p for p in parts if p.text]
    if len(spoken) <= 1:
        return spoken[0] if spoken else parts[-1]
    words = tuple(w for p in spoken for w in p.words)
    return Result(" ".join(p.text for p in spoken), final=True, words=words)
