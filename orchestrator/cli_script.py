"""`outreach script ...`: check a dialog script, chat with it in a terminal, or run it scripted.

Thin on purpose: everything a conversation does is the dialogs engine; this only feeds it text.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from campaigns.policy import SCRIPT_OUTCOMES
from dialogs import (
    DialogEngine,
    Dtmf,
    Event,
    HangUp,
    IntentRecognised,
    Listen,
    Say,
    Silence,
    Utterance,
    bundled_scripts,
    check_script,
    load_script,
)
from dialogs.messages import Command
from orchestrator.cli_common import JsonOpt, UserError, console, print_json, print_table

script_app = typer.Typer(help="Check, try and run dialog scripts.", no_args_is_help=True)

FileArg = Annotated[str, typer.Argument(help="A script file, or a bundled script's name.")]
VarOpt = Annotated[
    list[str] | None,
    typer.Option("--var", help="A contact variable, name=value (repeatable)."),
]


def out(markup: str) -> None:
    """One line for a person; long prompts are left to the terminal to wrap."""
    console.print(markup, highlight=False, soft_wrap=True)


def parse_vars(pairs: list[str] | None) -> dict[str, str]:
    values: dict[str, str] = {}
    for pair in pairs or []:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise UserError(f"--var {pair!r}: write it as name=value (e.g. --var name=김민수)")
        values[name.strip()] = value
    return values


def robot_text(commands: list[Command]) -> str:
    return " ".join(c.text for c in commands if isinstance(c, Say))


def heard_of(commands: list[Command]) -> IntentRecognised | None:
    return next((c for c in commands if isinstance(c, IntentRecognised)), None)


@script_app.command("list")
def list_scripts(as_json: JsonOpt = False) -> None:
    """The bundled scripts (usable by name wherever a script file is asked)."""
    scripts = [load_script(name, SCRIPT_OUTCOMES) for name in bundled_scripts()]
    if as_json:
        print_json(
            [
                {
                    "name": s.name,
                    "language": s.language,
                    "voice": str(s.voice),
                    "engine": s.voice.engine,
                    "states": len(s.states),
                    "variables": s.variables,
                }
                for s in scripts
            ]
        )
        return
    print_table(
        f"Bundled scripts ({len(scripts)})",
        ["name", "language", "voice", "states", "variables"],
        [[s.name, s.language, str(s.voice), len(s.states), ", ".join(s.variables)]
         for s in scripts],
    )


@script_app.command("check")
def check(file: FileArg, as_json: JsonOpt = False) -> None:
    """Check a script: targets, reachability, ways out, intents, variables, disclosure."""
    report = check_script(file, SCRIPT_OUTCOMES)
    if as_json:
        print_json(report.as_json())
    else:
        for issue in report.errors:
            out(f"[bold red]error:[/] {escape(str(issue))}")
        for issue in report.warnings:
            out(f"[yellow]warning:[/] {escape(str(issue))}")
        verdict = "[green]ok[/]" if report.ok else "[bold red]failed[/]"
        out(
            f"{verdict}: {report.file}: {report.states} states, "
            f"{len(report.errors)} errors, {len(report.warnings)} warnings"
        )
    if not report.ok:
        raise typer.Exit(1)


@script_app.command("run")
def run(
    ctx: typer.Context,
    file: FileArg,
    say: Annotated[
        list[str] | None,
        typer.Option("--say", help='The customer\'s next answer (repeatable; "" is silence).'),
    ] = None,
    audio: Annotated[
        list[Path] | None,
        typer.Option("--audio", help="A WAV of the customer's next answer, heard by the "
                     "recogniser as in a call (repeatable; instead of --say)."),
    ] = None,
    var: VarOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Play a whole call with the given answers; when they run out the customer stays silent."""
    engine = DialogEngine(load_script(file, SCRIPT_OUTCOMES), parse_vars(var))
    if audio and say:
        raise UserError("give the answers either as --say text or as --audio files, not both")
    result = run_audio(ctx, engine, audio) if audio else simulate(engine, say or [])
    if as_json:
        print_json(result)
        return
    for turn in result["turns"]:
        out(f"[cyan]robot:[/] {escape(str(turn['robot']))}")
        if turn["intent"] is not None:
            hearing = (f" ({turn['confidence']:.2f}{', doubtful' if turn['doubtful'] else ''})"
                       if "confidence" in turn else "")
            out(
                f"[green]customer:[/] {escape(turn['customer'] or '(silence)')}{hearing}  "
                f"[dim]→ {turn['intent']}[/]"
            )
    print_score(engine)


