"""The dialog engine: a pure state machine that turns call events into commands for the call.

No I/O and no clock: the session feeds events (with their times) and performs the commands.
The states and transitions come from the script and live in a `transitions.Machine`; the engine
adds what a machine does not know: reprompt counters, the turn limit, intents and the score.
Termination is guaranteed: every turn counts towards `defaults.max_turns`, after which the
machine is sent to `defaults.max_turns_then` (a terminal state, enforced by the checker).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace

from transitions import Machine

from dialogs.errors import DialogError
from dialogs.intents import NO_MATCH, IntentClassifier
from dialogs.messages import (
    Command,
    Dtmf,
    EndCall,
    Event,
    HangUp,
    IntentRecognised,
    Interrupted,
    Listen,
    OptOut,
    Say,
    ScheduleCallback,
    Silence,
    Transfer,
    Utterance,
)
from dialogs.schema import COSTLY_OUTCOMES, HUNG_UP, Retry
from dialogs.scoring import LeadScore, ScoreKeeper
from dialogs.script import Script, render_template


@dataclass(frozen=True)
class _Pending:
    """A costly answer waiting for the customer's yes."""

    intent: str
    outcome: str
    asked_again: bool = False
    instead: str | None = None  # asked as a possible opt-out: the intent heard, acted on at "no"
    offered: bool = False  # the robot offered the opt-out question; the customer did not ask


class _Model:
    """What transitions drives: it only holds `state` (the machine adds `trigger`)."""

    state: str


