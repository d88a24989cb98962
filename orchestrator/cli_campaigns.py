"""`outreach campaign ...`: create, show, pause, resume (`list` is in cli_campaign_list, `due`
in cli_due, `edit` and `archive` in cli_campaign_edit)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.text import Text

from campaigns import repo
from campaigns.db import session, write_session
from campaigns.models import Campaign
from campaigns.number_caps import campaign_caps
from campaigns.policy import (
    DEFAULT_DAYS,
    DEFAULT_MAX_PER_DAY,
    DEFAULT_WINDOW,
    NumberCaps,
    make_windows,
    night_hours,
)
from campaigns.regions import RegionPreset, preset_for
from campaigns.script_store import short_version, store_script

# The group and `campaign list` live in cli_campaign_list (a fast start for the listing); the
# commands here join the group, which other modules import from here as before.
from orchestrator.cli_campaign_list import campaign_app as campaign_app
from orchestrator.cli_campaign_list import campaign_dict as campaign_dict
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

CapOpt = Annotated[int | None, typer.Option(
    help="Calls to one number from all campaigns together (rolling); default: the region's.")]
CallerIdOpt = Annotated[str | None, typer.Option(
    "--caller-id", help="The number the called phone shows, registered with your carrier, e.g. "
    "+8215885000 or 'OO Bank <1588-5000>' ('' for the trunk's default).")]
CallerNameOpt = Annotated[str | None, typer.Option(
    "--caller-name", help="The name shown with --caller-id (at most 40 characters).")]


@campaign_app.command("create")
def create(
    ctx: typer.Context,
    name: str,
    script: Annotated[str, typer.Option("--script", help="Script file or bundled script name.")],
    region: Annotated[str, typer.Option(
        help="Phone region (ISO code); CN, KR and US also preset the hours, days and caps "
        "their rules imply (docs/operations.md).")] = "KR",
    window: Annotated[str | None, typer.Option(
        help="Local calling windows, e.g. 09:00-12:00,13:00-20:00 (default: the region's, "
        f"else {DEFAULT_WINDOW}).")] = None,
    days: Annotated[str | None, typer.Option(
        help=f"Calling days, e.g. mon-fri (default: the region's, else {DEFAULT_DAYS}).")] = None,
    allow_night: Annotated[bool, typer.Option(
        "--allow-night", help="Accept a window reaching into 21:00-08:00 local time (only "
        "with every customer's consent to night calls).")] = False,
    exclude: Annotated[
        list[str] | None, typer.Option("--exclude", help="A date with no calls (YYYY-MM-DD).")
    ] = None,
    time_zone: Annotated[
        str | None, typer.Option("--tz", help="Time zone for numbers that give none.")
    ] = None,
    max_channels: Annotated[int, typer.Option(help="Calls in flight at most.")] = 10,
    cps: Annotated[float, typer.Option(help="New calls per second at most.")] = 1.0,
    max_attempts: Annotated[int, typer.Option(help="Attempts per contact in total.")] = 3,
    max_per_day: Annotated[int | None, typer.Option(
        help="Attempts per contact per local day (default: the region's, else 3).")] = None,
    number_max_per_minute: CapOpt = None,
    number_max_per_hour: CapOpt = None,
    number_max_per_day: CapOpt = None,
    retry: Annotated[str, typer.Option(help="Retry delays, e.g. busy=30m,no_answer=2h.")] = "",
    queue: Annotated[
        str | None, typer.Option("--queue", help="Agent queue for live transfers.")
    ] = None,
    model: Annotated[str | None, typer.Option(
        "--model", help="Recogniser model for this campaign (default: the settings' asr_model, "
        "else one installed for the script's language).")] = None,
    caller_id: CallerIdOpt = None,
    caller_name: CallerNameOpt = None,
    as_json: JsonOpt = False,
) -> None:  # fmt: skip
    """Create a campaign. --region CN, KR or US presets the calling hours, days and per-number
    caps of that market; anything given explicitly wins."""
    preset = preset_for(region)
    given_caps = NumberCaps(number_max_per_minute, number_max_per_hour, number_max_per_day)
    spec = repo.CampaignSpec(
        name=name,
        script_ref=script,
        region=region,
        time_zone=time_zone,
        window=window or (preset.window if preset else DEFAULT_WINDOW),
        days=days or (preset.days if preset else DEFAULT_DAYS),
        excluded_dates=tuple(exclude or ()),
        max_channels=max_channels,
        cps=cps,
        max_attempts=max_attempts,
        max_per_day=max_per_day or (preset.max_per_day if preset else DEFAULT_MAX_PER_DAY),
        retry=retry,
        transfer_queue=queue,
        caller_id=caller_id or "",
        caller_name=caller_name,
        number_caps=_caps_with_preset(given_caps, preset),
    )
    repo.validate_spec(spec)
    night = night_window(spec.window, spec.days, allow_night)
    # A script that does not load, or whose language nothing installed can hear, is refused now,
    # not at the first answered call.
    # The file is read once: the campaign keeps that text (and its absolute path), so `run`
    # works from any directory and editing the file later changes nothing until update-script.
    # Imported here: they load the dialog engine and the recognisers, which `campaign list` and
    # the other commands of this module do not need (start-up, tests/orchestrator/test_startup.py).
    from orchestrator.campaign_model import listener_model
    from orchestrator.campaign_script import read_script

    source = read_script(script)
    settings = settings_of(ctx)
    listener_model(model, source.script.language, settings.models_dir, settings.asr_model, name)
    if Path(script).exists():  # a file, not a bundled script's name: stored absolute
        spec = dataclasses.replace(spec, script_ref=source.path)
    with session(engine_of(ctx)) as s:
        c = repo.create_campaign(s, spec)
        c = store_script(s, c, source.path, source.text)
        if model:
            c = repo.set_model(s, c, model)
    warn_night(c.name, night)
    if as_json:
        print_json(campaign_dict(c))
        return
    console.print(f"created campaign {c.name} (script {c.script_ref} "
                  f"{short_version(c.script_version)}, {c.region})", markup=False)  # fmt: skip
    if preset is not None:
        console.print(f"{preset.rule}: calls {_windows_text(c.windows)} {c.time_zone}; "
                      f"{_caps_text(c)}", markup=False)  # fmt: skip


def night_window(window: str, days: str, allow_night: bool) -> str | None:
    """The first range of `window` on `days` reaching into the night (21:00-08:00 local), or
    None; refused in one line unless `allow_night` (`campaign create` and `campaign edit`)."""
    night = night_hours(make_windows(window, days))
    if night is not None and not allow_night:
        raise UserError(
            f"the window {night} reaches into the night (21:00-08:00 local time), when Korean, "
            "Chinese and US rules forbid marketing calls; give a daytime --window, or "
            "--allow-night if every customer consented to night calls"
        )
    return night


def warn_night(name: str, night: str | None) -> None:
    """The warning a night window accepted with --allow-night leaves on stderr."""
    if night is not None:
        err_console.print(Text.assemble(
            ("WARNING:", "bold red"), f" campaign {name} calls at night ({night}); "
            "--allow-night was given: make sure every customer consented"))  # fmt: skip


def _caps_with_preset(given: NumberCaps, preset: RegionPreset | None) -> NumberCaps:
    base = preset.caps if preset else NumberCaps()
    return NumberCaps(
        given.per_minute if given.per_minute is not None else base.per_minute,
        given.per_hour if given.per_hour is not None else base.per_hour,
        given.per_day if given.per_day is not None else base.per_day,
    )


def _caps_text(c: Campaign) -> str:
    caps = campaign_caps(c)
    parts = [f"{n} {'an' if name == 'hour' else 'a'} {name}" for _span, n, name in caps.spans()]
    return "calls to one number (all campaigns): " + (", ".join(parts) or "no cap")


@campaign_app.command("show")
def show(ctx: typer.Context, name: str, as_json: JsonOpt = False) -> None:
    """Show one campaign's settings and its contacts by status."""
    with session(engine_of(ctx)) as s:
        c = repo.get_campaign_by_name(s, name)
        counts = repo.contact_counts(s, c.id or 0)
    data = campaign_dict(c, counts)
    if as_json:
        print_json(data)
        return
    print_table(
        f"Campaign {c.name}",
        ["setting", "value"],
        [(k, _setting_text(k, v)) for k, v in data.items() if k != "contacts"],
    )
    print_table("Contacts by status", ["status", "contacts"], sorted(counts.items()))


