"""Changing a campaign after it was made (`campaign edit`) and retiring it (`campaign archive`).

An edit is checked exactly as `campaign create` checks (the merged settings go through
`validate_spec`) and written in one transaction: all of it or none. The dialer reads the
calling windows, caps and status at every claim, so those apply to the next claim of a running
worker; channels, calls per second, the queue and the recogniser apply at the next `run`.
An archived campaign is never dialled and is hidden from `campaign list`; its contacts, calls
and leads stay (agents still work its leads). Unarchiving leaves it paused.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

from sqlmodel import Session

from campaigns.caller_id import parse_caller_id
from campaigns.errors import InvalidInput
from campaigns.models import Campaign
from campaigns.number_caps import campaign_caps
from campaigns.policy import (
    DAYS,
    NumberCaps,
    make_windows,
    parse_retry,
    windows_to_json,
)
from campaigns.repo import CampaignSpec, get_campaign_by_name, validate_spec

ARCHIVED = "archived"
_SIMPLE = ("time_zone", "max_channels", "cps", "max_attempts", "max_per_day")  # copied as given


@dataclass(frozen=True)
class CampaignChanges:
    """What `campaign edit` was given; None leaves a setting as it is. An empty `transfer_queue`
    or `asr_model` removes it (no live transfers; the settings' recogniser)."""

    window: str | None = None
    days: str | None = None
    time_zone: str | None = None
    max_channels: int | None = None
    cps: float | None = None
    max_attempts: int | None = None
    max_per_day: int | None = None
    retry: str | None = None
    transfer_queue: str | None = None
    asr_model: str | None = None
    number_max_per_minute: int | None = None
    number_max_per_hour: int | None = None
    number_max_per_day: int | None = None
    caller_id: str | None = None  # '' removes the caller ID (and its name)
    caller_name: str | None = None  # '' removes the name

    def given(self) -> dict[str, Any]:
        return {f.name: v for f in fields(self) if (v := getattr(self, f.name)) is not None}


def _uniform(windows: dict[str, list[list[str]]]) -> tuple[str, str] | None:
    """The campaign's windows as (window, days) options, when every day has the same ranges."""
    ranges = {tuple(tuple(r) for r in v) for v in windows.values()}
    if len(ranges) != 1:
        return None
    window = ",".join(f"{a}-{b}" for a, b in next(iter(ranges)))
    days = ",".join(d for d in DAYS if d in windows)
    return window, days


def _window_and_days(c: Campaign, ch: CampaignChanges) -> tuple[str, str] | None:
    if ch.window is None and ch.days is None:
        return None
    current = _uniform(c.windows)
    if current is None and (ch.window is None or ch.days is None):
        raise InvalidInput(
            f"campaign {c.name} has different windows on different days: give both --window "
            "and --days"
        )
    window = ch.window if ch.window is not None else current[0]  # type: ignore[index]
    days = ch.days if ch.days is not None else current[1]  # type: ignore[index]
    return window, days


def _spec(c: Campaign, ch: CampaignChanges, window_days: tuple[str, str] | None) -> CampaignSpec:
    """The campaign as `campaign create` would have been given it, with the changes."""
    spec = CampaignSpec(
        name=c.name, script_ref=c.script_ref, region=c.region, time_zone=c.time_zone,
        excluded_dates=tuple(c.excluded_dates), max_channels=c.max_channels, cps=c.cps,
        max_attempts=c.max_attempts, max_per_day=c.max_per_day, transfer_queue=c.transfer_queue,
        number_caps=campaign_caps(c),
    )  # fmt: skip
    if window_days is not None:
        spec = replace(spec, window=window_days[0], days=window_days[1])
    caps = NumberCaps(
        ch.number_max_per_minute if ch.number_max_per_minute is not None
        else spec.number_caps.per_minute,
        ch.number_max_per_hour if ch.number_max_per_hour is not None
        else spec.number_caps.per_hour,
        ch.number_max_per_day if ch.number_max_per_day is not None else spec.number_caps.per_day,
    )  # fmt: skip
    simple = {k: v for k, v in ch.given().items() if k in _SIMPLE}
    return replace(spec, **simple, retry=ch.retry or "", number_caps=caps)


def plan_edit(c: Campaign, ch: CampaignChanges) -> tuple[dict[str, Any], CampaignSpec]:
    """The column values to write and the merged spec (for further checks), or InvalidInput."""
    if not ch.given():
        raise InvalidInput(
            "nothing to change: give at least one of --window, --days, --tz, --max-channels, "
            "--cps, --max-attempts, --max-per-day, --retry, --queue, --model, --number-max-per-*, "
            "--caller-id, --caller-name"
        )
    if c.status == ARCHIVED:
        raise InvalidInput(f"campaign {c.name} is archived: `outreach campaign unarchive "
                           f"{c.name}` first")  # fmt: skip
    window_days = _window_and_days(c, ch)
    spec = _spec(c, ch, window_days)
    validate_spec(spec)
    values: dict[str, Any] = {k: getattr(spec, k) for k in _SIMPLE if k in ch.given()}
    if window_days is not None:
        values["windows"] = windows_to_json(make_windows(*window_days))
    if ch.retry is not None:
        delays = {k: v.total_seconds() for k, v in parse_retry(ch.retry).items()}
        values["retry_delays"] = {**c.retry_delays, **delays}
    if ch.transfer_queue is not None:
        values["transfer_queue"] = ch.transfer_queue.strip() or None
    if ch.asr_model is not None:
        values["asr_model"] = ch.asr_model.strip() or None
    for span in ("minute", "hour", "day"):
        if (n := getattr(ch, f"number_max_per_{span}")) is not None:
            values[f"number_max_per_{span}"] = n
    if ch.caller_id is not None or ch.caller_name is not None:
        values["caller_id"], values["caller_name"] = _caller_id(c, ch)
    return values, spec


def _caller_id(c: Campaign, ch: CampaignChanges) -> tuple[str | None, str | None]:
    """A new number keeps the old name unless it brings its own (`Name <number>`)."""
    if ch.caller_id is not None and not ch.caller_id.strip():
        return None, None
    number = ch.caller_id if ch.caller_id is not None else (c.caller_id or "")
    name = ch.caller_name
    if name is None and ch.caller_id is not None and "<" not in ch.caller_id:
        name = c.caller_name
    return parse_caller_id(number, name, c.region)


def apply_edit(session: Session, c: Campaign, values: dict[str, Any]) -> list[str]:
    """Write planned values; returns the names of the settings that actually changed."""
    changed = [k for k, v in values.items() if getattr(c, k) != v]
    for k, v in values.items():
        setattr(c, k, v)
    session.add(c)
    session.commit()
    session.refresh(c)
    return changed


def set_archived(session: Session, name: str, archived: bool) -> tuple[Campaign, bool]:
    """Archive (or unarchive, to paused) a campaign; returns it and whether anything changed."""
    c = get_campaign_by_name(session, name)
    if archived == (c.status == ARCHIVED):
        return c, False
    c.status = ARCHIVED if archived else "paused"
    session.add(c)
    session.commit()
    session.refresh(c)
    return c, True
