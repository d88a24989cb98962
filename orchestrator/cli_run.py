"""`outreach run`, `leads push`, `calls show/export` and `campaign report`."""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import anyio
import typer
from rich.live import Live

from campaigns import qa
from campaigns.db import session
from campaigns.repo import get_campaign_by_name
from campaigns.script_store import short_version
from campaigns.waiting import waiting
from orchestrator.campaign_model import listener_model
from orchestrator.campaign_script import campaign_script, drift_warning
from orchestrator.cards import card_rows
from orchestrator.cli_calls import calls_app, find_call, open_private
from orchestrator.cli_campaigns import campaign_app
from orchestrator.cli_common import (
    JsonOpt,
    UserError,
    campaign_id_in,
    console,
    engine_of,
    err_console,
    print_json,
    print_table,
    settings_of,
)
from orchestrator.cli_explain import waiting_json, waiting_lines
from orchestrator.cli_leads import leads_app
from orchestrator.cli_live import live_table
from orchestrator.dialer import RunStats
from orchestrator.running import RunRequest, run_campaign


def run_with_display(request: RunRequest, as_json: bool, processes: int = 1) -> RunStats:
    def go(show: Callable[[RunStats], None] | None) -> RunStats:
        if processes == 1:
            return anyio.run(run_campaign, request.with_progress(show) if show else request)
        from orchestrator.processes import run_processes
        from orchestrator.runtime import capacity

        r = request
        return anyio.run(run_processes, r.settings, r.campaign, r.telephony, r.until_done,
                         r.speed, processes, capacity(r.settings), show)  # fmt: skip

    if as_json:
        return go(None)
    with Live(console=console, refresh_per_second=4, transient=False) as live:

        def show(stats: RunStats) -> None:
            live.update(live_table(stats))

        stats = go(show)
    console.print()
    return stats


def parse_processes(text: str) -> int:
    """`--processes`: a number of worker processes, or auto (one per core)."""
    if text == "auto":
        return os.cpu_count() or 1
    if not text.isdigit() or not 1 <= int(text) <= 64:
        raise UserError(f"--processes must be a number from 1 to 64 or auto, not {text!r}")
    return int(text)


def run(
    ctx: typer.Context,
    campaign: str,
    telephony: Annotated[
        str | None, typer.Option(help="sim (simulated customers) or asterisk.")
    ] = None,
    until_done: Annotated[
        bool, typer.Option("--until-done", help="Stop when nobody is due and no call is live.")
    ] = False,
    speed: Annotated[float, typer.Option(help="sim only: run this many times real time.")] = 1.0,
    processes: Annotated[str, typer.Option(
        help="Worker processes sharing the calls: a number, or auto (one per core)."
    )] = "1",
    as_json: JsonOpt = False,
) -> None:
    """Dial a campaign: claims due contacts, paces calls, records every outcome. Ctrl-C or
    `campaign pause` stops cleanly (calls in progress finish)."""
    settings = settings_of(ctx)
    if settings.webhook_url:
        settings.webhook_key()  # no secret and not explicitly unsigned: refused in one line
    backend = telephony or settings.telephony
    if backend not in ("sim", "asterisk"):
        raise UserError(f"--telephony must be sim or asterisk, not {backend!r}")
    if backend == "asterisk" and speed != 1.0:
        raise UserError("--speed is for the sim backend; a real PBX runs in real time")
    if speed <= 0:
        raise UserError("--speed must be above 0")
    n_processes = parse_processes(processes)
    with session(engine_of(ctx)) as s:
        found = get_campaign_by_name(s, campaign)
        status = found.status
    # `run` dials with the campaign's own copy of the script, whatever the file now says.
    script = campaign_script(found)
    drift = drift_warning(found)
    if drift is not None:
        err_console.print(drift, markup=False, highlight=False)
    if status == "archived":
        raise UserError(f"campaign {campaign} is archived and is not run; `outreach campaign "
                        f"unarchive {campaign}` brings it back")  # fmt: skip
    # Nothing is dialled when no installed recogniser can hear the script's language.
    hears = listener_model(found.asr_model, script.language,
                           settings.models_dir, settings.asr_model, campaign)  # fmt: skip
    if not as_json:
        console.print(f"campaign {campaign} listens with recogniser {hears.name} "
                      f"({hears.language})", markup=False, highlight=False)  # fmt: skip
    if status != "active" and not as_json:
        console.print(f"campaign {campaign} is {status}: nothing is dialled until "
                      f"`outreach campaign resume {campaign}`", markup=False)  # fmt: skip
    engine, cid, tz = engine_of(ctx), found.id or 0, found.time_zone
    before = waiting(engine, cid, datetime.now(UTC))
    if before.due == 0 and status == "active" and not as_json:
        then = "" if until_done else " (the worker waits and starts by itself; Ctrl-C stops it)"
        lines = waiting_lines(before, tz, datetime.now(UTC), campaign)
        console.print("\n".join(lines) + then, markup=False, highlight=False)
    request = RunRequest(settings, engine, campaign, backend, until_done, speed)
    stats = run_with_display(request, as_json, n_processes)
    after = waiting(engine, cid, datetime.now(UTC))
    if as_json:
        print_json({**stats.as_json(), "queue": waiting_json(after)})
        return
    console.print(
        f"stopped: {stats.stopped_by}; {stats.finished} calls in {stats.elapsed_s:.0f} s "
        f"(at most {stats.peak_in_flight} at once, limit {stats.limit}"
        + (f", {stats.processes} processes)" if stats.processes > 1 else ")")
    )
    for line in health_lines(stats):
        console.print(line, markup=False, highlight=False)
    if stats.dialled and after.groups:
        lines = waiting_lines(after, tz, datetime.now(UTC), campaign)
        console.print("still waiting: " + "\n".join(lines), markup=False, highlight=False)


