"""`outreach campaign due`: who may be dialled at a moment, how many in all, and why the others
wait (window, retry delay, caps, a call in progress) with when the next one opens."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from campaigns import dialing, repo
from campaigns.db import session
from campaigns.moments import local_moment
from campaigns.policy import zone
from campaigns.waiting import waiting
from orchestrator.cli_campaigns import campaign_app
from orchestrator.cli_common import (
    JsonOpt,
    console,
    engine_of,
    print_json,
    print_table,
)
from orchestrator.cli_explain import waiting_lines


def _parse_at(at: str | None, default_tz: str) -> datetime:
    """An ISO 8601 moment; without an offset it is read in the campaign's own time zone."""
    if at is None:
        return datetime.now(UTC)
    return local_moment(at, default_tz, f"--at {at!r} is not ISO 8601, e.g. "
                        "2026-03-04T10:00:00+09:00")  # fmt: skip


@campaign_app.command("due")
def due(
    ctx: typer.Context,
    name: str,
    at: Annotated[
        str | None,
        typer.Option("--at", help="ISO 8601 moment (default now; no offset = campaign's zone)."),
    ] = None,
    limit: Annotated[int, typer.Option(help="At most this many contacts.")] = 100,
    explain: Annotated[bool, typer.Option(help="Print the database's query plan.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Contacts that may be dialled at a moment: window open locally, not on do-not-call,
    attempts left and retry delay passed; then why the others wait and until when."""
    engine = engine_of(ctx)
    with session(engine) as s:
        c = repo.get_campaign_by_name(s, name)
    moment = _parse_at(at, c.time_zone)
    cid = c.id or 0
    if explain:
        for line in dialing.explain_due(engine, cid, moment):
            console.print(line, highlight=False)
        return
    rows = dialing.due_contacts(engine, cid, moment, limit) if c.status == "active" else []
    out = [
        {
            "phone": r["phone"],
            "name": r["name"],
            "local_time": moment.astimezone(zone(r["time_zone"])).isoformat(timespec="seconds"),
            "time_zone": r["time_zone"],
        }
        for r in rows
    ]
    if as_json:
        print_json(out)
        return
    if c.status != "active":
        console.print(f"campaign {name} is {c.status}: nobody is dialled", markup=False)
    queue = waiting(engine, cid, moment)
    shown = moment.astimezone(zone(c.time_zone)).strftime("%Y-%m-%d %H:%M")
    total = queue.due if c.status == "active" else 0
    print_table(
        f"Due in {name} at {shown} {c.time_zone}: {len(out):,} of {total:,}",
        ["phone", "name", "local time", "time zone"],
        [(o["phone"], o["name"], o["local_time"][11:16], o["time_zone"]) for o in out],
    )
    for line in waiting_lines(queue, c.time_zone, moment, name):
        console.print(line, markup=False, highlight=False)
