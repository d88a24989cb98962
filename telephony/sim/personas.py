"""Simulated customers' personas: loaded from YAML (telephony/sim/personas.yaml or the user's own).

A persona says how the dial ends (answer, busy, ...), what answering-machine detection reports,
what the customer says to each robot prompt per language, how long they pause first, whether
they barge in, and how they answer the robot's confirmation questions (`confirms`: yes or no per
question, said in the file's everyday `answers` of the language). Nothing here runs a call;
`customer.py` and `backend.py` act on it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Any, Literal, cast

import yaml

from telephony.base import AmdStatus
from telephony.errors import TelephonyError

LANGUAGES = ("ko", "cmn", "en-us")
WhenDone = Literal["silent", "repeat", "hang_up"]
YesNo = Literal["yes", "no"]


class SimError(TelephonyError):
    """The simulated backend or its personas cannot do what was asked."""


class DialBehaviour(StrEnum):
    ANSWER = "answer"
    BUSY = "busy"
    NO_ANSWER = "no_answer"
    CONGESTION = "congestion"
    FAILED = "failed"


@dataclass(frozen=True)
class Persona:
    name: str
    description: str = ""
    dial: DialBehaviour = DialBehaviour.ANSWER
    amd: AmdStatus = AmdStatus.HUMAN
    ring_s: float = 2.0
    pause_s: tuple[float, float] = (0.3, 0.8)
    when_done: WhenDone = "silent"
    barge_in_after_s: float | None = None
    replies: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    greeting: Mapping[str, str] = field(default_factory=dict)
    # Per confirmation question (the script's `confirm:` outcome: transfer, opt_out, ...): yes or
    # no, as the persona means it; and how each language says yes and no.
    confirms: Mapping[str, YesNo] = field(default_factory=dict)
    answers: Mapping[str, Mapping[YesNo, str]] = field(default_factory=dict)

    def confirm_reply(self, question: str, language: str) -> str | None:
        """What this customer says when asked to confirm `question`, or None (not known)."""
        meaning = self.confirms.get(question)
        return None if meaning is None else self.answers.get(language, {}).get(meaning)

    def confirm_replies(self, language: str) -> set[str]:
        return {t for q in self.confirms if (t := self.confirm_reply(q, language))}

    def replies_in(self, language: str) -> tuple[str, ...]:
        if self.dial is DialBehaviour.ANSWER and language not in self.replies:
            raise SimError(
                f"persona {self.name!r} has no replies in {language!r} (it has "
                f"{', '.join(sorted(self.replies)) or 'none'}); add them to the personas file"
            )
        return self.replies.get(language, ())

    def greeting_in(self, language: str) -> str | None:
        return self.greeting.get(language)


def default_personas_path() -> Path:
    return Path(str(resources.files("telephony.sim").joinpath("personas.yaml")))


def load_personas(path: Path | None = None) -> dict[str, Persona]:
    """Every persona in `path` (the bundled file by default), validated."""
    path = path or default_personas_path()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SimError(f"cannot read the personas file {path}: {exc}") from exc
    except yaml.YAMLError as exc:
        raise SimError(f"the personas file {path} is not valid YAML: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("personas"), dict):
        raise SimError(f"{path}: expected a mapping with a `personas:` section")
    defaults = data.get("defaults") or {}
    if not isinstance(defaults, dict):
        raise SimError(f"{path}: `defaults:` must be a mapping")
    try:
        answers = _answers(data.get("answers") or {})
    except ValueError as exc:
        raise SimError(f"{path}: answers: {exc}") from exc
    out = {}
    for name, body in data["personas"].items():
        if not isinstance(body, dict):
            raise SimError(f"{path}: persona {name!r} must be a mapping")
        try:
            out[str(name)] = _persona(str(name), {**defaults, **body}, answers)
        except (TypeError, ValueError) as exc:
            raise SimError(f"{path}: persona {name!r}: {exc}") from exc
    return out


_KEYS = {"description", "dial", "amd", "ring_s", "pause_s", "when_done", "barge_in_after_s",
         "replies", "greeting", "confirms"}


def _persona(name: str, raw: dict[str, Any],
             answers: Mapping[str, Mapping[YesNo, str]] | None = None) -> Persona:  # fmt: skip
    unknown = set(raw) - _KEYS
    if unknown:
        raise ValueError(f"unknown keys {sorted(unknown)} (allowed: {sorted(_KEYS)})")
    pause = raw.get("pause_s", (0.3, 0.8))
    if not (isinstance(pause, list | tuple) and len(pause) == 2 and 0 <= pause[0] <= pause[1]):
        raise ValueError(f"pause_s must be [min, max] seconds, not {pause!r}")
    when_done = raw.get("when_done", "silent")
    if when_done not in ("silent", "repeat", "hang_up"):
        raise ValueError(f"when_done must be silent, repeat or hang_up, not {when_done!r}")
    barge = raw.get("barge_in_after_s")
    return Persona(
        name=name,
        description=str(raw.get("description", "")),
        dial=DialBehaviour(raw.get("dial", "answer")),
        amd=AmdStatus(raw.get("amd", "human")),
        ring_s=_seconds(raw.get("ring_s", 2.0), "ring_s"),
        pause_s=(float(pause[0]), float(pause[1])),
        when_done=cast(WhenDone, when_done),
        barge_in_after_s=None if barge is None else _seconds(barge, "barge_in_after_s"),
        replies=_replies(raw.get("replies") or {}),
        greeting={str(k): _text(v, "greeting") for k, v in (raw.get("greeting") or {}).items()},
        confirms=_confirms(raw.get("confirms") or {}),
        answers=dict(answers or {}),
    )


def _yes_no(value: object, what: str) -> YesNo:
    if value == "yes" or value == "no":
        return value
    raise ValueError(f"{what} must be \"yes\" or \"no\" (quoted), not {value!r}")


def _confirms(raw: object) -> dict[str, YesNo]:
    if not isinstance(raw, dict):
        raise ValueError("confirms must map a confirmation question to \"yes\" or \"no\"")
    return {str(q): _yes_no(v, f"confirms.{q}") for q, v in raw.items()}


def _answers(raw: object) -> dict[str, dict[YesNo, str]]:
    """language -> {"yes": text, "no": text}: how a customer says yes and no."""
    if not isinstance(raw, dict):
        raise ValueError("must map a language to its yes and no")
    out: dict[str, dict[YesNo, str]] = {}
    for language, said in raw.items():
        if not isinstance(said, dict) or set(said) != {"yes", "no"}:
            raise ValueError(f"{language!r} must give \"yes\" and \"no\" (quoted keys)")
        out[str(language)] = {_yes_no(k, "a key"): _text(v, f"answers in {language!r}")
                              for k, v in said.items()}
    return out


def _replies(raw: object) -> dict[str, tuple[str, ...]]:
    if not isinstance(raw, dict):
        raise ValueError("replies must map a language to a list of phrases")
    out = {}
    for language, phrases in raw.items():
        if not isinstance(phrases, list):
            raise ValueError(f"replies in {language!r} must be a list of phrases")
        out[str(language)] = tuple(_text(p, f"a reply in {language!r}") for p in phrases)
    return out


def _text(value: object, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{what} must be non-empty text, not {value!r} (quote yes/no in YAML)")
    return value


def _seconds(value: object, what: str) -> float:
    if not isinstance(value, int | float) or value < 0:
        raise ValueError(f"{what} must be a non-negative number of seconds, not {value!r}")
    return float(value)
