"""The script format as pydantic models: what a YAML dialog script may contain (docs/scripts.md).

Only the shape is checked here; the graph rules (targets exist, every state reachable, a way out
everywhere, variables declared) live in checker.py so they can all be reported at once.
"""

from __future__ import annotations

from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

# How a call ends: a name of the outcome vocabulary, which the retry policy owns (the
# orchestrator hands its script names to the checker: check_script(..., outcomes=...)).
# "hung_up" is never a script outcome: the engine sets it when the customer hangs up before a
# terminal state.
Outcome = str
HUNG_UP = "hung_up"
Tier = Literal["hot", "warm", "cold", "do-not-call"]
TIERS: tuple[str, ...] = get_args(Tier)
Signal = Literal["silence", "no_match", "uncertain", "interrupted"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)


class IntentDef(_Strict):
    """What the customer may mean, and the words that say it."""

    phrases: list[str] = Field(default_factory=list)  # recogniser grammar + text cues
    keywords: list[str] = Field(default_factory=list)  # extra text cues, not in the grammar
    negated: str | None = None  # the intent meant when a cue is negated ("not interested")
    priority: int = 0  # wins over longer cues when several intents are heard (opt-out: high)


class Route(_Strict):
    """What an intent does in a state: go to another state, or answer and ask again."""

    goto: str | None = None
    reply: str | None = None
    score: int = 0
    note: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        # `yes: reason` is the short form of `yes: {goto: reason}`.
        return {"goto": value} if isinstance(value, str) else value

    @model_validator(mode="after")
    def _one_action(self) -> Route:
        if (self.goto is None) == (self.reply is None):
            raise ValueError("give exactly one of `goto` (a state) or `reply` (a prompt)")
        return self


class Retry(_Strict):
    """Reprompt handling for silence or a no-match answer."""

    max: int = Field(default=2, ge=0, le=5)
    prompt: str | None = None  # said before the state's question is asked again
    then: str | None = None  # the state to go to once `max` reprompts are used up


class StateDef(_Strict):
    """One step of the call. A state with `outcome` is terminal: it says `say` and ends the call."""

    say: str
    reprompt: str | None = None  # a shorter question for asking again (default: `say`)
    on: dict[str, Route] = Field(default_factory=dict)
    silence: Retry | None = None
    no_match: Retry | None = None
    timeout_s: float | None = Field(default=None, gt=0, le=60)
    outcome: Outcome | None = None
    queue: str | None = None  # agent queue, for outcome: transfer


# Outcomes that cost the customer or the bank if taken on a misheard answer: an opt-out cannot be
# undone, a transfer takes an agent, a lead (interested, callback) calls the customer again.
COSTLY_OUTCOMES: tuple[str, ...] = ("opt_out", "transfer", "interested", "callback")


class Confirm(_Strict):
    """How a costly outcome taken on a doubtful hearing is confirmed (docs/dialogs.md)."""

    ask: str  # a yes/no question, e.g. "Just to confirm: you'd like us to stop calling you?"
    again: str | None = None  # asked once more when the answer is unclear (default: `ask`)
    unclear: str  # the state a still-unclear answer ends in (never the costly outcome itself)


class VoiceDef(_Strict):
    """Who speaks the prompts: `voice: cmn` (an espeak-ng voice) is short for
    `voice: {engine: espeak, name: cmn}`; `voice: {engine: kokoro, name: jm_kumo}` is Kokoro."""

    engine: Literal["espeak", "kokoro"] = "espeak"
    name: str
    speed: float = Field(default=1.0, ge=0.5, le=2.0)  # pace (1.0: the engine's own)

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        return {"engine": "espeak", "name": value} if isinstance(value, str) else value


class RecordedPart(_Strict):
    """One piece of a recorded prompt: a WAV file (relative to the script file) or text that the
    script's voice synthesises (typically a variable: `say: "{name}"`)."""

    wav: str | None = None
    say: str | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> RecordedPart:
        if (self.wav is None) == (self.say is None):
            raise ValueError("give exactly one of `wav` (a recorded file) or `say` (text)")
        return self


class Defaults(_Strict):
    listen_timeout_s: float = Field(default=6.0, gt=0, le=60)
    min_confidence: float = Field(default=0.5, ge=0, le=1)
    # A costly outcome heard with confidence under this (or marked doubtful) is confirmed first.
    confirm_below: float = Field(default=0.0, ge=0, le=1)
    max_turns: int = Field(default=12, ge=1, le=100)
    max_turns_then: str | None = None
    silence: Retry = Field(default_factory=Retry)
    no_match: Retry = Field(default_factory=Retry)


class Tiers(_Strict):
    hot: int = Field(default=70, ge=0, le=100)
    warm: int = Field(default=40, ge=0, le=100)

    @model_validator(mode="after")
    def _ordered(self) -> Tiers:
        if self.warm > self.hot:
            raise ValueError("the warm threshold must not be above the hot threshold")
        return self


class Scoring(_Strict):
    base: int = Field(default=0, ge=0, le=100)
    outcomes: dict[Outcome, int] = Field(default_factory=dict)
    signals: dict[Signal, int] = Field(default_factory=dict)
    tiers: Tiers = Field(default_factory=Tiers)
    grades: dict[Tier, str] = Field(default_factory=dict)


class ScriptModel(_Strict):
    name: str
    language: str
    voice: VoiceDef
    # Readings the synthesiser gets wrong, as pinyin with tone numbers: {还款: huan2 kuan3}.
    pronounce: dict[str, str] = Field(default_factory=dict)
    description: str = ""
    on_behalf_of: str  # who the robot calls for; the first prompt must say it
    variables: dict[str, str | None] = Field(default_factory=dict)  # name -> default
    start: str
    defaults: Defaults = Field(default_factory=Defaults)
    intents: dict[str, IntentDef]
    global_intents: dict[str, Route] = Field(default_factory=dict)
    dtmf: dict[str, str] = Field(default_factory=dict)  # key -> intent
    confirm: dict[str, Confirm] = Field(default_factory=dict)  # costly outcome -> confirmation
    states: dict[str, StateDef]
    scoring: Scoring = Field(default_factory=Scoring)
    # Prompt id -> what is played instead of synthesising its text: a WAV, or WAVs around
    # synthesised parts ([{wav: a.wav}, {say: "{name}"}, {wav: b.wav}]). docs/scripts.md.
    recordings: dict[str, list[RecordedPart]] = Field(default_factory=dict)
    # Said when the call cannot go on (a failure on our side); fixed text, synthesised before the
    # first dial. None: the built-in line for the script's language (dialogs.script.APOLOGIES).
    apology: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _variable_list(cls, value: Any) -> Any:
        # `variables: [name, bank]` is the short form of a mapping with no defaults.
        if isinstance(value, dict) and isinstance(value.get("variables"), list):
            value = {**value, "variables": dict.fromkeys(value["variables"])}
        # `recordings: {reason: reason.wav}` is the short form of `[{wav: reason.wav}]`.
        if isinstance(value, dict) and isinstance(value.get("recordings"), dict):
            value = {**value, "recordings": {
                k: [{"wav": v}] if isinstance(v, str) else v
                for k, v in value["recordings"].items()}}
        return value
