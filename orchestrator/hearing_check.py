"""Which hearings a live call checks a second time before the dialog acts on them.

The grammar decoder (vosk with the state's phrases) cannot say "none of these": a clear hearing
of an expected phrase may be speech the script never expected. Only a hearing the dialog would
turn into a costly outcome at once (an opt-out, a transfer, a lead: `DialogEngine.costly_if_heard`)
is checked, by a free-vocabulary decode of the same turn (`asr_models.cross_check`); it stands
when the free transcript has its words, else the dialog is told it is doubtful and confirms.
Doubtful hearings are confirmed already and everything else is cheap to get wrong, so the extra
decode runs on few turns (the cost is in docs/benchmarks.md, "Spoken screening and its cost").

A check is a free decode at about real time on one core, and in a campaign many customers reach
the offer together: checks queued behind each other made replies wait seconds. `CheckGate` bounds
the checks in flight per worker process; a costly hearing that finds the gate full is not checked
and not taken either: it is marked doubtful, so the dialog asks its confirmation question (the
same question a doubtful hearing gets), which costs a turn instead of a wait (docs/speech.md).

A recogniser that takes hints (Whisper) also decodes a doubtful or unmatched hearing again with
the script's opt-out words as a hint (`heard_again`): a stop-calling request it wrote as other
words may come out as them, and the dialog then asks the opt-out question.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

from asr_models.audio import TELEPHONY_RATE
from asr_models.cross_check import cross_check
from asr_models.hearing import Hearing
from asr_models.recogniser import Recogniser
from dialogs import DialogEngine

BUSY = "the free check was busy (checks in flight at the limit): confirmed instead"


class CheckGate:
    """At most `at_once` second decodes (free checks, hint decodes) in flight in this worker
    process (0: none, every costly hearing is confirmed; a large number: every check waits its
    turn, the old behaviour)."""

    def __init__(self, at_once: int) -> None:
        if at_once < 0:
            raise ValueError(f"checks at once must be 0 or more, not {at_once}")
        self.at_once = at_once
        self.in_flight = 0
        self.checked = 0  # free checks run
        self.confirmed = 0  # costly hearings sent to a confirmation because the gate was full

    @contextmanager
    def place(self) -> Iterator[bool]:
        """A place for one decode while the block runs (True), or False when all are in use
        (nothing taken)."""
        if self.in_flight >= self.at_once:
            yield False
            return
        self.in_flight += 1
        try:
            yield True
        finally:
            self.in_flight -= 1


def needs_check(heard: Hearing, engine: DialogEngine) -> bool:
    """A clear hearing that would take a costly outcome now, without a question."""
    return bool(heard.text) and not heard.doubtful and (
        engine.costly_if_heard(heard.text) is not None)


async def checked_hearing(checker: Recogniser | None, heard: Hearing, engine: DialogEngine,
                          gate: CheckGate | None = None) -> Hearing:
    """`heard`, made doubtful when it needs a check and `checker`'s free decode disagrees, or
    when it needs one and `gate` has no place for it now (the dialog then confirms)."""
    if checker is None or not needs_check(heard, engine):
        return heard
    gate = gate if gate is not None else CheckGate(sys.maxsize)
    with gate.place() as free:
        if not free:
            gate.confirmed += 1
            return replace(heard, doubtful=True, why=BUSY)
        gate.checked += 1
        checked, _ = await cross_check(checker, heard)
    return checked


async def heard_again(asr: Recogniser, heard: Hearing, engine: DialogEngine,
                      gate: CheckGate | None = None) -> str:
    """The turn decoded a second time with the script's opt-out words as a hint, when the
    dialog would read it (`DialogEngine.opt_out_hint`: a doubtful or unmatched hearing that
    would not reach the opt-out) and the recogniser takes hints (Whisper); else "". The dialog
    reads it only to ask the opt-out question, never to take an outcome (docs/speech.md).
    It is a second decode like the free check and shares its `gate`: when the gate is full it is
    skipped (""), so the dialog goes on as without the hint instead of every call waiting."""
    hint = engine.opt_out_hint(heard.text, heard.confidence, heard.doubtful)
    hear = getattr(asr, "hear_with_hint", None)
    if not hint or not heard.audio or hear is None:
        return ""
    with (gate if gate is not None else CheckGate(sys.maxsize)).place() as free:
        return str(await hear(heard.audio, TELEPHONY_RATE, hint)) if free else ""