def _set_status(ctx: typer.Context, name: str, status: str) -> None:
    # Run while a worker writes its calls: the write lock first, or SQLite may refuse it.
    with write_session(engine_of(ctx)) as s:
        repo.set_status(s, name, status)
    console.print(f"campaign {name} is {status}", markup=False)


@campaign_app.command("pause")
def pause(ctx: typer.Context, name: str) -> None:
    """Pause: no new calls are placed; calls in progress finish."""
    _set_status(ctx, name, "paused")


@campaign_app.command("resume")
def resume(ctx: typer.Context, name: str) -> None:
    """Resume a paused campaign."""
    _set_status(ctx, name, "active")


def _setting_text(key: str, value: Any) -> Any:
    """Settings as a person writes them, not as Python prints them."""
    if key == "windows":
        return _windows_text(value)
    if key == "retry_delays_s":
        return ", ".join(f"{k}={_duration(v)}" for k, v in value.items())
    if key == "excluded_dates":
        return ", ".join(value) or "-"
    return value


def _duration(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


def _windows_text(windows: dict[str, list[list[str]]]) -> str:
    by_ranges: dict[str, list[str]] = {}
    for day, ranges in windows.items():
        by_ranges.setdefault(",".join(f"{a}-{b}" for a, b in ranges), []).append(day)
    return "; ".join(f"{' '.join(days)} {r}" for r, days in by_ranges.items()) or "never"
