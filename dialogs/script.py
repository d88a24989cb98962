"""A loaded, checked dialog script: its prompts, intents and states; finding bundled scripts."""

from __future__ import annotations

import string
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from dialogs.errors import ScriptError, VariableError
from dialogs.schema import IntentDef, Route, ScriptModel, StateDef
from dialogs.tts.cache import Voice


@dataclass(frozen=True)
class Prompt:
    """One prompt text of a script. `fixed` prompts need no variables and can be rendered once."""

    prompt_id: str
    template: str
    variables: frozenset[str]

    @property
    def fixed(self) -> bool:
        return not self.variables


@dataclass(frozen=True)
class Part:
    """A piece of a recorded prompt: kind "wav" (value: the file's path) or "say" (a template)."""

    kind: str
    value: str


def template_fields(template: str) -> set[str]:
    """The `{name}` placeholders of a prompt template ("{{" is a literal brace)."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


# What the robot says before hanging up when something failed on our side mid-call.
APOLOGIES = {
    "ko": "죄송합니다. 지금 통화에 문제가 생겨 전화를 끊겠습니다. 다시 연락드리겠습니다.",
    "cmn": "很抱歉，我们这边出现了问题，稍后再联系您。再见。",
    "en": "I'm sorry, something went wrong on our side. We will call you back. Goodbye.",
}


class Script:
    """A script that passed `check_script`: read-only data the engine runs."""

    def __init__(self, model: ScriptModel, source: str) -> None:
        self.model = model
        self.source = source

    @property
    def name(self) -> str:
        return self.model.name

    @property
    def language(self) -> str:
        return self.model.language

    @property
    def voice(self) -> Voice:
        """The script's voice with its pronunciation overrides: `voice.spec(text)` to synthesise."""
        v = self.model.voice
        return Voice(v.name, v.engine, v.speed, tuple(sorted(self.model.pronounce.items())))

    def recording(self, prompt_id: str) -> list[Part] | None:
        """How a recorded prompt plays: WAV paths (resolved against the script's folder) and
        texts to synthesise, in order; None for a prompt that is synthesised whole."""
        parts = self.model.recordings.get(prompt_id)
        if parts is None:
            return None
        base = Path(self.source).parent
        return [Part("wav", str(base / p.wav)) if p.wav is not None else Part("say", p.say or "")
                for p in parts]

    @property
    def apology(self) -> str:
        """The closing said after a failure: the script's own, else the language's default."""
        if self.model.apology:
            return self.model.apology
        base = self.model.language.split("-")[0].lower()
        return APOLOGIES.get(base, APOLOGIES["en"])

    @property
    def variables(self) -> list[str]:
        return list(self.model.variables)

    @property
    def start(self) -> str:
        return self.model.start

    @property
    def states(self) -> Mapping[str, StateDef]:
        return self.model.states

    @property
    def intents(self) -> Mapping[str, IntentDef]:
        return self.model.intents

    def is_terminal(self, state: str) -> bool:
        return self.model.states[state].outcome is not None

    def routes(self, state: str) -> dict[str, Route]:
        """The intents valid in `state` and what each does (the state's own beat global ones)."""
        if self.is_terminal(state):
            return {}
        return {**self.model.global_intents, **self.model.states[state].on}

    def grammar(self, state: str) -> list[str]:
        """Every phrase of every intent valid in `state`, deduplicated, in script order."""
        phrases: dict[str, None] = {}
        for intent in self.routes(state):
            phrases.update(dict.fromkeys(self.model.intents[intent].phrases))
        return list(phrases)

    def all_prompts(self) -> list[Prompt]:
        """Every prompt the engine may say, with its id (as in `Say.prompt_id`)."""
        return [
            Prompt(pid, text, frozenset(template_fields(text))) for pid, text in self.prompt_texts()
        ]

    def prompt(self, prompt_id: str) -> str:
        for pid, text in self.prompt_texts():
            if pid == prompt_id:
                return text
        raise KeyError(prompt_id)

    def render(self, prompt_id: str, variables: Mapping[str, str]) -> str:
        """The text of a prompt with the contact's variables filled in."""
        return render_template(self.prompt(prompt_id), self.resolve_variables(variables))

    def resolve_variables(self, given: Mapping[str, str]) -> dict[str, str]:
        """The contact's values, with the script's defaults for the ones not given."""
        values: dict[str, str] = {}
        missing: list[str] = []
        for name, default in self.model.variables.items():
            value = given.get(name, default)
            if value is None or value == "":
                missing.append(name)
            else:
                values[name] = str(value)
        if missing:
            raise VariableError(
                f"script {self.name!r} needs a value for {', '.join(missing)}: give it in the "
                "contact's attributes (or --var name=value), or add a default to the script"
            )
        return values

    def prompt_texts(self) -> Iterator[tuple[str, str]]:
        """(prompt id, template) for every prompt, also for a script that fails its checks."""
        m = self.model
        for kind, retry in (("silence", m.defaults.silence), ("no_match", m.defaults.no_match)):
            if retry.prompt:
                yield f"defaults.{kind}", retry.prompt
        for intent, route in m.global_intents.items():
            if route.reply:
                yield f"global.{intent}", route.reply
        for outcome, rule in m.confirm.items():
            yield f"confirm.{outcome}", rule.ask
            if rule.again:
                yield f"confirm.{outcome}.again", rule.again
        for name, st in m.states.items():
            yield name, st.say
            if st.reprompt:
                yield f"{name}.reprompt", st.reprompt
            for kind, state_retry in (("silence", st.silence), ("no_match", st.no_match)):
                if state_retry is not None and state_retry.prompt:
                    yield f"{name}.{kind}", state_retry.prompt
            for intent, route in st.on.items():
                if route.reply:
                    yield f"{name}.{intent}", route.reply


def render_template(template: str, values: Mapping[str, str]) -> str:
    return template.format_map(values)


def bundled_scripts() -> list[str]:
    """Names of the scripts shipped with outreach (usable wherever a script path is asked)."""
    folder = resources.files("dialogs") / "scripts"
    return sorted(p.name[: -len(".yaml")] for p in folder.iterdir() if p.name.endswith(".yaml"))


def resolve_ref(ref: str | Path) -> Path:
    """A script path, or the file of a bundled script named `ref`."""
    path = Path(ref)
    looks_like_path = path.suffix in (".yaml", ".yml") or "/" in str(ref)
    if path.exists() or isinstance(ref, Path) or looks_like_path:
        return path
    bundled = resources.files("dialogs") / "scripts" / f"{ref}.yaml"
    if bundled.is_file():
        return Path(str(bundled))
    raise ScriptError(
        f"no script file {ref!r} and no bundled script by that name "
        f"(bundled: {', '.join(bundled_scripts())})",
        file=str(ref),
    )