class DialogEngine:
    """One call's dialog. `start()` once, then `handle(event)` until `finished`."""

    def __init__(self, script: Script, variables: Mapping[str, str] | None = None) -> None:
        self.script = script
        self._values = script.resolve_variables(variables or {})
        self._classifier = IntentClassifier(script.language, script.intents)
        self._model = _Model()
        self._machine = Machine(
            model=self._model,
            states=list(script.states),
            initial=script.start,
            auto_transitions=False,
        )
        self._add_transitions()
        self._started = False
        self._retries = {"silence": 0, "no_match": 0}
        self._scores = ScoreKeeper(script.model.scoring)
        self._last_text = ""
        self._pending: _Pending | None = None
        self.finished = False
        self.outcome: str | None = None
        self.turns = 0
        self.last_intent: str | None = None

    @property
    def state(self) -> str:
        return self._model.state

    @property
    def values(self) -> Mapping[str, str]:
        """The variables the prompts are rendered with (the contact's, else the defaults)."""
        return self._values

    def score(self) -> LeadScore:
        """The lead score so far (final once `finished`)."""
        return self._scores.score(self.outcome)

    @property
    def confirming(self) -> str | None:
        """The intent whose costly outcome is being confirmed (a yes/no question), or None."""
        return self._pending.intent if self._pending is not None else None

    def costly_if_heard(self, text: str) -> str | None:
        """The costly outcome (opt-out, transfer, lead) a clear hearing of `text` would take now,
        at once; None otherwise, and while confirming (the question is the check). Pure: the
        call session checks such a hearing a second time before handing it over
        (docs/speech.md)."""
        if self._pending is not None:
            return None
        c = self._classifier.classify(text, self._valid_now(), 1.0, 0.0, self._questions_now())
        if c.intent == NO_MATCH or c.asked or self._mixed(c.intent, c.also):
            return None
        return self._costly(c.intent)

    def opt_out_hint(self, text: str, confidence: float, doubtful: bool) -> list[str]:
        """The script's opt-out words, the hint for a second decode of this hearing, when it
        is doubtful or matched nothing and would neither take, confirm nor ask about an opt-out
        here; else [] (pure: the call session decodes again only then; docs/speech.md)."""
        d = self.script.model.defaults
        askable = "opt_out" in self.script.model.confirm and "opt_out" in self._valid_now()
        if self._pending is not None or not askable or not text.strip():
            return []
        c = self._classifier.classify(text, self._valid_now(), 1.0, 0.0, self._questions_now())
        unsure = doubtful or confidence < max(d.confirm_below, d.min_confidence)
        if c.intent == "opt_out" or not (unsure or c.intent == NO_MATCH):
            return []
        return [] if self._refused(text, True) is not None else self._classifier.opt_out_words()

    def start(self, t: float = 0.0, at: str | None = None) -> list[Command]:
        """The call was answered at `t`: the first prompt and what to listen for.

        `at` starts in another (non-terminal) state instead of the script's start, to try one
        step on its own (`script eval` puts every corpus answer in its state this way).
        """
        if self._started:
            raise DialogError("the dialog was already started; make one engine per call")
        if at is not None and at != self.state:
            if at not in self.script.states or self.script.is_terminal(at):
                raise DialogError(f"cannot start at {at!r}: not a question state of the script "
                                  f"(states: {', '.join(self._question_states())})")
            self._machine.set_state(at, model=self._model)
        self._started = True
        return self._enter(self.state)

    def _question_states(self) -> list[str]:
        return [s for s in self.script.states if not self.script.is_terminal(s)]

    def handle(self, event: Event) -> list[Command]:
        """What to do after `event`. Events after the end are ignored (an empty list)."""
        if not self._started:
            raise DialogError("handle() before start(): start the dialog when the call answers")
        if self.finished:
            return []
        match event:
            case Utterance(text=text, confidence=confidence, doubtful=doubtful, again=again):
                return self._turn(self._utterance(text, confidence, doubtful, again))
            case Dtmf(digit=digit):
                return self._turn(self._dtmf(digit))
            case Silence():
                self._last_text = ""
                if self._pending is not None:
                    return self._turn(self._unclear_confirmation())
                return self._turn(self._retry("silence"))
            case Interrupted(played_ms=played_ms):
                self._scores.signal("interrupted", f"after {played_ms} ms of '{self.state}'")
                return []
            case HangUp():
                return self._hung_up()
        raise DialogError(f"unknown event {event!r}")

    # ---- turns -------------------------------------------------------------------------------

    def _turn(self, commands: list[Command]) -> list[Command]:
        self.turns += 1
        if self.finished or self.turns < self.script.model.defaults.max_turns:
            return commands
        # Out of turns: keep what was understood, then close the call politely.
        kept: list[Command] = [c for c in commands if isinstance(c, IntentRecognised)]
        return kept + self._goto("max_turns")

    def _utterance(self, text: str, confidence: float, doubtful: bool,
                   again: str = "") -> list[Command]:
        self._last_text = text
        d = self.script.model.defaults
        valid = self._valid_now()
        c = self._classifier.classify(text, valid, confidence, d.min_confidence,
                                      self._questions_now())
        self.last_intent = c.intent
        doubt = (doubtful or c.asked or self._mixed(c.intent, c.also)
                 or confidence < max(d.confirm_below, d.min_confidence))
        heard = IntentRecognised(c.intent, text, confidence, c.uncertain, c.negated, c.cue,
                                 c.rule, doubt)
        if self._pending is not None:
            return [heard, *self._confirmation_answer(c.intent, doubt)]
        why = self._refused(text, doubtful or confidence < max(d.confirm_below, d.min_confidence))
        if why is None and again and self.opt_out_hint(text, confidence, doubtful):
            why = self._classifier.refusal_again(text, again, valid)
        if why is not None and c.intent != "opt_out":
            keep = c.intent != NO_MATCH and self._costly(c.intent) is None
            asked = replace(heard, rule=f"{c.rule}; {why} heard with doubt: asked to confirm")
            return [asked, *self._ask_opt_out(c.intent if keep else None)]
        if c.intent == NO_MATCH:
            return [heard, *self._retry("no_match")]
        if doubtful and self._ends_unasked(c.intent):
            return [heard, *self._ask_opt_out(c.intent)]
        if doubtful and self._costly(c.intent) not in (None, "opt_out") and self._jumble(text):
            return [heard, *self._ask_opt_out(None)]
        if self._costly(c.intent) is not None:
            return [heard, *self._costly_answer(c.intent, doubt, text, confidence)]
        if c.uncertain:
            # A doubtful answer is asked again rather than acted on.
            self._scores.signal("uncertain", f"'{text}' heard as {c.intent} at {confidence:.2f}")
            return [heard, *self._retry("no_match")]
        return [heard, *self._act(c.intent)]

    def _dtmf(self, digit: str) -> list[Command]:
        self._last_text = ""
        intent = self.script.model.dtmf.get(digit, NO_MATCH)
        if intent not in self._valid_now():
            intent = NO_MATCH
        self.last_intent = intent
        heard = IntentRecognised(intent, f"DTMF {digit}", 1.0, rule="key press")
        if self._pending is not None:
            return [heard, *self._confirmation_answer(intent, False)]
        if intent == NO_MATCH:
            return [heard, *self._retry("no_match")]
        return [heard, *self._act(intent)]

    # ---- confirming costly outcomes ----------------------------------------------------------

    def _questions_now(self) -> Collection[str]:
        """The intents the robot answers with a reply here (none while confirming)."""
        if self._pending is not None:
            return ()
        return {i for i, r in self.script.routes(self.state).items() if r.reply is not None}

    def _valid_now(self) -> Collection[str]:
        if self._pending is None:
            return self.script.routes(self.state)
        return {"yes", "no", "opt_out", self._pending.intent} & set(self.script.intents)

    def _mixed(self, intent: str, also: tuple[str, ...]) -> bool:
        """A weak match: the answer also said something that leads elsewhere ("sounds good but
        I'm busy"). An opt-out is the stronger wish and is not weakened by what came with it."""
        if self._pending is not None or intent in (NO_MATCH, "opt_out"):
            return False
        routes = self.script.routes(self.state)
        mine = routes[intent]
        return any(routes[o].goto != mine.goto or routes[o].reply != mine.reply
                   for o in also if o in routes)

    def _costly(self, intent: str) -> str | None:
        """The costly outcome (opt-out, transfer, lead) `intent` leads to in this state, if any."""
        target = self.script.routes(self.state)[intent].goto
        outcome = self.script.states[target].outcome if target is not None else None
        return outcome if outcome in COSTLY_OUTCOMES else None

    def _costly_answer(self, intent: str, doubt: bool, text: str,
                       confidence: float) -> list[Command]:
        """A clear costly answer is acted on at once; a doubtful one is confirmed first."""
        if not doubt:
            return self._act(intent)
        outcome = self._costly(intent) or ""
        rule = self.script.model.confirm.get(outcome)
        if confidence < max(self.script.model.defaults.confirm_below,
                            self.script.model.defaults.min_confidence):
            self._scores.signal("uncertain", f"'{text}' heard as {intent} at {confidence:.2f}")
        if rule is None:
            # No confirmation question in the script: ask the state's question again.
            return self._retry("no_match")
        self._pending = _Pending(intent, outcome)
        return [self._say(f"confirm.{outcome}", rule.ask), self._confirm_listen()]

    def _hung_up(self) -> list[Command]:
        """The customer hung up. Asked to confirm a stop-calling request they made (heard with
        doubt), hanging up is not a no: the opt-out is kept (docs/dialogs.md)."""
        pending, self._pending = self._pending, None
        if pending is not None and pending.intent == "opt_out" and not pending.offered:
            return [c for c in self._act("opt_out") if not isinstance(c, Say)]
        self.finished, self.outcome = True, HUNG_UP
        return []

    def _ends_unasked(self, intent: str) -> bool:
        """Would `intent` end the call without any question (not interested, wrong person)?

        A doubtful hearing that would hang up may be a stop-calling request the recogniser
        could not hear (it has no word for "그만"): the customer is asked the opt-out question
        instead of being hung up on, so an opt-out is not lost on a guess (docs/dialogs.md)."""
        if intent == "opt_out" or "opt_out" not in self.script.model.confirm:
            return False
        routes = self.script.routes(self.state)
        if "opt_out" not in routes:
            return False
        target = routes[intent].goto
        outcome = self.script.states[target].outcome if target is not None else None
        return outcome is not None and outcome not in COSTLY_OUTCOMES

    def _refused(self, text: str, doubtful: bool) -> str | None:
        """Why a doubtful hearing may be a refusal (마세요, 그만, 别, 不要, an opt-out cue's
        sound): it goes first, as the opt-out question, never an opt-out (docs/dialogs.md)."""
        ok = doubtful and "opt_out" in self.script.model.confirm
        ok = ok and "opt_out" in self.script.routes(self.state)
        return self._classifier.refusal(text) if ok else None

    def _jumble(self, text: str) -> bool:
        """Phrases of several intents in one hearing ("좋아요 나중에 아니요"): nobody talks so; it
        is speech the grammar could not hear, forced onto its words. Asked as a possible opt-out
        rather than confirmed as the lead or transfer one of those words would give."""
        hit = {i for i in self.script.routes(self.state)
               if any(p in text for p in self.script.intents[i].phrases)}
        return len(hit) > 1

    def _ask_opt_out(self, instead: str | None) -> list[Command]:
        self._pending = _Pending("opt_out", "opt_out", instead=instead, offered=True)
        rule = self.script.model.confirm["opt_out"]
        return [self._say("confirm.opt_out", rule.ask), self._confirm_listen()]

    def _confirmation_answer(self, intent: str, doubt: bool) -> list[Command]:
        pending = self._pending
        assert pending is not None
        if intent == "no" and not doubt and pending.instead is not None:
            self._pending = None
            return self._act(pending.instead)  # not an opt-out: what they said before, then
        if intent == "opt_out" and not doubt:
            self._pending = None
            return self._act("opt_out")  # a clear "stop calling me" is honoured at once
        if not doubt and (intent == "yes" or intent == pending.intent != "no"):
            self._pending = None
            return self._act(pending.intent)
        if intent == "no" and not doubt:
            self._pending = None
            return self._ask_again()
        return self._unclear_confirmation()

    def _unclear_confirmation(self) -> list[Command]:
        """Ask the confirmation once more; then end without the costly outcome."""
        pending = self._pending
        assert pending is not None
        rule = self.script.model.confirm[pending.outcome]
        if not pending.asked_again:
            self._pending = _Pending(pending.intent, pending.outcome, True, pending.instead,
                                     pending.offered)
            return [self._say(f"confirm.{pending.outcome}.again", rule.again or rule.ask),
                    self._confirm_listen()]
        self._pending = None
        if pending.instead is not None:
            return self._act(pending.instead)  # still unclear: the ending that was heard
        self._machine.set_state(rule.unclear, model=self._model)
        return self._enter(rule.unclear)

    def _confirm_listen(self) -> Listen:
        phrases: dict[str, None] = {}
        for intent in self._valid_now():
            phrases.update(dict.fromkeys(self.script.intents[intent].phrases))
        return Listen(list(phrases), self.script.model.defaults.listen_timeout_s)

    def _act(self, intent: str) -> list[Command]:
        state = self.state
        route = self.script.routes(state)[intent]
        reason = f"{state}: {intent}" + (f" ({route.note})" if route.note else "")
        self._scores.add(route.score, reason, once_key=f"{state}.{intent}")
        if route.reply is not None:
            owner = state if intent in self.script.states[state].on else "global"
            return [self._say(f"{owner}.{intent}", route.reply), *self._ask_again()]
        return self._goto(f"intent:{intent}")

    def _retry(self, kind: str) -> list[Command]:
        state = self.state
        self._retries[kind] += 1
        self._scores.signal(kind, f"in '{state}'")
        limit, prompt_id, prompt = self._retry_rule(kind)
        if self._retries[kind] > limit:
            return self._goto(kind)
        said = [self._say(prompt_id, prompt)] if prompt else []
        return [*said, *self._ask_again()]

    def _retry_rule(self, kind: str) -> tuple[int, str, str | None]:
        """(max reprompts, prompt id, prompt) for `kind`: the state's own, else the defaults."""
        st = self.script.states[self.state]
        own: Retry | None = getattr(st, kind)
        default: Retry = getattr(self.script.model.defaults, kind)
        given = own.model_fields_set if own is not None else set()
        limit = own.max if own is not None and "max" in given else default.max
        if own is not None and "prompt" in given:
            return limit, f"{self.state}.{kind}", own.prompt
        return limit, f"defaults.{kind}", default.prompt

    # ---- states ------------------------------------------------------------------------------

    def _goto(self, trigger: str) -> list[Command]:
        before = self.state
        self._model.trigger(trigger)  # type: ignore[attr-defined]  # added by transitions
        if self.state != before:
            self._retries = dict.fromkeys(self._retries, 0)
        return self._enter(self.state)

    def _enter(self, state: str) -> list[Command]:
        st = self.script.states[state]
        commands: list[Command] = [self._say(state, st.say)]
        if st.outcome is None:
            return [*commands, self._listen()]
        self.finished, self.outcome = True, st.outcome
        if st.outcome == "transfer":
            return [*commands, Transfer(st.queue or "")]
        if st.outcome == "callback":
            commands.append(ScheduleCallback(self._last_text))
        elif st.outcome == "opt_out":
            commands.append(OptOut())
        return [*commands, EndCall(st.outcome)]

    def _ask_again(self) -> list[Command]:
        st = self.script.states[self.state]
        if st.reprompt:
            return [self._say(f"{self.state}.reprompt", st.reprompt), self._listen()]
        return [self._say(self.state, st.say), self._listen()]

    def _listen(self) -> Listen:
        st = self.script.states[self.state]
        timeout = st.timeout_s or self.script.model.defaults.listen_timeout_s
        return Listen(self.script.grammar(self.state), timeout)

    def _say(self, prompt_id: str, template: str) -> Say:
        return Say(prompt_id, render_template(template, self._values))

    def _add_transitions(self) -> None:
        d = self.script.model.defaults
        for name, st in self.script.states.items():
            if st.outcome is not None:
                continue
            for intent, route in self.script.routes(name).items():
                if route.goto is not None:
                    self._machine.add_transition(f"intent:{intent}", name, route.goto)
            for kind, own, default in (("silence", st.silence, d.silence),
                                       ("no_match", st.no_match, d.no_match)):
                target = own.then if own is not None and own.then else default.then
                self._machine.add_transition(kind, name, target)
            self._machine.add_transition("max_turns", name, d.max_turns_then)
