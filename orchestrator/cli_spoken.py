"""`outreach script eval SCRIPT --corpus FILE --spoken`: the printing side of spoken screening.

The work is orchestrator.spoken_eval; this loads the script language's recogniser and the prompt
cache, shows progress, and prints per caller voice the share right and the harmful outcomes of
the live call's path (grammar, doubt, and the free-decode check of clear costly hearings), with
the grammar-only path (doubt ignored, as live calls heard before) beside it.
"""

from __future__ import annotations

import anyio
import typer
from rich.table import Table
from rich.text import Text

from asr_models.errors import AsrError
from asr_models.recogniser import load_recogniser
from asr_models.registry import require_recogniser
from dialogs.evaluation import Corpus
from dialogs.script import Script
from orchestrator.cli_common import UserError, console, print_json, settings_of
from orchestrator.runtime import prompt_cache
from orchestrator.spoken_eval import SpokenRun, sample, spoken_evaluation, voices_for

WIDTH = 80


def run_spoken(ctx: typer.Context, script: Script, corpus: Corpus, limit: int | None,
               only: list[str], variables: dict[str, str], as_json: bool) -> None:
    settings = settings_of(ctx)
    voices = voices_for(script.language)
    known = [v.label for v in voices]
    unknown = [v for v in only if v not in known]
    if unknown or not voices:
        raise UserError(f"no caller voice {', '.join(unknown)} for {script.language} "
                        f"(known: {', '.join(known) or 'none'})")
    voices = [v for v in voices if not only or v.label in only]
    try:
        info = require_recogniser(script.language, settings.models_dir, settings.asr_model)
    except AsrError as exc:
        raise UserError(str(exc)) from None
    picked = sample(corpus, limit)
    prompts = prompt_cache(settings)

    async def go() -> SpokenRun:
        asr = await load_recogniser(info)
        with console.status("") as status:
            def progress(done: int, total: int) -> None:
                status.update(f"hearing answer {done} of {total} with model {info.name}")

            return await spoken_evaluation(script, picked, asr, prompts, voices, variables,
                                           progress if not as_json else None)

    run = anyio.run(go)
    if as_json:
        print_json({"script": script.name, "corpus": corpus.source, "model": info.name,
                    **run.as_json(details=True)})
        return
    show_spoken(script, corpus, info.name, run)


def show_spoken(script: Script, corpus: Corpus, model: str, run: SpokenRun) -> None:
    out = console.__class__(width=min(console.width, WIDTH), highlight=False,
                            force_terminal=console.is_terminal)
    out.print(Text(f"{script.name} on {corpus.source}, spoken: {run.cases} answers per voice, "
                   f"model {model}"))
    table = Table(title="Per caller voice (live path; grammar-only: doubt ignored, the old one)",
                  width=WIDTH)
    for col in ("voice", "right", "harmful", "confirm", "grammar-only right", "harmful"):
        table.add_column(col, justify="left" if col == "voice" else "right")
    for v in run.voices:
        new, old = run.of("adopted", v), run.of("grammar_only", v)
        table.add_row(v.label, f"{new.share_right():.0%}", str(len(new.harmful)),
                      str(new.confirmations), f"{old.share_right():.0%}", str(len(old.harmful)))
    out.print(table)
    harm = Table(title="Harmful outcomes (live path)", width=WIDTH)
    for col in ("voice", "state", "answer", "heard", "what happened"):
        harm.add_column(col, overflow="fold")
    for v in run.voices:
        for r in run.of("adopted", v).harmful:
            harm.add_row(v.label, r.case.state, Text(r.case.text), Text(r.heard.text),
                         Text(r.harm or ""))
    if harm.row_count:
        out.print(harm)

