"""One answered call: caller audio → VAD → recogniser → intent → dialog engine → prompts → audio.

Two tasks in the call's own task group: `_hear` feeds every caller frame to the turn listener and
cuts the robot's prompt the moment the caller starts speaking (barge-in); the conversation loop
runs the dialog engine's commands in order. Call time is `(monotonic - answer) * speed`.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from asr_models import Recogniser, SpeechStarted, TurnConfig, TurnListener
from asr_models import Utterance as Heard
from asr_models.hearing import forced_grammar, judge
from campaigns.calls import TurnRecord
from dialogs import (
    Command,
    DialogEngine,
    Dtmf,
    EndCall,
    HangUp,
    IntentRecognised,
    Interrupted,
    LeadScore,
    Listen,
    OptOut,
    Say,
    ScheduleCallback,
    Script,
    Silence,
    Transfer,
    Utterance,
)
from dialogs.tts import PromptCache
from orchestrator.health import WorkerHealth
from orchestrator.hearing_check import BUSY, CheckGate, checked_hearing, heard_again
from orchestrator.recording import Recorder
from telephony.base import AudioFrame, DtmfFrame, Media, PlayResult

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SessionConfig:
    speed: float = 1.0
    max_call_s: float = 300.0
    max_utterance_s: float = 20.0
    turn: TurnConfig = field(default_factory=TurnConfig)
    hearing_check: bool = True  # a clear costly grammar hearing is checked by a free decode
    checks_at_once: int = 1  # free checks in flight per process; beyond, a confirmation instead


@dataclass
class Services:
    """What every call of a worker shares: the script, the model, the prompt cache."""

    script: Script
    asr: Recogniser  # vosk (streaming) or whisper (per utterance), chosen by the script
    prompts: PromptCache
    config: SessionConfig
    recordings_dir: Path | None = None
    on_opt_out: Callable[[str, str], Awaitable[None]] | None = None  # (attempt id, phone)
    apology: bytes | None = None  # the script's apology, synthesised before the first dial
    script_version: str | None = None  # the campaign's stored script version, on every call
    health: WorkerHealth = field(default_factory=WorkerHealth)  # is the worker keeping up
    checks: CheckGate | None = None  # the free checks in flight (None: CheckGate(config's))

    def __post_init__(self) -> None:
        if self.checks is None:
            self.checks = CheckGate(self.config.checks_at_once)


@dataclass
class Conversation:
    outcome: str | None = None
    turns: list[TurnRecord] = field(default_factory=list)
    score: LeadScore | None = None
    transfer_queue: str | None = None
    opt_out: bool = False
    callback_hint: str | None = None
    latencies_s: list[float] = field(default_factory=list)
    synthesised_in_call: list[str] = field(default_factory=list)  # prompt ids, after the answer
    recording: Path | None = None
    duration_s: float = 0.0
    hung_up: bool = False
    error: str | None = None  # what failed on our side, if anything (the call still ended well)
    degraded: str | None = None  # why the call's audio could not be trusted (outcome degraded)
    first_word_at: float | None = None  # anyio's clock when the robot's first prompt began


@dataclass(frozen=True)
class _Speech:
    t: float


@dataclass(frozen=True)
class _Said:
    utterance: Heard


@dataclass(frozen=True)
class _Key:
    digit: str
    t: float


@dataclass(frozen=True)
class _Closed:
    t: float


_Input = _Speech | _Said | _Key | _Closed


class _Clock:
    def __init__(self, speed: float) -> None:
        self.speed = speed
        self.t0 = anyio.current_time()

    def now(self) -> float:
        return round((anyio.current_time() - self.t0) * self.speed, 3)


def describe(exc: BaseException) -> str:
    """`OperationalError: no such table ...`: the first real error inside any task groups."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return f"{type(exc).__name__}: {exc}"[:300]


