"""What flows through the dialog engine: events in (from the call) and commands out (to the call).

All are frozen dataclasses so a conversation is plain data: easy to log, compare and replay.
Times are seconds on whatever clock the caller uses; the engine never reads a clock itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# ---- events: what happened on the call ---------------------------------------------------------


@dataclass(frozen=True)
class Utterance:
    """A final recognition result: the customer said `text` with recogniser `confidence` (0..1)."""

    text: str
    confidence: float = 1.0
    t: float = 0.0
    doubtful: bool = False  # the recogniser doubts its own hearing (costly outcomes are confirmed)
    # The same audio decoded again with the script's opt-out words as a hint (`opt_out_hint`):
    # read only as a possible refusal, to ask the opt-out question; never acted on otherwise.
    again: str = ""


@dataclass(frozen=True)
class Silence:
    """The listen timeout passed with no speech."""

    t: float = 0.0


@dataclass(frozen=True)
class Dtmf:
    """The customer pressed a key ("0"-"9", "*", "#")."""

    digit: str
    t: float = 0.0


@dataclass(frozen=True)
class Interrupted:
    """The customer started speaking over a prompt after `played_ms` of it (barge-in)."""

    t: float = 0.0
    played_ms: int = 0


@dataclass(frozen=True)
class HangUp:
    """The customer hung up (or the line dropped)."""

    t: float = 0.0


Event = Utterance | Silence | Dtmf | Interrupted | HangUp

# ---- commands: what the call should do next, in order ------------------------------------------


@dataclass(frozen=True)
class IntentRecognised:
    """How the engine understood one customer turn (for the transcript); always comes first.

    `intent` is "no_match" when nothing fitted; `uncertain` is set when the recogniser's confidence
    was under the script's threshold (the engine then asks again instead of acting on it).
    `cue` and `rule` say why (the words that matched, the rule that fired); `doubtful` is set when
    the hearing or the match was doubtful (a costly outcome is then confirmed first).
    """

    intent: str
    text: str
    confidence: float
    uncertain: bool = False
    negated: bool = False
    cue: str | None = None
    rule: str = ""
    doubtful: bool = False


@dataclass(frozen=True)
class Say:
    """Play a prompt. `text` is already rendered with the contact's variables."""

    prompt_id: str
    text: str


@dataclass(frozen=True)
class Listen:
    """Listen for an answer; `phrases` is the recogniser grammar for the current state."""

    phrases: list[str] = field(default_factory=list)
    timeout_s: float = 6.0


@dataclass(frozen=True)
class Transfer:
    """Hand the live call to an agent queue. Ends the robot's part (no EndCall follows)."""

    queue: str


@dataclass(frozen=True)
class ScheduleCallback:
    """Call again later; `when_hint` is what the customer said about when (may be empty)."""

    when_hint: str


@dataclass(frozen=True)
class OptOut:
    """Put the number on the do-not-call list now."""


@dataclass(frozen=True)
class EndCall:
    """Hang up with `outcome` (one of OUTCOMES).

    Named EndCall, not HangUp, because HangUp is already the event "the customer hung up".
    """

    outcome: str


Command = IntentRecognised | Say | Listen | Transfer | ScheduleCallback | OptOut | EndCall