def health_lines(stats: RunStats) -> list[str]:
    """What the run says when the worker could not keep up (orchestrator/health.py)."""
    h, lines = stats.health, []
    if stats.limit and stats.peak_in_flight >= stats.limit and stats.dialled > stats.limit:
        lines.append(f"the limit of {stats.limit} calls at once was reached: the other calls "
                     "waited for a free line (OUTREACH_CAPACITY or `asr capacity` sets it)")
    if h.holds:
        why = ", ".join(sorted(h.reasons))
        lines.append(f"held back new calls {h.holds} times, {h.held_back_s:.0f} s in all ({why}): "
                     "this worker was taking more calls than it could hear in real time")
    if h.degraded_calls:
        lines.append(f"{h.degraded_calls} calls ended as degraded (their audio was late or lost; "
                     "no decision taken from it): they are retried in a few minutes")
    return lines


@leads_app.command("push")
def leads_push(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Deliver waiting leads to the webhook now (a running campaign does this by itself)."""
    import httpx

    from campaigns import outbox
    from orchestrator.webhook import DeliveryStats, deliver_once

    settings = settings_of(ctx)
    if not settings.webhook_url:
        raise UserError("no webhook configured: set OUTREACH_WEBHOOK_URL (and _SECRET)")
    key = settings.webhook_key()
    stats = DeliveryStats()

    async def push() -> None:
        async with httpx.AsyncClient(timeout=10.0) as client:
            await deliver_once(engine_of(ctx), settings.webhook_url or "", key, client, stats)

    anyio.run(push)
    box = outbox.stats(engine_of(ctx))
    result = {"sent": stats.delivered, "failed": stats.failed, "waiting": box["waiting"],
              "delivered_total": box["delivered"]}  # fmt: skip
    if as_json:
        print_json(result)
    else:
        console.print(f"sent {stats.delivered}, failed {stats.failed} (retried later), "
                      f"waiting {box['waiting']}")  # fmt: skip


@calls_app.command("show")
def calls_show(ctx: typer.Context, call_id: str, as_json: JsonOpt = False) -> None:
    """One call: transcript with times, confidence and intents, score breakdown, recording,
    QA marks (newest first)."""
    from campaigns.qa_marks import marks_of

    call = qa.show_call(engine_of(ctx), find_call(ctx, call_id))
    call["qa_marks"] = marks_of(engine_of(ctx), call["id"])
    if as_json:
        print_json(call)
        return
    skip = ("turns", "score_breakdown", "lead", "qa_marks")
    head = {k: v for k, v in call.items() if k not in skip}
    head["script_version"] = short_version(call["script_version"])  # the full hash: --json
    print_table(f"Call {call['id']}", ["field", "value"], card_rows(head))
    print_table(
        "Transcript",
        ["start", "end", "who", "text", "conf", "intent"],
        [(f"{t['start_s']:.2f}", f"{t['end_s']:.2f}", t["speaker"], t["text"],
          "" if t["confidence"] is None else f"{t['confidence']:.2f}", t["intent"])
         for t in call["turns"]],
    )  # fmt: skip
    print_table("Score", ["points", "reason"],
                [(i["points"], i["reason"]) for i in call["score_breakdown"]])  # fmt: skip
    if call["qa_marks"]:
        print_table("QA marks", ["when (UTC)", "reviewer", "verdict", "tags", "comment"],
                    [(m["created_at"][:16], m["reviewer"], m["verdict"], ", ".join(m["tags"]),
                      m["comment"]) for m in call["qa_marks"]])  # fmt: skip


@calls_app.command("export")
def calls_export(
    ctx: typer.Context,
    campaign: str,
    out: Annotated[Path, typer.Option("--out", help="FILE.csv or FILE.jsonl")],
) -> None:
    """Every call of a campaign with its transcript, to CSV (one row per turn) or JSON Lines,
    created 0600 (it holds customers' numbers and words)."""
    rows = qa.export_rows(engine_of(ctx), campaign_id_in(engine_of(ctx), campaign))
    if out.suffix == ".jsonl":
        with open_private(out) as f:
            for r in rows:
                f.write(json.dumps(r, ensure_ascii=False, default=str) + "\n")
    elif out.suffix == ".csv":
        _write_csv(out, rows)
    else:
        raise UserError("--out must end in .csv or .jsonl")
    console.print(f"wrote {len(rows)} calls to {out}", markup=False)


def _write_csv(out: Path, rows: list[dict[str, Any]]) -> None:
    fields = ["call_id", "phone", "started_at", "outcome", "dialog_outcome", "score", "tier",
              "seq", "speaker", "text", "start_s", "end_s", "confidence", "intent"]  # fmt: skip
    with open_private(out, "utf-8-sig", "") as f:
        w = csv.DictWriter(f, fields)
        w.writeheader()
        for r in rows:
            base = {"call_id": r["id"], **{k: r[k] for k in fields[1:7]}}
            for i, t in enumerate(r["turns"] or [{}]):
                w.writerow({**base, "seq": i if t else "", **t})


@campaign_app.command("report")
def report(
    ctx: typer.Context,
    name: str,
    chart: Annotated[
        Path | None,
        typer.Option("--chart", help="Also draw the funnel and outcomes per day to FILE.svg."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """The funnel: contacts, dialled, answered, human, completed dialogs, intents, leads, rates."""
    data = qa.funnel(engine_of(ctx), campaign_id_in(engine_of(ctx), name))
    if chart is not None:
        write_chart(ctx, name, chart)
    if as_json:
        print_json(data)
        return
    print_report(name, data)


def write_chart(ctx: typer.Context, name: str, out: Path) -> None:
    from campaigns.charts import report_svg

    if out.suffix.lower() != ".svg":
        raise UserError("--chart draws SVG: give a file name ending in .svg (PNG is not built)")
    engine = engine_of(ctx)
    with session(engine) as s:
        campaign = get_campaign_by_name(s, name)
    assert campaign.id is not None
    out.write_text(report_svg(engine, campaign.id, name, campaign.time_zone), encoding="utf-8")
    err_console.print(f"chart written to {out}", markup=False)


def print_report(name: str, data: dict[str, Any]) -> None:
    main = [(k, data[k]) for k in ("contacts", "dialled", "attempts", "answered", "human",
                                   "completed_dialogs", "leads", "opt_outs", "retries_pending",
                                   "not_yet_called", "not_dialled_bad_data")]  # fmt: skip
    print_table(f"Campaign {name}: funnel", ["", "count"], main)
    print_table("Rates", ["", "rate"], [(k, "-" if v is None else f"{v:.0%}")
                                        for k, v in data["rates"].items()])  # fmt: skip
    print_table(
        "Dialogs by outcome", ["outcome", "calls"], sorted(data["dialogs_by_outcome"].items())
    )
    print_table("Leads by tier", ["tier", "leads"], sorted(data["leads_by_tier"].items()))
    print_table("Attempts by outcome", ["outcome", "attempts"],
                sorted(data["attempts_by_outcome"].items()))  # fmt: skip
    print_table("Intents heard", ["intent", "turns"], sorted(data["intents"].items()))


def register(app: typer.Typer) -> None:
    app.command("run")(run)