class CallSession:
    """Runs the dialog of one answered call over its media."""

    def __init__(
        self, services: Services, attempt_id: str, phone: str, variables: Mapping[str, str],
        media: Media,
    ) -> None:  # fmt: skip
        self.svc = services
        self.attempt_id = attempt_id
        self.phone = phone
        self.media = media
        self.engine = DialogEngine(services.script, variables)
        cfg = services.config
        self.listener = TurnListener(services.asr.open_stream(8000), 8000, cfg.turn)
        self.clock = _Clock(cfg.speed)
        self.meter = services.health.open_meter()
        clock = getattr(media, "call_time", None)  # the media's received audio (call time)
        if isinstance(clock, float | int):
            self.meter.produced = lambda: float(media.call_time)  # type: ignore[attr-defined]
        self.conv = Conversation()
        self.recorder: Recorder | None = None
        if services.recordings_dir is not None:
            self.recorder = Recorder(services.recordings_dir / f"{attempt_id}.wav")
        self._playing = False
        self._grammar: list[str] | None = None
        self._pending_reply: tuple[float, float] | None = None  # (eot delay, clock at receipt)

    async def run(self) -> Conversation:
        """Run the dialog. Whatever fails inside it (a prompt that cannot be synthesised, the
        opt-out write, the recogniser), the caller hears the script's apology and everything heard
        so far stays in the Conversation; a cancelled call (a second Ctrl-C) hears the apology
        and keeps it too."""
        try:
            await self._dialog()
        except Exception as exc:  # ExceptionGroup included: a task of the call's group failed
            self.conv.error = describe(exc)
            log.exception("call %s failed mid-dialog; ending it politely", self.attempt_id)
            if self.conv.transfer_queue is None:  # an agent takes over instead
                await self._apologise()
        except anyio.get_cancelled_exc_class():
            # A second Ctrl-C: the customer still hears the closing (bounded) before the line
            # is ended, rather than a line going dead mid-sentence.
            with anyio.CancelScope(shield=True):
                if self.conv.transfer_queue is None and not self.conv.hung_up:
                    await self._apologise()
            raise
        finally:
            self.svc.health.close_meter(self.meter)
            with anyio.CancelScope(shield=True):
                await self._wrap_up()
        return self.conv

    async def _dialog(self) -> None:
        send, recv = anyio.create_memory_object_stream[_Input](64)
        cfg = self.svc.config
        async with anyio.create_task_group() as tg:
            tg.start_soon(self._hear, send)
            with recv, anyio.move_on_after(cfg.max_call_s / cfg.speed) as scope:
                await self._converse(recv)
            if scope.cancelled_caught:
                self.conv.outcome = self.conv.outcome or "no_response"
                log.info("call %s reached the maximum length", self.attempt_id)
            tg.cancel_scope.cancel()

    async def _apologise(self) -> None:
        """The pre-synthesised closing; if even that cannot be played the line is just hung up."""
        pcm = self.svc.apology
        if pcm is None or self.media.closed:
            return
        start = self.clock.now()
        played = None
        try:
            with anyio.move_on_after(len(pcm) / 16000 / self.svc.config.speed + 2):
                played = await self.media.play(pcm)
        except Exception:
            log.exception("call %s: the apology could not be played", self.attempt_id)
            return
        if played is None:  # the line stopped taking audio: nothing more to record
            return
        if self.recorder is not None:
            self.recorder.robot(start, pcm[: played.played_ms * 16])
        self.conv.turns.append(TurnRecord(
            "robot", self.svc.script.apology, start, round(start + played.played_ms / 1000, 3),
            prompt_id="apology", state=self.engine.state,
        ))  # fmt: skip

    async def _wrap_up(self) -> None:
        self.conv.outcome = self.conv.outcome or self.engine.outcome
        try:
            self.conv.score = self.engine.score()
        except Exception:
            log.exception("call %s could not be scored", self.attempt_id)
        self.conv.duration_s = self.clock.now()
        if self.recorder is None:
            return
        try:
            self.conv.recording = await anyio.to_thread.run_sync(self.recorder.save)
        except Exception as exc:  # the transcript and the outcome are kept all the same
            log.exception("call %s: the recording could not be saved", self.attempt_id)
            self.conv.error = self.conv.error or f"recording not saved: {exc}"[:300]

    # ---- hearing -------------------------------------------------------------------------------

    async def _hear(self, send: MemoryObjectSendStream[_Input]) -> None:
        async with send:
            async for frame in self.media.inbound():
                if isinstance(frame, DtmfFrame):
                    self._barge_in()
                    await send.send(_Key(frame.digit, frame.t))
                    continue
                if self.recorder is not None:
                    self.recorder.caller(frame.t, frame.pcm)
                self.meter.frame(frame.t, len(frame.pcm) / 16000, anyio.current_time())
                await self._listen_to(frame, send)
            last = await self.listener.close()
            if last is not None:
                await send.send(_Said(last))
            await send.send(_Closed(self.clock.now()))

    async def _listen_to(self, frame: AudioFrame, send: MemoryObjectSendStream[_Input]) -> None:
        for event in await self.listener.feed(frame.pcm):
            if isinstance(event, SpeechStarted):
                self._barge_in()
                await send.send(_Speech(event.at))
            elif isinstance(event, Heard):
                await send.send(_Said(event))

    def _barge_in(self) -> None:
        if self._playing:
            self.media.interrupt()

    # ---- the conversation ----------------------------------------------------------------------

    async def _converse(self, recv: MemoryObjectReceiveStream[_Input]) -> None:
        pending: deque[Command] = deque(self.engine.start(0.0))
        interrupted = False
        while pending:
            cmd = pending.popleft()
            if isinstance(cmd, Say):
                if not interrupted:
                    interrupted = await self._say(cmd, pending)
            elif isinstance(cmd, Listen):
                interrupted = False
                more = await self._listen(cmd, recv)
                if more is None:
                    return
                pending = deque(more)
            else:
                await self._act(cmd)

    async def _say(self, cmd: Say, pending: deque[Command]) -> bool:
        listen = next((c for c in pending if isinstance(c, Listen)), None)
        if listen is not None:
            # Speech over this prompt is recognised with the grammar of the answer it expects.
            self._expect(listen.phrases)
        from orchestrator.prompt_audio import prompt_pcm

        pcm, made = await prompt_pcm(self.svc.prompts, self.svc.script, cmd.prompt_id,
                                     cmd.text, self.engine.values)
        if made:  # the customer waited for synthesis (the dialer renders prompts ahead)
            self.conv.synthesised_in_call.append(cmd.prompt_id)
        start = self.clock.now()
        if self._pending_reply is not None:
            eot_delay, received = self._pending_reply
            self.conv.latencies_s.append(round(eot_delay + start - received, 3))
            self._pending_reply = None
        self._playing = True
        if self.conv.first_word_at is None:
            self.conv.first_word_at = anyio.current_time()
        try:
            played = await self.media.play(pcm)
        except anyio.get_cancelled_exc_class():
            # Stopped mid-prompt (a second Ctrl-C): what was said until now stays in the
            # transcript and the recording.
            ms = min(len(pcm) // 16, int((self.clock.now() - start) * 1000))
            self._said(cmd, start, pcm, PlayResult(ms, len(pcm) // 16, True))
            raise
        finally:
            self._playing = False
        self._said(cmd, start, pcm, played)
        if played.interrupted:
            self.engine.handle(Interrupted(self.clock.now(), played.played_ms))
        return played.interrupted

    def _said(self, cmd: Say, start: float, pcm: bytes, played: PlayResult) -> None:
        if self.recorder is not None:
            self.recorder.robot(start, pcm[: played.played_ms * 16])
        text = cmd.text if not played.interrupted else f"{cmd.text} [cut at {played.played_ms} ms]"
        self.conv.turns.append(
            TurnRecord("robot", text, start, round(start + played.played_ms / 1000, 3),
                       prompt_id=cmd.prompt_id, state=self.engine.state)
        )  # fmt: skip

    async def _listen(
        self, cmd: Listen, recv: MemoryObjectReceiveStream[_Input]
    ) -> list[Command] | None:
        """Wait for the answer; the engine's next commands, or None when the line closed."""
        cfg = self.svc.config
        self._expect(cmd.phrases)
        item: _Input | None = None
        with anyio.move_on_after(cmd.timeout_s / cfg.speed):
            item = await recv.receive()
        late = self.meter.lag_s(anyio.current_time())
        if item is None and late > 0.05:
            # Silence is judged on the caller's audio, not the wall clock: a call hearing late
            # first waits for the audio it has not heard yet.
            with anyio.move_on_after(min(late, self.meter.limits.degraded_lag_s)):
                item = await recv.receive()
        reason = self.meter.degraded(anyio.current_time())
        if reason is not None:
            await self._degrade(reason, item)
            return None
        if item is None:
            now = self.clock.now()
            self.conv.turns.append(
                TurnRecord("system", f"(no answer for {cmd.timeout_s:g} s)",
                           round(now - cmd.timeout_s, 3), now, intent="silence",
                           state=self.engine.state)
            )  # fmt: skip
            return self.engine.handle(Silence(now))
        if isinstance(item, _Speech):
            # The caller is speaking: wait for the end of the turn (bounded), not the timeout.
            return await self._listen(Listen(cmd.phrases, cfg.max_utterance_s), recv)
        if isinstance(item, _Key):
            return self._heard_key(item)
        if isinstance(item, _Closed):
            self.conv.hung_up = True
            for after in self.engine.handle(HangUp(item.t)):
                await self._act(after)  # an opt-out they were asked to confirm is kept
            return None
        return await self._heard(item.utterance)

    async def _degrade(self, reason: str, item: _Input | None) -> None:
        """The call's hearing fell behind or lost audio: what it heard may be wrong, so no
        decision is taken from it. The transcript keeps it; the caller hears the apology."""
        now = self.clock.now()
        if isinstance(item, _Said) and item.utterance.result.text:
            utt = item.utterance
            self.conv.turns.append(TurnRecord(
                "customer", f"{utt.result.text} [not acted on: degraded audio]",
                round(utt.started_at, 3), round(utt.speech_end, 3),
                confidence=round(utt.result.confidence, 3), state=self.engine.state,
            ))  # fmt: skip
        self.conv.turns.append(TurnRecord(
            "system", f"(degraded audio: {reason}; ended without a decision)", now, now,
            state=self.engine.state))  # fmt: skip
        log.info("call %s degraded: %s", self.attempt_id, reason)
        self.conv.outcome, self.conv.degraded, self.conv.transfer_queue = "degraded", reason, None
        if isinstance(item, _Closed):
            self.conv.hung_up = True
        else:
            await self._apologise()

    def _expect(self, phrases: list[str]) -> None:
        # A new grammar restarts the recogniser: never do it again for the same answer, or the
        # words of a caller who is already speaking would be lost.
        if phrases != self._grammar:
            self._grammar = list(phrases)
            self.listener.expect(phrases)

    async def _heard(self, utt: Heard) -> list[Command]:
        # Judged as `script run --audio` judges it: a doubtful hearing gets costly outcomes
        # confirmed by the engine instead of taken (asr_models.hearing); a clear grammar hearing
        # that would take one at once is checked by a free decode of the turn first
        # (orchestrator.hearing_check).
        hearing = replace(judge(utt.result, forced_grammar(self.svc.asr, self._grammar),
                                self.svc.script.model.defaults.confirm_below), audio=utt.audio)
        began = time.perf_counter()
        checking = self.svc.config.hearing_check and self._grammar and self.svc.asr.streaming
        checker = self.svc.asr if checking else None
        hearing = await checked_hearing(checker, hearing, self.engine, self.svc.checks)
        # A doubtful or unmatched hearing that may hide a stop-calling request: decoded again
        # with the opt-out words as a hint (Whisper), read only to ask the opt-out question.
        again = await heard_again(self.svc.asr, hearing, self.engine, self.svc.checks)
        if hearing.why.startswith("a free"):  # the customer's words stay out of the log
            log.info("call %s: a costly hearing was not confirmed by the free decode",
                     self.attempt_id)
        elif hearing.why == BUSY:
            log.info("call %s: the free check was busy; a costly hearing is confirmed instead",
                     self.attempt_id)
        check_s = time.perf_counter() - began
        # The caller also waits for the final decode (Whisper decodes the whole utterance now)
        # and for the check.
        eot = (max(0.0, utt.decided_at - utt.speech_end)
               + (utt.decode_s + check_s) * self.clock.speed)
        self._pending_reply = (eot, self.clock.now())
        self.conv.turns.append(
            TurnRecord("customer", hearing.text, round(utt.started_at, 3),
                       round(utt.speech_end, 3), confidence=round(hearing.confidence, 3),
                       state=self.engine.state)
        )  # fmt: skip
        said = Utterance(hearing.text, hearing.confidence, utt.speech_end, hearing.doubtful,
                         again)
        return self._note_intents(self.engine.handle(said))

    def _heard_key(self, key: _Key) -> list[Command]:
        self.conv.turns.append(
            TurnRecord("customer", f"DTMF {key.digit}", key.t, key.t, state=self.engine.state)
        )
        return self._note_intents(self.engine.handle(Dtmf(key.digit, key.t)))

    def _note_intents(self, commands: list[Command]) -> list[Command]:
        for c in commands:
            if isinstance(c, IntentRecognised) and self.conv.turns:
                last = self.conv.turns[-1]
                self.conv.turns[-1] = TurnRecord(
                    last.speaker, last.text, last.start_s, last.end_s, last.confidence,
                    c.intent + (" (uncertain)" if c.uncertain else ""), last.prompt_id,
                    last.state,
                )  # fmt: skip
        return [c for c in commands if not isinstance(c, IntentRecognised)]

    async def _act(self, cmd: Command) -> None:
        if isinstance(cmd, Transfer):
            self.conv.transfer_queue = cmd.queue
        elif isinstance(cmd, ScheduleCallback):
            self.conv.callback_hint = cmd.when_hint
        elif isinstance(cmd, OptOut):
            self.conv.opt_out = True
            if self.svc.on_opt_out is not None:
                # On the do-not-call list before the goodbye is even said.
                with anyio.CancelScope(shield=True):
                    await self.svc.on_opt_out(self.attempt_id, self.phone)
        elif isinstance(cmd, EndCall):
            self.conv.outcome = cmd.outcome
