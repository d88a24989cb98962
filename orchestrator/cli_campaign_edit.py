"""`outreach campaign edit|archive|unarchive`."""

from __future__ import annotations

from typing import Annotated

import typer

from campaigns import repo
from campaigns.campaign_edit import CampaignChanges, apply_edit, plan_edit, set_archived
from campaigns.db import write_session
from campaigns.models import Campaign
from orchestrator.campaign_model import campaign_model
from orchestrator.campaign_script import campaign_script
from orchestrator.cli_campaigns import (
    CallerIdOpt,
    CallerNameOpt,
    campaign_app,
    campaign_dict,
    night_window,
    warn_night,
)
from orchestrator.cli_common import (
    JsonOpt,
    console,
    engine_of,
    print_json,
    settings_of,
)

CapOpt = Annotated[int | None, typer.Option(help="Calls to one number from all campaigns "
                                                  "together (rolling).")]  # fmt: skip


def register(app: typer.Typer) -> None:
    """Nothing to add to the main app: the commands join the `campaign` group on import."""


@campaign_app.command("edit")
def edit(
    ctx: typer.Context,
    name: str,
    window: Annotated[str | None, typer.Option(
        help="Local calling windows, e.g. 09:00-12:00,13:00-20:00.")] = None,
    days: Annotated[str | None, typer.Option(help="Calling days, e.g. mon-fri.")] = None,
    allow_night: Annotated[bool, typer.Option(
        "--allow-night", help="Accept a window reaching into 21:00-08:00 local time.")] = False,
    time_zone: Annotated[str | None, typer.Option(
        "--tz", help="Time zone for numbers that give none (new contacts).")] = None,
    max_channels: Annotated[int | None, typer.Option(help="Calls in flight at most.")] = None,
    cps: Annotated[float | None, typer.Option(help="New calls per second at most.")] = None,
    max_attempts: Annotated[int | None, typer.Option(
        help="Attempts per contact in total.")] = None,
    max_per_day: Annotated[int | None, typer.Option(
        help="Attempts per contact per local day.")] = None,
    number_max_per_minute: CapOpt = None,
    number_max_per_hour: CapOpt = None,
    number_max_per_day: CapOpt = None,
    retry: Annotated[str | None, typer.Option(
        help="Retry delays to change, e.g. busy=30m (the others stay).")] = None,
    queue: Annotated[str | None, typer.Option(
        "--queue", help="Agent queue for live transfers ('' for none).")] = None,
    model: Annotated[str | None, typer.Option(
        "--model", help="Recogniser model for this campaign ('' for the settings' choice).")
    ] = None,
    caller_id: CallerIdOpt = None,
    caller_name: CallerNameOpt = None,
    as_json: JsonOpt = False,
) -> None:  # fmt: skip
    """Change a campaign's settings, checked as `campaign create` checks them (all or nothing).
    Windows, days and caps apply to a running worker's next claim; the rest at the next run."""
    changes = CampaignChanges(window, days, time_zone, max_channels, cps, max_attempts,
                              max_per_day, retry, queue, model, number_max_per_minute,
                              number_max_per_hour, number_max_per_day, caller_id,
                              caller_name)  # fmt: skip
    with write_session(engine_of(ctx)) as s:  # a worker may be writing
        c = repo.get_campaign_by_name(s, name)
        values, spec = plan_edit(c, changes)
        night = None
        if "windows" in values:
            night = night_window(spec.window, spec.days, allow_night)
        if values.get("asr_model"):
            language = campaign_script(c).language
            campaign_model(values["asr_model"], language, settings_of(ctx).models_dir, name)
        changed = apply_edit(s, c, values)
    warn_night(name, night)
    if as_json:
        print_json({**campaign_dict(c), "changed": changed})
    elif changed:
        console.print(f"campaign {name}: changed {', '.join(changed)}", markup=False)
    else:
        console.print(f"campaign {name}: already set so, nothing changed", markup=False)


def _archive(ctx: typer.Context, name: str, archived: bool) -> Campaign:
    with write_session(engine_of(ctx)) as s:  # a worker may be writing
        c, changed = set_archived(s, name, archived)
    if archived:
        said = ("archived: never dialled again, hidden from `campaign list` (--all shows it); "
                "its contacts, calls and leads are kept") if changed else "was already archived"
    else:
        said = (f"unarchived and paused: `outreach campaign resume {name}` to dial again"
                if changed else "is not archived")  # fmt: skip
    console.print(f"campaign {name} {said}", markup=False)
    return c


@campaign_app.command("archive")
def archive(ctx: typer.Context, name: str) -> None:
    """Retire a campaign: it is not run or listed any more; its history and leads stay. A worker
    running it stops dialling (calls in progress finish)."""
    _archive(ctx, name, True)


@campaign_app.command("unarchive")
def unarchive(ctx: typer.Context, name: str) -> None:
    """Bring an archived campaign back, paused."""
    _archive(ctx, name, False)