def run_audio(ctx: typer.Context, engine: DialogEngine, files: list[Path]) -> dict[str, Any]:
    """Hear each WAV with the script language's model, as in a live call."""
    import anyio

    from asr_models import VoskEngine, resolve
    from orchestrator.cli_common import settings_of
    from orchestrator.script_audio import simulate_audio

    settings = settings_of(ctx)
    name = settings.asr_model if engine.script.language == "ko" else engine.script.language
    info = resolve(name, settings.models_dir)

    async def go() -> dict[str, Any]:
        return await simulate_audio(engine, await VoskEngine.load(info), files)

    with console.status(f"hearing {len(files)} answer(s) with model {info.name}"):
        return anyio.run(go)


def simulate(engine: DialogEngine, answers: list[str]) -> dict[str, Any]:
    """Feed `answers` (then silence) until the call ends; the `script run --json` shape."""
    t = 0.0
    robot = robot_text(engine.start(t))
    turns: list[dict[str, Any]] = []
    pending = list(answers)
    # The engine ends every call within max_turns; the bound only guards against a bug.
    for _ in range(len(answers) + engine.script.model.defaults.max_turns + 2):
        if engine.finished:
            break
        text = pending.pop(0) if pending else ""
        t += 5.0
        event: Event = Utterance(text, 1.0, t) if text.strip() else Silence(t)
        commands = engine.handle(event)
        heard = heard_of(commands)
        turns.append(
            {
                "robot": robot,
                "customer": text if text.strip() else None,
                "intent": heard.intent if heard else "silence",
            }
        )
        robot = robot_text(commands)
    if robot:
        turns.append({"robot": robot, "customer": None, "intent": None})
    score = engine.score()
    return {
        "turns": turns,
        "outcome": engine.outcome,
        "score": score.score,
        "tier": score.tier,
        "score_breakdown": score.as_json()["breakdown"],
    }


def print_score(engine: DialogEngine) -> None:
    score = engine.score()
    grade = f", grade {score.grade}" if score.grade else ""
    out(
        f"outcome: [bold]{engine.outcome or '(in progress)'}[/]  "
        f"score: [bold]{score.score}[/] ({score.tier}{grade})"
    )
    for item in score.breakdown:
        out(f"  {item.points:+d}  {item.reason}")


CHAT_HELP = (
    "Type the customer's answer. Empty line: silence. /dtmf N: a key press. "
    "/bye: hang up. Ctrl-D ends too."
)


@script_app.command("chat")
def chat(file: FileArg, var: VarOpt = None) -> None:
    """Talk to a script in the terminal: see its prompts, the recognised intent and the score."""
    engine = DialogEngine(load_script(file, SCRIPT_OUTCOMES), parse_vars(var))
    out(f"[dim]{CHAT_HELP}[/]")
    show(engine.start(0.0))
    stdin = sys.stdin
    t = 0.0
    while not engine.finished:
        typer.echo("you> ", nl=False)
        line = stdin.readline()
        t += 5.0
        event = chat_event(line, t)
        commands = engine.handle(event)
        heard = heard_of(commands)
        if heard is not None:
            score = engine.score()
            doubt = " (uncertain)" if heard.uncertain else ""
            out(f"  [dim]intent: {heard.intent}{doubt}   score: {score.score} ({score.tier})[/]")
        show(commands)
    print_score(engine)


def chat_event(line: str, t: float) -> Event:
    """One typed line as an event: EOF or /bye hangs up, /dtmf N presses N, empty is silence."""
    if not line:
        return HangUp(t)
    text = line.strip()
    if text == "/bye":
        return HangUp(t)
    if text.startswith("/dtmf"):
        return Dtmf(text.removeprefix("/dtmf").strip()[:1] or "#", t)
    return Utterance(text, 1.0, t) if text else Silence(t)


def show(commands: list[Command]) -> None:
    for c in commands:
        if isinstance(c, Say):
            out(f"[cyan]robot:[/] {escape(c.text)}")
        elif isinstance(c, Listen):
            out(f"  [dim](expects: {escape(' / '.join(c.phrases))})[/]")
        elif not isinstance(c, IntentRecognised):
            out(f"  [magenta]{type(c).__name__}[/] {vars_of(c)}")


def vars_of(command: Command) -> str:
    return " ".join(f"{k}={v!r}" for k, v in vars(command).items())


def register(app: typer.Typer) -> None:
    """Attach `outreach script ...` (eval lives in cli_eval, added to the same group)."""
    import orchestrator.cli_eval  # noqa: F401  # registers `script eval`

    app.add_typer(script_app, name="script")
