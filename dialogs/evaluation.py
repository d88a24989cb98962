"""Screening evaluation: run a labelled corpus of everyday answers through the real engine.

Each answer is put to a fresh engine started in its state; the evaluator records the intent the
engine understood and what it then did (an outcome, a confirmation question, a reply, a move to
another question, or asking again), and judges it against what the labelled intent does in that
state. Harmful outcomes are the ones a customer would suffer: an opt-out, transfer or lead
(interested, callback) they did not ask for, and every opt-out answer that was not honoured or
confirmed. The corpus format is CORPUS_FORMAT (docs/dialogs.md, "Evaluation").

Hearing is pluggable: `evaluate(..., hear=...)` takes a function from a case to what the
recogniser heard (text, confidence, doubtful), so spoken evaluation reuses everything here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dialogs.engine import DialogEngine
from dialogs.errors import DialogError
from dialogs.intents import NO_MATCH
from dialogs.messages import Command, IntentRecognised, Say, Utterance
from dialogs.schema import COSTLY_OUTCOMES
from dialogs.script import Script
from dialogs.yamlsrc import YamlSyntaxError, load_with_lines

NONE = "none"  # the corpus label for an answer that means nothing the state expects


class CorpusError(DialogError):
    """A corpus file that cannot be used (one line: what is wrong, where)."""


@dataclass(frozen=True)
class Case:
    state: str
    expected: str  # an intent name, or "none"
    text: str


@dataclass(frozen=True)
class Corpus:
    script: str
    language: str
    cases: list[Case]
    source: str = ""


@dataclass(frozen=True)
class Hearing:
    """What the recogniser made of an answer (typed input: the text itself, fully confident)."""

    text: str
    confidence: float = 1.0
    doubtful: bool = False
    again: str = ""  # the audio decoded again with the opt-out words as a hint (spoken only)


Hear = Callable[[Case], Hearing]


def typed(case: Case) -> Hearing:
    return Hearing(case.text)


@dataclass(frozen=True)
class Action:
    """What the engine did after one answer."""

    kind: str  # outcome | confirm | goto | reply | reprompt
    target: str = ""  # the outcome, the confirmed outcome, the next state, the replied intent

    def __str__(self) -> str:
        return f"{self.kind}:{self.target}" if self.target else self.kind


@dataclass(frozen=True)
class Result:
    case: Case
    heard: Hearing
    predicted: str
    rule: str
    action: Action
    expected_action: Action
    right: bool
    harm: str | None  # why it hurt the customer or the bank, or None

    def as_json(self) -> dict[str, Any]:
        return {
            "state": self.case.state, "text": self.case.text, "expected": self.case.expected,
            "heard": self.heard.text, "confidence": self.heard.confidence,
            "doubtful": self.heard.doubtful, "predicted": self.predicted, "rule": self.rule,
            "action": str(self.action), "expected_action": str(self.expected_action),
            "right": self.right, "harm": self.harm,
        }


@dataclass
class Evaluation:
    script: str
    corpus: str
    results: list[Result] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.results)

    @property
    def right(self) -> int:
        return sum(r.right for r in self.results)

    @property
    def intent_right(self) -> int:
        return sum(_label(r.predicted) == r.case.expected for r in self.results)

    @property
    def harmful(self) -> list[Result]:
        return [r for r in self.results if r.harm is not None]

    @property
    def confirmations(self) -> int:
        return sum(r.action.kind == "confirm" for r in self.results)

    def share_right(self) -> float:
        return self.right / self.total if self.total else 0.0

    def opt_out_recall(self) -> float | None:
        wanted = [r for r in self.results if r.case.expected == "opt_out"]
        if not wanted:
            return None
        return sum(r.action in _OPT_OUT_TAKEN for r in wanted) / len(wanted)

    def confusion(self) -> dict[str, dict[str, int]]:
        """expected intent -> predicted intent -> count (no match is predicted "none")."""
        table: dict[str, Counter[str]] = {}
        for r in self.results:
            table.setdefault(r.case.expected, Counter())[_label(r.predicted)] += 1
        return {e: dict(sorted(c.items())) for e, c in sorted(table.items())}

    def per_intent(self) -> dict[str, dict[str, float | int | None]]:
        """Per intent: support, precision and recall of the understood intent."""
        labels = sorted({r.case.expected for r in self.results}
                        | {_label(r.predicted) for r in self.results})
        out: dict[str, dict[str, float | int | None]] = {}
        for label in labels:
            said = [r for r in self.results if r.case.expected == label]
            got = [r for r in self.results if _label(r.predicted) == label]
            hit = sum(_label(r.predicted) == label for r in said)
            out[label] = {
                "support": len(said),
                "precision": hit / len(got) if got else None,
                "recall": hit / len(said) if said else None,
            }
        return out

    def as_json(self) -> dict[str, Any]:
        return {
            "script": self.script, "corpus": self.corpus, "answers": self.total,
            "right": self.right, "share_right": round(self.share_right(), 4),
            "intent_right": self.intent_right, "confirmations": self.confirmations,
            "opt_out_recall": self.opt_out_recall(), "harmful": len(self.harmful),
            "per_intent": self.per_intent(), "confusion": self.confusion(),
            "results": [r.as_json() for r in self.results],
        }


_OPT_OUT_TAKEN = (Action("outcome", "opt_out"), Action("confirm", "opt_out"))


def _label(intent: str) -> str:
    return NONE if intent == NO_MATCH else intent


# ---- loading -------------------------------------------------------------------------------


def load_corpus(path: str | Path, script: Script) -> Corpus:
    """Read a corpus file and check it against `script`; CorpusError names what is wrong."""
    where = str(path)
    try:
        data, _ = load_with_lines(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise CorpusError(f"{where}: cannot read the corpus: {exc}") from exc
    except YamlSyntaxError as exc:
        raise CorpusError(f"{where}:{exc.line or '?'}: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("cases"), dict):
        raise CorpusError(f"{where}: a corpus is a mapping with `cases:` (state -> intent -> "
                          "answers); see docs/dialogs.md")
    cases: list[Case] = []
    for state, by_intent in data["cases"].items():
        _check_state(where, script, str(state), by_intent)
        for intent, answers in by_intent.items():
            _check_intent(where, script, str(state), str(intent), answers)
            cases.extend(Case(str(state), str(intent), str(a)) for a in answers)
    named = data.get("script")
    if named is not None and str(named) != script.name:
        raise CorpusError(f"{where}: the corpus is for script {named!r}, not {script.name!r}")
    return Corpus(str(named or script.name), str(data.get("language", script.language)),
                  cases, where)


def _check_state(where: str, script: Script, state: str, by_intent: object) -> None:
    if state not in script.states or script.is_terminal(state):
        states = ", ".join(s for s in script.states if not script.is_terminal(s))
        raise CorpusError(f"{where}: unknown state {state!r} (the script's question states: "
                          f"{states})")
    if not isinstance(by_intent, dict):
        raise CorpusError(f"{where}: state {state!r}: give intent -> list of answers")


def _check_intent(where: str, script: Script, state: str, intent: str, answers: object) -> None:
    valid = script.routes(state)
    if intent != NONE and intent not in valid:
        raise CorpusError(f"{where}: state {state!r}: unknown intent {intent!r} (valid there: "
                          f"{', '.join(sorted(valid))}, or none)")
    if not isinstance(answers, list) or not all(isinstance(a, str) and a.strip()
                                                 for a in answers):
        raise CorpusError(f"{where}: state {state!r}, intent {intent!r}: give a list of "
                          "non-empty answer texts")


# ---- running -------------------------------------------------------------------------------


def evaluate(
    script: Script,
    corpus: Corpus,
    hear: Hear = typed,
    variables: Mapping[str, str] | None = None,
    progress: Callable[[int, int], None] | None = None,
    engine: type[DialogEngine] = DialogEngine,
) -> Evaluation:
    """Every corpus answer through a fresh engine placed in its state (`engine`: the class,
    so a benchmark can judge a former rule beside today's on the same hearings)."""
    values = dict(variables or {})
    for name, default in script.model.variables.items():
        values.setdefault(name, default or f"<{name}>")
    evaluation = Evaluation(script.name, corpus.source)
    for n, case in enumerate(corpus.cases, 1):
        evaluation.results.append(run_case(script, case, hear(case), values, engine))
        if progress is not None:
            progress(n, len(corpus.cases))
    return evaluation


def run_case(script: Script, case: Case, heard: Hearing, values: Mapping[str, str],
             kind: type[DialogEngine] = DialogEngine) -> Result:
    engine = kind(script, values)
    engine.start(0.0, at=case.state)
    commands = engine.handle(Utterance(heard.text, heard.confidence, 1.0, heard.doubtful,
                                       heard.again))
    understood = next(c for c in commands if isinstance(c, IntentRecognised))
    action = action_of(engine, case.state, commands)
    expected = expected_action(script, case)
    return Result(case, heard, understood.intent, understood.rule, action, expected,
                  _is_right(action, expected), harm_of(action, expected, case))


def action_of(engine: DialogEngine, state: str, commands: list[Command]) -> Action:
    if engine.finished:
        return Action("outcome", engine.outcome or "")
    if engine.confirming is not None:
        outcome = engine.script.states[engine.script.routes(state)[engine.confirming].goto
                                       or state].outcome
        return Action("confirm", outcome or "")
    if engine.state != state:
        return Action("goto", engine.state)
    for c in commands:
        owner, _, what = c.prompt_id.partition(".") if isinstance(c, Say) else ("", "", "")
        if owner in (state, "global") and what not in ("", "reprompt", "silence", "no_match"):
            return Action("reply", what)
    return Action("reprompt")


def expected_action(script: Script, case: Case) -> Action:
    """What the labelled intent does in the case's state."""
    if case.expected == NONE:
        return Action("reprompt")
    route = script.routes(case.state)[case.expected]
    if route.reply is not None:
        return Action("reply", case.expected)
    target = route.goto or ""
    outcome = script.states[target].outcome
    return Action("outcome", outcome) if outcome else Action("goto", target)


def _is_right(action: Action, expected: Action) -> bool:
    if action.kind == "reply" and expected.kind == "reply":
        return True  # same answer text or not, the customer's question was answered
    if action.kind == "confirm":
        return expected == Action("outcome", action.target)
    return action == expected


def harm_of(action: Action, expected: Action, case: Case) -> str | None:
    """Why the action hurt the customer (or the bank), or None."""
    if action.kind == "outcome" and action.target in COSTLY_OUTCOMES and action != expected:
        return f"{action.target} not asked for (they meant {case.expected})"
    if case.expected == "opt_out" and action not in _OPT_OUT_TAKEN:
        return f"missed opt-out ({action})"
    return None
