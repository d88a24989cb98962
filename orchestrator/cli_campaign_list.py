"""`outreach campaign list`, and the `campaign` group the other campaign commands join
(cli_campaigns, cli_campaign_edit, cli_due, ...).

Listing is what people run most and it is short, so its start-up is most of its time: it reads
through the database driver alone (campaigns/dbapi.py) with the database and home found without
pydantic (orchestrator/locations.py), and imports SQLAlchemy, the table models and the settings
only when that cannot answer (a new home, a migration due, a URL or a file in trouble: the ORM
path then says what is wrong). tests/orchestrator/test_startup.py checks what it loads.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Protocol

import typer

from orchestrator import cli_common
from orchestrator.cli_common import JsonOpt, options_of, print_json, print_table

if TYPE_CHECKING:
    from datetime import datetime

campaign_app = typer.Typer(help="Create and manage campaigns.", no_args_is_help=True)


class CampaignLike(Protocol):
    """What campaign_dict reads: a campaigns.models.Campaign or a campaigns.dbapi.CampaignRow."""

    @property
    def name(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def script_ref(self) -> str: ...
    @property
    def region(self) -> str: ...
    @property
    def time_zone(self) -> str: ...
    @property
    def windows(self) -> dict[str, Any]: ...
    @property
    def excluded_dates(self) -> list[str]: ...
    @property
    def max_channels(self) -> int: ...
    @property
    def cps(self) -> float: ...
    @property
    def max_attempts(self) -> int: ...
    @property
    def max_per_day(self) -> int: ...
    @property
    def number_max_per_minute(self) -> int | None: ...
    @property
    def number_max_per_hour(self) -> int | None: ...
    @property
    def number_max_per_day(self) -> int | None: ...
    @property
    def retry_delays(self) -> dict[str, Any]: ...
    @property
    def transfer_queue(self) -> str | None: ...
    @property
    def caller_id(self) -> str | None: ...
    @property
    def caller_name(self) -> str | None: ...
    @property
    def asr_model(self) -> str | None: ...
    @property
    def script_path(self) -> str | None: ...
    @property
    def script_version(self) -> str | None: ...
    @property
    def created_at(self) -> datetime: ...


def campaign_dict(c: CampaignLike, counts: dict[str, int] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": c.name,
        "status": c.status,
        "script": c.script_ref,
        "region": c.region,
        "time_zone": c.time_zone,
        "windows": c.windows,
        "excluded_dates": c.excluded_dates,
        "max_channels": c.max_channels,
        "cps": c.cps,
        "max_attempts": c.max_attempts,
        "max_per_day": c.max_per_day,
        "number_max_per_minute": c.number_max_per_minute,
        "number_max_per_hour": c.number_max_per_hour,
        "number_max_per_day": c.number_max_per_day,
        "retry_delays_s": c.retry_delays,
        "transfer_queue": c.transfer_queue,
        "caller_id": c.caller_id,
        "caller_name": c.caller_name,
        "asr_model": c.asr_model,
        "script_path": c.script_path,
        "script_version": c.script_version,
        "created_at": c.created_at.isoformat(),
    }
    if counts is not None:
        out["contacts"] = {"total": sum(counts.values()), **counts}
    return out


Listed = tuple[list[tuple[CampaignLike, dict[str, int]]], int]


def _through_orm(ctx: typer.Context, all_: bool) -> Listed:
    from campaigns import repo
    from campaigns.db import session
    from orchestrator.cli_common import engine_of

    with session(engine_of(ctx)) as s:
        every = repo.list_campaigns(s)
        rows: list[tuple[CampaignLike, dict[str, int]]] = [
            (c, repo.contact_counts(s, c.id or 0)) for c in every
            if all_ or c.status != "archived"]  # fmt: skip
    return rows, len(every) - len(rows)


def _quick(ctx: typer.Context, all_: bool) -> Listed | None:
    url = options_of(ctx).quick_database_url()
    if url is None:
        return None
    from campaigns.dbapi import campaigns_with_counts

    found = campaigns_with_counts(url, all_)
    if found is None:
        return None
    return list(found[0]), found[1]


@campaign_app.command("list")
def list_(
    ctx: typer.Context,
    all_: Annotated[bool, typer.Option("--all", help="Archived campaigns too.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """List campaigns with their contact counts (archived ones only with --all)."""
    rows, hidden = _quick(ctx, all_) or _through_orm(ctx, all_)
    if as_json:
        print_json([campaign_dict(c, n) for c, n in rows])
        return
    print_table(
        f"Campaigns ({len(rows)})",
        ["name", "status", "script", "contacts", "pending", "done", "channels", "cps"],
        [
            (
                c.name,
                c.status,
                c.script_ref,
                sum(n.values()),
                n.get("new", 0) + n.get("retry", 0) + n.get("calling", 0),
                n.get("done", 0),
                c.max_channels,
                c.cps,
            )
            for c, n in rows
        ],
    )
    if hidden:
        cli_common.console.print(f"{hidden} archived campaign(s) not shown; --all shows them",
                                 markup=False)  # fmt: skip


def register(app: typer.Typer) -> None:
    app.add_typer(campaign_app, name="campaign")
