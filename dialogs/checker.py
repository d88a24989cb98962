"""`script check`: every rule a script must pass, reported all at once with file, line and state.

load_script() runs the same checks and refuses a script with errors, so the engine can rely on a
well-formed graph: every target exists, every state is reachable and can reach an end.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from dialogs.errors import ScriptError
from dialogs.schema import COSTLY_OUTCOMES, ScriptModel
from dialogs.script import Script, resolve_ref, template_fields
from dialogs.yamlsrc import Path_, YamlSyntaxError, line_of, load_with_lines

# Words that tell the customer they are talking to a machine (first-prompt disclosure rule).
DISCLOSURE_WORDS = {
    "ko": ("ai", "인공지능", "자동", "로봇", "가상", "챗봇"),
    "cmn": ("ai", "人工智能", "智能", "机器人", "自动", "虚拟"),
    "en": ("automated", "ai", "artificial intelligence", "virtual assistant", "robot", "recorded"),
}


@dataclass(frozen=True)
class Issue:
    """One problem found in a script, located as precisely as the YAML allows."""

    message: str
    file: str
    line: int | None = None
    state: str | None = None

    def __str__(self) -> str:
        where = self.file + (f":{self.line}" if self.line is not None else "")
        in_state = f"state '{self.state}': " if self.state else ""
        return f"{where}: {in_state}{self.message}"


@dataclass
class CheckReport:
    file: str
    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    states: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_json(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "errors": [str(e) for e in self.errors],
            "warnings": [str(w) for w in self.warnings],
            "states": self.states,
        }


def check_script(ref: str | Path, outcomes: Collection[str] | None = None) -> CheckReport:
    """Check a script file (or a bundled script by name) without raising on script problems.
    `outcomes`: the names a script's end states may give (the retry policy's script outcomes,
    campaigns.policy.SCRIPT_OUTCOMES, passed by the orchestrator); None leaves names unchecked."""
    return _check(ref, outcomes)[0]


def load_script(ref: str | Path, outcomes: Collection[str] | None = None) -> Script:
    """Load and check a script; raise ScriptError (file, line, state) for its first error."""
    report, model, source = _check(ref, outcomes)
    if model is None or not report.ok:
        first = report.errors[0]
        more = f" (and {len(report.errors) - 1} more; run `outreach script check`)"
        raise ScriptError(
            first.message + (more if len(report.errors) > 1 else ""),
            file=first.file,
            line=first.line,
            state=first.state,
        )
    return Script(model, source)


def check_text(
    text: str, file: str, outcomes: Collection[str] | None = None
) -> tuple[CheckReport, ScriptModel | None]:
    report = CheckReport(file)
    try:
        data, lines = load_with_lines(text)
    except YamlSyntaxError as exc:
        report.errors.append(Issue(str(exc), file, exc.line))
        return report, None
    if not isinstance(data, dict):
        msg = "a script is a YAML mapping (name:, language:, states: ...)"
        report.errors.append(Issue(msg, file))
        return report, None
    try:
        model = ScriptModel.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            loc = tuple(err["loc"])
            state = str(loc[1]) if len(loc) > 1 and loc[0] == "states" else None
            where = ".".join(str(p) for p in loc)
            report.errors.append(
                Issue(f"{where}: {err['msg']}", file, line_of(lines, loc), state)
            )
        return report, None
    report.states = len(model.states)
    _Rules(model, file, lines, report, outcomes).run()
    return report, model


def _check(
    ref: str | Path, outcomes: Collection[str] | None
) -> tuple[CheckReport, ScriptModel | None, str]:
    path = resolve_ref(ref)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScriptError(f"cannot read the script: {exc}", file=str(path)) from exc
    report, model = check_text(text, str(path), outcomes)
    return report, model, str(path)


class _Rules:
    """The graph and content rules, each adding Issues to the report."""

    def __init__(
        self, model: ScriptModel, file: str, lines: dict[Path_, int], report: CheckReport,
        outcomes: Collection[str] | None = None,
    ) -> None:  # fmt: skip
        self.m = model
        self.file = file
        self.lines = lines
        self.report = report
        self.outcomes = outcomes

    def error(self, msg: str, path: Path_ = (), state: str | None = None) -> None:
        self.report.errors.append(Issue(msg, self.file, line_of(self.lines, path), state))

    def warn(self, msg: str, path: Path_ = (), state: str | None = None) -> None:
        self.report.warnings.append(Issue(msg, self.file, line_of(self.lines, path), state))

    def run(self) -> None:
        self.check_outcomes()
        self.check_intents()
        self.check_confirm()
        self.check_targets()
        self.check_states()
        self.check_graph()
        self.check_prompts()
        self.check_disclosure()
        self.check_voice()
        self.check_recordings()

    def edges(self, state: str) -> Iterator[tuple[str, Path_]]:
        """(target, where) for every way `state` can move on, global intents included."""
        st = self.m.states[state]
        if st.outcome is not None:
            return
        d = self.m.defaults
        routes = {**self.m.global_intents, **st.on}
        for intent, route in routes.items():
            if route.goto is not None:
                where: Path_ = ("states", state, "on", intent)
                yield route.goto, where if intent in st.on else ("global_intents", intent)
        for kind, own, default in (
            ("silence", st.silence, d.silence),
            ("no_match", st.no_match, d.no_match),
        ):
            target = own.then if own is not None and own.then else default.then
            if target is not None:
                yield target, ("states", state, kind) if own else ("defaults", kind)
        if d.max_turns_then is not None:
            yield d.max_turns_then, ("defaults", "max_turns_then")
        for outcome, rule in self.m.confirm.items():
            yield rule.unclear, ("confirm", outcome, "unclear")

    def check_intents(self) -> None:
        used: set[str] = set(self.m.global_intents) | set(self.m.dtmf.values())
        for st in self.m.states.values():
            used |= set(st.on)
        for name, intent in self.m.intents.items():
            if not intent.phrases and not intent.keywords:
                self.error(f"intent '{name}' has no phrases or keywords", ("intents", name))
            if intent.negated not in (None, "none") and intent.negated not in self.m.intents:
                self.error(f"intent '{name}': negated intent '{intent.negated}' is not defined",
                           ("intents", name, "negated"))
            if name not in used and name not in {i.negated for i in self.m.intents.values()}:
                self.warn(f"intent '{name}' is never used", ("intents", name))
        for name in self.m.global_intents:
            if name not in self.m.intents:
                self.error(f"global intent '{name}' is not defined under intents:",
                           ("global_intents", name))
        for key, name in self.m.dtmf.items():
            if name not in self.m.intents:
                self.error(f"dtmf key {key}: intent '{name}' is not defined", ("dtmf", key))
        for sname, st in self.m.states.items():
            for name in st.on:
                if name not in self.m.intents:
                    self.error(f"intent '{name}' is not defined under intents:",
                               ("states", sname, "on", name), sname)

    def check_outcomes(self) -> None:
        """Every outcome named is one the retry policy knows (it would be retried as unknown)."""
        if self.outcomes is None:
            return
        known = ", ".join(self.outcomes)
        named: list[tuple[Path_, str | None, str | None]] = [
            (("states", n, "outcome"), s.outcome, n) for n, s in self.m.states.items()
        ]
        named += [(("scoring", "outcomes", o), o, None) for o in self.m.scoring.outcomes]
        for path, outcome, state in named:
            if outcome is not None and outcome not in self.outcomes:
                where = ".".join(str(p) for p in path)
                self.error(f"{where}: '{outcome}' is not an outcome the retry policy knows; "
                           f"use one of {known}", path, state)

    def check_confirm(self) -> None:
        """Confirmations: for costly outcomes only, ending somewhere that is not one."""
        for outcome, rule in self.m.confirm.items():
            path: Path_ = ("confirm", outcome)
            if outcome not in COSTLY_OUTCOMES:
                self.error(f"confirm: '{outcome}' is not an outcome that needs confirming "
                           f"({', '.join(COSTLY_OUTCOMES)})", path)
            target = self.m.states.get(rule.unclear)
            if target is not None and target.outcome in COSTLY_OUTCOMES:
                self.error(f"confirm.{outcome}.unclear: '{rule.unclear}' ends as "
                           f"{target.outcome}; an unclear answer must end without a costly "
                           "outcome", (*path, "unclear"))
            elif target is not None and target.outcome is None:
                self.error(f"confirm.{outcome}.unclear: '{rule.unclear}' is not a terminal state",
                           (*path, "unclear"))
        costly = {str(s.outcome) for s in self.m.states.values()} & set(COSTLY_OUTCOMES)
        if self.m.defaults.confirm_below > 0:
            for outcome in sorted(costly - set(self.m.confirm)):
                self.warn(f"no confirm.{outcome}: a doubtful answer leading to {outcome} is "
                          "asked again instead of confirmed", ("confirm",))

    def check_targets(self) -> None:
        if self.m.start not in self.m.states:
            self.error(f"start state '{self.m.start}' does not exist", ("start",))
        d = self.m.defaults
        for what, target in (("defaults.silence.then", d.silence.then),
                             ("defaults.no_match.then", d.no_match.then),
                             ("defaults.max_turns_then", d.max_turns_then)):
            if target is None:
                self.error(f"{what} is missing: it says where a call ends when it goes nowhere",
                           ("defaults",))
        for state in self.m.states:
            for target, where in self.edges(state):
                if target not in self.m.states:
                    self.error(f"unknown target state '{target}'", where, state)

    def check_states(self) -> None:
        terminals = [n for n, s in self.m.states.items() if s.outcome is not None]
        if not terminals:
            self.error("no terminal state (a state with `outcome:`): the call could never end",
                       ("states",))
        for name, st in self.m.states.items():
            path: Path_ = ("states", name)
            if st.outcome is None:
                if not any(r.goto for r in st.on.values()):
                    self.error("no way out: the state has no `on:` transition to another state",
                               path, name)
                continue
            if st.on or st.silence or st.no_match:
                self.error("a terminal state (with `outcome:`) takes no `on`, `silence` or "
                           "`no_match`", path, name)
            if st.outcome == "transfer" and not st.queue:
                self.error("outcome transfer needs `queue:` (the agent queue)", path, name)
        opt_out = {n for n, s in self.m.states.items() if s.outcome == "opt_out"}
        for name, st in self.m.states.items():
            routes = {**self.m.global_intents, **st.on}
            if st.outcome is None and not any(r.goto in opt_out for r in routes.values()):
                self.warn("the customer cannot opt out here (no intent leads to an opt_out state)",
                          ("states", name), name)

    def check_graph(self) -> None:
        known = set(self.m.states)
        if self.m.start not in known:
            return
        graph = {s: {t for t, _ in self.edges(s) if t in known} for s in known}
        seen, todo = {self.m.start}, [self.m.start]
        while todo:
            for nxt in graph[todo.pop()] - seen:
                seen.add(nxt)
                todo.append(nxt)
        for name in self.m.states:
            if name not in seen:
                self.error("unreachable: no path from the start state leads here",
                           ("states", name), name)
        ends = {n for n, s in self.m.states.items() if s.outcome is not None}
        changed = True
        while changed:
            grown = {s for s in known - ends if graph[s] & ends}
            changed = bool(grown)
            ends |= grown
        for name in sorted(known - ends):
            self.error("no way out: no terminal state can be reached from here",
                       ("states", name), name)

    def check_prompts(self) -> None:
        declared = set(self.m.variables)
        if self.m.apology is not None and ("{" in self.m.apology or not self.m.apology.strip()):
            # Synthesised once before the first dial so that it cannot fail when it is needed.
            self.error("apology: must be fixed, non-empty text (no {placeholders})", ("apology",))
        for prompt_id, text in Script(self.m, self.file).prompt_texts():
            owner = prompt_id.split(".")[0]
            state = owner if owner in self.m.states else None
            path: Path_ = ("states", state) if state else ()
            try:
                names = template_fields(text)
            except ValueError as exc:
                self.error(f"prompt {prompt_id}: bad placeholder ({exc}); write {{{{ for a "
                           "literal brace", path, state)
                continue
            for name in sorted(names - declared):
                self.error(f"prompt {prompt_id} uses variable '{name}' that is not declared "
                           "under variables:", path, state)
            for name in names:
                if not name.isidentifier():
                    self.error(f"prompt {prompt_id}: placeholder {{{name}}} is not a plain name",
                               path, state)

    def check_disclosure(self) -> None:
        first = self.m.states.get(self.m.start)
        if first is None:
            return
        text = first.say.lower()
        words = DISCLOSURE_WORDS.get(self.m.language.split("-")[0], DISCLOSURE_WORDS["en"])
        path: Path_ = ("states", self.m.start, "say")
        if not any(w in text for w in words):
            self.warn("the first prompt does not say the caller is an automated assistant "
                      f"(e.g. {', '.join(words[:3])})", path, self.m.start)
        if self.m.on_behalf_of.lower() not in text:
            self.warn(f"the first prompt does not say who the call is for "
                      f"(on_behalf_of: {self.m.on_behalf_of!r})", path, self.m.start)

    def check_voice(self) -> None:
        """The voice exists for its engine; pronunciation overrides are usable pinyin."""
        from dialogs.tts.kokoro import VOICES as KOKORO_VOICES
        from dialogs.tts.mandarin import bad_pronunciation, usual_reading

        voice = self.m.voice
        mandarin = self.m.language.split("-")[0].lower() in ("cmn", "zh")
        if voice.engine == "kokoro":
            if voice.name not in KOKORO_VOICES:
                self.error(f"voice: Kokoro has no voice {voice.name!r}; use one of "
                           f"{', '.join(KOKORO_VOICES)} (jm_kumo is the clearest in Mandarin)",
                           ("voice",))
            if not mandarin:
                self.error("voice: Kokoro speaks only Mandarin here (language "
                           f"{self.m.language!r}); use an espeak-ng voice or recorded prompts "
                           "(docs/scripts.md)",
                           ("voice",))
        if self.m.pronounce and not mandarin:
            self.warn("pronounce: overrides are pinyin and are used only for Mandarin voices",
                      ("pronounce",))
        texts = [t for _, t in Script(self.m, self.file).prompt_texts()]
        texts += [self.m.apology or "", *(v or "" for v in self.m.variables.values())]
        for word, syllables in self.m.pronounce.items():
            why = bad_pronunciation(word, syllables)
            if why:
                self.error(why, ("pronounce", word))
            elif not any(word in t for t in texts):
                self.warn(f"pronounce.{word}: no prompt says {word!r}", ("pronounce", word))
            elif mandarin and usual_reading(word) == syllables.lower().replace("ü", "v").split():
                self.warn(f"pronounce.{word}: the synthesiser already reads it {syllables}; "
                          "the entry changes nothing", ("pronounce", word))

    def check_recordings(self) -> None:
        """Each recorded prompt names a prompt that exists, readable WAVs, declared variables."""
        from dialogs.tts.errors import TtsError
        from dialogs.tts.recorded import describe_recording

        texts = dict(Script(self.m, self.file).prompt_texts())
        base = Path(self.file).parent
        for prompt_id, parts in self.m.recordings.items():
            path: Path_ = ("recordings", prompt_id)
            if prompt_id not in texts:
                known = ", ".join(list(texts)[:6])
                self.error(f"recordings.{prompt_id}: no prompt has this id; ids are a state's "
                           "name, STATE.reprompt, global.INTENT, confirm.OUTCOME, "
                           f"defaults.silence ... (this script: {known}, ...)", path)
                continue
            said: set[str] = set()
            for i, part in enumerate(parts):
                where: Path_ = (*path, i)
                if part.wav is not None:
                    try:
                        describe_recording(base / part.wav)
                    except TtsError as exc:
                        self.error(f"recordings.{prompt_id}: {exc}", where)
                    continue
                try:
                    names = template_fields(part.say or "")
                except ValueError as exc:
                    self.error(f"recordings.{prompt_id}: bad placeholder ({exc})", where)
                    continue
                said |= names
                for name in sorted(names - set(self.m.variables)):
                    self.error(f"recordings.{prompt_id} says variable '{name}' that is not "
                               "declared under variables:", where)
            missing = template_fields(texts[prompt_id]) - said
            if missing:
                self.warn(f"recordings.{prompt_id}: the prompt's text has "
                          f"{', '.join('{' + n + '}' for n in sorted(missing))} but no part "
                          "says it (add a `say:` part, or this is a recording for every contact)",
                          path)
