"""`outreach init` (a new home and its database) and `outreach retention run` (deleting old
recordings and transcripts): the operator's commands that are not about one campaign."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn
from sqlalchemy.engine import Engine
from sqlmodel import select

from campaigns import retention
from campaigns.db import open_database, session
from campaigns.models import Campaign
from orchestrator.cli_common import (
    JsonOpt,
    UserError,
    console,
    engine_of,
    err_console,
    print_json,
    print_table,
    settings_of,
)
from orchestrator.cli_dnc_audit import ByOpt, who
from orchestrator.settings import Settings

retention_app = typer.Typer(
    help="Delete recordings and transcripts older than retention_days (calls are kept).",
    no_args_is_help=True,
)


def init(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Make the home folder and its database (or the one --db / OUTREACH_DATABASE_URL names),
    with the schema up to date. Safe to run again: nothing that exists is changed or emptied."""
    settings = settings_of(ctx)
    settings.home.mkdir(parents=True, exist_ok=True)
    engine = open_database(settings.db_url, create=True)
    shown = engine.url.render_as_string(hide_password=True)
    engine.dispose()
    result = {"home": str(settings.home.resolve()), "database": shown}
    if as_json:
        print_json(result)
        return
    console.print(f"home {result['home']}\ndatabase {shown} (schema up to date)",
                  markup=False, highlight=False)  # fmt: skip


def _periods(settings: Settings, campaigns: list[Campaign]) -> dict[int, int]:
    """Campaign id -> retention days, from retention_campaign_days, else retention_days."""
    names = {c.name for c in campaigns}
    unknown = sorted(set(settings.retention_campaign_days) - names)
    if unknown:
        # A mistyped name would put that campaign under the home's period, maybe a shorter one.
        raise UserError(f"retention_campaign_days names {', '.join(unknown)}, which is not a "
                        "campaign here; correct the name (see `outreach campaign list --all`)")
    if settings.retention_days is None and not settings.retention_campaign_days:
        raise UserError("no retention period is set: set OUTREACH_RETENTION_DAYS=N (or "
                        "retention_days = N, and per campaign [retention_campaign_days], in the "
                        "settings file)")  # fmt: skip
    periods = {}
    for c in campaigns:
        days = settings.retention_campaign_days.get(c.name, settings.retention_days)
        if days is not None and c.id is not None:
            periods[c.id] = days
    return periods


def _line(name: str, s: retention.Swept) -> str:
    done = "would delete" if s.dry_run else "deleted"
    text = (f"{name}: {done} {s.recordings} recordings ({s.bytes / 1e6:.1f} MB) and "
            f"{s.transcripts} transcripts ({s.turns} lines) of calls before "
            f"{s.cutoff:%Y-%m-%d %H:%M} UTC ({s.days} days); the calls are kept")  # fmt: skip
    if s.recordings_missing:
        text += f"; {s.recordings_missing} recordings were already gone"
    return text


def _sweep_all(
    engine: Engine, campaigns: list[Campaign], periods: dict[int, int], dry_run: bool, by: str,
    show: bool,
) -> list[tuple[str, retention.Swept]]:  # fmt: skip
    """Each campaign with a period in turn, a progress bar per campaign on a terminal."""
    results = []
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    shown = show and err_console.is_terminal
    with Progress(*columns, console=err_console, transient=True, disable=not shown) as progress:
        for c in campaigns:
            if c.id is None or c.id not in periods:
                continue
            cutoff = retention.cutoff_for(periods[c.id])
            task = progress.add_task(c.name, total=retention.count_old(engine, c.id, cutoff))

            def step(x: retention.Swept, task: TaskID = task) -> None:
                progress.update(task, completed=x.calls)

            swept = retention.sweep(engine, c.id, periods[c.id], dry_run=dry_run, on_batch=step)
            if not dry_run:
                retention.record_run(engine, swept, by)
            results.append((c.name, swept))
    return results


@retention_app.command("run")
def retention_run(
    ctx: typer.Context,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what would be deleted; delete nothing.")
    ] = False,
    by: ByOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Delete the recordings (files) and transcripts of calls older than each campaign's
    retention period; the calls, outcomes, scores and leads are kept. Each real run is
    audited (`outreach retention audit`)."""
    settings, engine = settings_of(ctx), engine_of(ctx)
    with session(engine) as s:
        campaigns = list(s.exec(select(Campaign).order_by(Campaign.id)))  # type: ignore[arg-type]
    periods = _periods(settings, campaigns)
    results = _sweep_all(engine, campaigns, periods, dry_run, who(by), not as_json)
    if as_json:
        print_json([{"campaign": name, **s.as_json()} for name, s in results])
        return
    for name, swept in results:
        console.print(_line(name, swept), markup=False, highlight=False)
        for error in swept.errors:
            err_console.print(f"{name}: not deleted: {error}", markup=False, highlight=False)
    if not results:
        console.print("no campaign has a retention period; nothing deleted")


def _minute(iso: str) -> str:
    return iso[:16].replace("T", " ")


@retention_app.command("audit")
def retention_audit(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Every real retention run, newest first: who, when, which campaign, what was deleted."""
    rows = retention.audit_rows(engine_of(ctx))
    if as_json:
        print_json(rows)
        return
    columns = ["when (UTC)", "by", "campaign", "days", "before (UTC)", "recordings", "MB",
               "transcripts", "errors"]  # fmt: skip
    cells = [[_minute(r["at"]), r["by"], r["campaign"], r["days"], _minute(r["cutoff"]),
              r["recordings"], f"{r['bytes'] / 1e6:.1f}", r["transcripts"], r["errors"]]
             for r in rows]  # fmt: skip
    print_table(f"Retention runs ({len(rows):,})", columns, cells)


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.add_typer(retention_app, name="retention")
