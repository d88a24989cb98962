"""Campaign repository: create, find, list, pause; contact counts; the policy a campaign implies.

Functions take the session explicitly. Claims and outcomes live in campaigns/dialing.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from campaigns.caller_id import parse_caller_id
from campaigns.errors import InvalidInput, NotFound
from campaigns.models import Campaign, Contact
from campaigns.phones import check_region
from campaigns.policy import (
    DEFAULT_DAYS,
    DEFAULT_MAX_ATTEMPTS,
    DEFAULT_MAX_PER_DAY,
    DEFAULT_RETRY,
    DEFAULT_WINDOW,
    CallingPolicy,
    NumberCaps,
    make_windows,
    parse_retry,
    windows_from_json,
    windows_to_json,
    zone,
)


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class CampaignSpec:
    """What `campaign create` accepts; validated before anything is written."""

    name: str
    script_ref: str
    region: str = "KR"
    time_zone: str | None = None
    window: str = DEFAULT_WINDOW
    days: str = DEFAULT_DAYS
    excluded_dates: tuple[str, ...] = ()
    max_channels: int = 10
    cps: float = 1.0
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    max_per_day: int = DEFAULT_MAX_PER_DAY
    retry: str = ""
    transfer_queue: str | None = None
    # The caller ID as typed (`--caller-id`, `--caller-name`): checked and stored in E.164.
    caller_id: str = ""
    caller_name: str | None = None
    # Calls to one number across all campaigns (rolling minute/hour/day).
    number_caps: NumberCaps = field(default_factory=NumberCaps)


REGION_ZONES = {
    "KR": "Asia/Seoul",
    "CN": "Asia/Shanghai",
    "US": "America/New_York",
    "JP": "Asia/Tokyo",
}


def validate_spec(spec: CampaignSpec) -> None:
    """Every check `create_campaign` makes before writing, for callers that check more."""
    _validate(spec)
    check_region(spec.region)
    zone(spec.time_zone or REGION_ZONES.get(spec.region.upper(), "UTC"))
    make_windows(spec.window, spec.days)
    parse_retry(spec.retry)
    parse_caller_id(spec.caller_id, spec.caller_name, spec.region.upper())


def _validate(spec: CampaignSpec) -> None:
    if not spec.name.strip():
        raise InvalidInput("a campaign needs a name")
    if spec.max_channels < 1 or spec.max_channels > 1000:
        raise InvalidInput("--max-channels must be between 1 and 1000")
    if not 0 < spec.cps <= 100:
        raise InvalidInput("--cps must be above 0 and at most 100 calls per second")
    if spec.max_attempts < 1 or spec.max_attempts > 20:
        raise InvalidInput("--max-attempts must be between 1 and 20")
    if spec.max_per_day < 1:
        raise InvalidInput("--max-per-day must be at least 1")
    for _span, n, name in spec.number_caps.spans():
        if n < 1:
            raise InvalidInput(f"--number-max-per-{name} must be at least 1")
    for d in spec.excluded_dates:
        try:
            date.fromisoformat(d)
        except ValueError as exc:
            raise InvalidInput(f"bad excluded date {d!r}: use YYYY-MM-DD") from exc


def create_campaign(session: Session, spec: CampaignSpec) -> Campaign:
    validate_spec(spec)
    region = spec.region.upper()
    tz = spec.time_zone or REGION_ZONES.get(region, "UTC")  # validated by validate_spec
    retry = {k: v.total_seconds() for k, v in {**DEFAULT_RETRY, **parse_retry(spec.retry)}.items()}
    if session.exec(select(Campaign).where(Campaign.name == spec.name)).first():
        raise InvalidInput(f"a campaign named {spec.name!r} already exists")
    caller_id, caller_name = parse_caller_id(spec.caller_id, spec.caller_name, region)
    campaign = Campaign(
        name=spec.name,
        script_ref=spec.script_ref,
        region=region,
        time_zone=tz,
        windows=windows_to_json(make_windows(spec.window, spec.days)),
        excluded_dates=sorted(set(spec.excluded_dates)),
        max_channels=spec.max_channels,
        cps=spec.cps,
        max_attempts=spec.max_attempts,
        max_per_day=spec.max_per_day,
        retry_delays=retry,
        transfer_queue=spec.transfer_queue,
        caller_id=caller_id,
        caller_name=caller_name,
        number_max_per_minute=spec.number_caps.per_minute,
        number_max_per_hour=spec.number_caps.per_hour,
        number_max_per_day=spec.number_caps.per_day,
        status="active",
        created_at=utcnow(),
    )
    session.add(campaign)
    session.commit()
    session.refresh(campaign)
    return campaign


def get_campaign_by_name(session: Session, name: str) -> Campaign:
    campaign = session.exec(select(Campaign).where(Campaign.name == name)).first()
    if campaign is None:
        raise NotFound(f"no campaign named {name!r}; `outreach campaign list` shows the campaigns")
    return campaign


def get_campaign(session: Session, campaign_id: int) -> Campaign:
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound(f"no campaign with id {campaign_id}")
    return campaign


def list_campaigns(session: Session) -> list[Campaign]:
    return list(session.exec(select(Campaign).order_by(col(Campaign.id))))


def set_status(session: Session, name: str, status: str) -> Campaign:
    if status not in ("active", "paused"):
        raise InvalidInput(f"unknown campaign status {status!r}")
    campaign = get_campaign_by_name(session, name)
    if campaign.status == "archived":
        raise InvalidInput(f"campaign {name} is archived: `outreach campaign unarchive {name}` "
                           "first")  # fmt: skip
    campaign.status = status
    session.add(campaign)
    session.commit()
    return campaign


def set_model(session: Session, campaign: Campaign, model: str | None) -> Campaign:
    """The campaign's own recogniser model (checked by the caller: campaigns knows no models)."""
    campaign.asr_model = model
    session.add(campaign)
    session.commit()
    session.refresh(campaign)
    return campaign


def contact_counts(session: Session, campaign_id: int) -> dict[str, int]:
    rows = session.exec(
        select(Contact.status, sa.func.count())
        .where(Contact.campaign_id == campaign_id)
        .group_by(Contact.status)
    ).all()
    return {status: int(n) for status, n in rows}


def policy_of(campaign: Campaign) -> CallingPolicy:
    return CallingPolicy(
        windows=windows_from_json(campaign.windows),
        excluded_dates=frozenset(date.fromisoformat(d) for d in campaign.excluded_dates),
        max_attempts=campaign.max_attempts,
        max_per_day=campaign.max_per_day,
        retry={
            **DEFAULT_RETRY,
            **{k: timedelta(seconds=v) for k, v in campaign.retry_delays.items()},
        },
    )
