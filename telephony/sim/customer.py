"""A simulated customer: hears the robot over any `Media`, answers like a person would.

Everything is decided on call time (the `t` of the frames it hears), never on wall time, so the
same conversation happens over the in-process link at any speed and over a real AudioSocket call.
Each 20 ms frame goes through an energy gate and webrtcvad; a run of speech is a robot prompt, which
ends after `end_silence_s` without speech. The customer then waits the persona's pause and says
its next reply, or barges in part-way through the first prompt if the persona does. A prompt
it knows as one of the robot's confirmation questions (`questions.QuestionBook`) it answers as
its persona implies (`Persona.confirm_reply`), without using up a reply.
"""

from __future__ import annotations

import logging
import math
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import anyio
import webrtcvad
from anyio.abc import TaskGroup

from telephony.base import SAMPLE_RATE, AudioFrame, Media
from telephony.sim.personas import Persona
from telephony.sim.questions import QuestionBook, is_speech, trimmed

log = logging.getLogger(__name__)

Speak = Callable[[str, str], Awaitable[bytes]]


@dataclass(frozen=True)
class Heard:
    """A robot prompt as the customer perceived it, in call seconds."""

    start: float
    end: float
    question: str | None = None  # the confirmation question it was known as, if any


@dataclass(frozen=True)
class Said:
    text: str
    start: float  # call time when the customer began
    played_ms: int
    interrupted: bool
    barge_in: bool
    answers: str | None = None  # the confirmation question this answered, if any


@dataclass
class CustomerRecord:
    heard: list[Heard] = field(default_factory=list)
    said: list[Said] = field(default_factory=list)
    hung_up: bool = False


