"""`outreach script eval SCRIPT --corpus FILE [--json]`: how well a script screens everyday answers.

The work is dialogs.evaluation (pure); this prints it: the share right, per-intent precision and
recall, the mistakes as (expected, understood) pairs, and every harmful outcome.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from campaigns.policy import SCRIPT_OUTCOMES
from dialogs import load_script
from dialogs.evaluation import Evaluation, Hear, evaluate, load_corpus, typed
from orchestrator.cli_common import JsonOpt, console, print_json
from orchestrator.cli_script import FileArg, VarOpt, parse_vars, script_app

WIDTH = 80


@script_app.command("eval")
def eval_command(
    ctx: typer.Context,
    file: FileArg,
    corpus: Annotated[Path, typer.Option("--corpus", help="A labelled corpus (YAML).")],
    spoken: Annotated[
        bool, typer.Option("--spoken", help="Hear each answer through speech and the recogniser.")
    ] = False,
    limit: Annotated[int | None, typer.Option(
        "--limit", min=1, help="With --spoken: at most N answers per voice (a seeded sample)."
    )] = 60,
    voice: Annotated[list[str] | None, typer.Option(
        "--voice", help="With --spoken: only this caller voice (repeatable; labels as printed)."
    )] = None,
    var: VarOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Run a corpus of labelled answers through the script; print accuracy and harm."""
    script = load_script(file, SCRIPT_OUTCOMES)
    cases = load_corpus(corpus, script)
    if spoken:
        from orchestrator.cli_spoken import run_spoken

        run_spoken(ctx, script, cases, limit, voice or [], parse_vars(var), as_json)
        return
    hear: Hear = typed
    if as_json:
        print_json(evaluate(script, cases, hear, parse_vars(var)).as_json())
        return
    with console.status(f"evaluating {len(cases.cases)} answers"):
        result = evaluate(script, cases, hear, parse_vars(var))
    show(result)


def show(result: Evaluation) -> None:
    out = console.__class__(width=min(console.width, WIDTH), highlight=False,
                            force_terminal=console.is_terminal)
    recall = result.opt_out_recall()
    out.print(Text(f"{result.script} on {result.corpus}"))
    out.print(Text(
        f"right: {result.right}/{result.total} ({result.share_right():.1%})   "
        f"same intent: {result.intent_right}   confirmations: {result.confirmations}"
    ))
    out.print(Text(
        f"opt-out recall: {'-' if recall is None else f'{recall:.1%}'}   "
        f"harmful outcomes: {len(result.harmful)}"
    ))
    out.print(per_intent_table(result))
    mistakes = mistakes_table(result)
    if mistakes.row_count:
        out.print(mistakes)
    if result.harmful:
        out.print(harm_table(result))


def per_intent_table(result: Evaluation) -> Table:
    table = Table(title="Per intent", width=WIDTH)
    for col in ("intent", "answers", "precision", "recall"):
        table.add_column(col, justify="left" if col == "intent" else "right")
    for intent, row in result.per_intent().items():
        table.add_row(intent, str(row["support"]), _pct(row["precision"]), _pct(row["recall"]))
    return table


def mistakes_table(result: Evaluation) -> Table:
    table = Table(title="Mistakes (expected -> understood)", width=WIDTH)
    for col in ("expected", "understood", "n", "for example"):
        table.add_column(col, overflow="fold")
    for expected, row in result.confusion().items():
        for predicted, count in row.items():
            if predicted == expected:
                continue
            example = next(r.case for r in result.results if r.case.expected == expected
                           and (r.predicted if r.predicted != "no_match" else "none") == predicted)
            table.add_row(expected, predicted, str(count), Text(f"{example.state}: {example.text}"))
    return table


def harm_table(result: Evaluation) -> Table:
    table = Table(title="Harmful outcomes", width=WIDTH)
    for col in ("state", "answer", "what happened"):
        table.add_column(col, overflow="fold")
    for r in result.harmful:
        table.add_row(r.case.state, Text(r.case.text), Text(r.harm or ""))
    return table


def _pct(value: float | int | None) -> str:
    return "-" if value is None else f"{float(value):.0%}"