class SimulatedCustomer:
    """`await customer.converse(media)` runs one call until either side hangs up."""

    def __init__(
        self,
        persona: Persona,
        language: str,
        speak: Speak,
        speed: float = 1.0,
        *,
        seed: int | str = 0,
        end_silence_s: float = 0.7,
        vad_mode: int = 2,
        hello: str | None = None,
        questions: QuestionBook | None = None,
    ) -> None:
        self.persona = persona
        self.language = language
        self.record = CustomerRecord()
        self._replies = list(persona.replies_in(language))
        self._speak = speak
        # Wall-clock guard only: a line that delivers no frames for this long is dead.
        self._stall_s = 30.0 / speed if not math.isinf(speed) else 30.0
        self._rng = random.Random(f"{seed}:{persona.name}")
        self._end_silence = end_silence_s
        self._vad = webrtcvad.Vad(vad_mode)
        self._pcm: dict[str, bytes] = {}
        self._now = 0.0
        self._prompt_start: float | None = None
        self._last_speech = 0.0
        self._answered_from: float | None = None  # a prompt starting before this is answered
        self._due: float | None = None  # call time of our next answer
        self._speaking = False
        self._hang_up = False
        self._replies_used = 0
        # What a person says on picking up ("여보세요"): on a real line answering-machine
        # detection listens first, and a silent pick-up sounds like a machine to it.
        self._hello = hello if not persona.greeting_in(language) else None
        self._book = questions
        self._flags: list[bool] = []  # speech or not, per frame of the prompt being heard
        self._asked: str | None = None  # the confirmation question to answer next, if any

    async def converse(self, media: Media) -> CustomerRecord:
        await self._prepare()
        async with anyio.create_task_group() as tg:
            greeting = self.persona.greeting_in(self.language) or self._hello
            if greeting:
                self._start_saying(tg, media, greeting, barge_in=False)
            await self._listen(tg, media)
            tg.cancel_scope.cancel()
        if self._hang_up and not media.closed:
            hangup = getattr(media, "hangup", None)
            if hangup is not None:
                await hangup()
                self.record.hung_up = True
        return self.record

    async def _prepare(self) -> None:
        """Synthesise every phrase up front: a person does not think for 200 ms of TTS."""
        texts = set(self._replies) | set(self.persona.confirm_replies(self.language))
        greeting = self.persona.greeting_in(self.language) or self._hello
        if greeting:
            texts.add(greeting)
        for text in sorted(texts):
            self._pcm[text] = await self._speak(text, self.language)

    async def _listen(self, tg: TaskGroup, media: Media) -> None:
        frames = media.inbound()
        while not self._hang_up:
            with anyio.move_on_after(self._stall_s) as stall:
                frame = await anext(frames, None)
            if stall.cancelled_caught or frame is None:
                return  # the call ended (or the line went dead)
            if not isinstance(frame, AudioFrame):
                continue
            self._now = frame.t + len(frame.pcm) / (2 * SAMPLE_RATE)
            self._hear(frame.pcm)
            self._act(tg, media)

    def _hear(self, pcm: bytes) -> None:
        speech = is_speech(self._vad, pcm)
        if self._prompt_start is not None:
            self._flags.append(speech)
        if speech:
            if self._prompt_start is None:
                self._prompt_start = self._now - len(pcm) / (2 * SAMPLE_RATE)
                self._due = None  # the robot went on talking during our pause: hear it out
                self._flags = [True]
            self._last_speech = self._now
        elif self._prompt_start is not None and self._now - self._last_speech >= self._end_silence:
            kind = self._book.recognise(trimmed(self._flags)) if self._book else None
            self._prompt_ended(Heard(self._prompt_start, self._last_speech, kind))
            self._prompt_start = None

    def _prompt_ended(self, heard: Heard) -> None:
        self.record.heard.append(heard)
        self._asked = heard.question
        if self._answered_from is not None and heard.start < self._answered_from:
            return  # we already answered this one by barging in
        # The pause runs from when the customer noticed the end, as a person's would.
        self._due = self._now + self._rng.uniform(*self.persona.pause_s)

    def _next_reply(self) -> str | None:
        if self._replies_used < len(self._replies):
            self._replies_used += 1
            return self._replies[self._replies_used - 1]
        if self.persona.when_done == "repeat" and self._replies:
            return self._replies[-1]
        if self.persona.when_done == "hang_up":
            return None
        return ""  # silent: nothing more to say

    def _act(self, tg: TaskGroup, media: Media) -> None:
        if self._speaking:
            return
        if self._should_barge_in():
            self._answered_from = self._now
            text = self._next_reply()
            if text:
                self._start_saying(tg, media, text, barge_in=True)
            return
        if self._due is not None and self._now >= self._due:
            self._due = None
            asked, self._asked = self._asked, None
            answer = self.persona.confirm_reply(asked, self.language) if asked else None
            if answer is not None:  # a confirmation question: answered, no reply used up
                self._start_saying(tg, media, answer, barge_in=False, answers=asked)
                return
            text = self._next_reply()
            if text is None:
                self._hang_up = True
            elif text:
                self._start_saying(tg, media, text, barge_in=False)

    def _should_barge_in(self) -> bool:
        after = self.persona.barge_in_after_s
        return (
            after is not None
            and self._answered_from is None
            and not self.record.heard  # only the robot's first prompt
            and self._prompt_start is not None
            and self._now - self._prompt_start >= after
        )

    def _start_saying(self, tg: TaskGroup, media: Media, text: str, *, barge_in: bool,
                      answers: str | None = None) -> None:  # fmt: skip
        self._speaking = True
        tg.start_soon(self._say, media, text, barge_in, self._now, answers)

    async def _say(self, media: Media, text: str, barge_in: bool, start: float,
                   answers: str | None = None) -> None:  # fmt: skip
        try:
            result = await media.play(self._pcm[text])
            self.record.said.append(
                Said(text, start, result.played_ms, result.interrupted, barge_in, answers)
            )
            log.debug("simulated %s said %r at %.2f s", self.persona.name, text, start)
        finally:
            self._speaking = False
