"""`outreach leads ...`: the tele-sales agent's queue (take, show, finish, release, callbacks)
and the manager's view of it (list, assign). `leads push` lives in cli_run.py."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import typer

from campaigns import lead_card, leads
from campaigns.callbacks import local_label
from campaigns.moments import local_moment
from orchestrator.cli_common import (
    JsonOpt,
    campaign_id_in,
    console,
    engine_of,
    print_json,
    print_table,
    settings_of,
)

CampaignOpt = Annotated[str | None, typer.Option(help="Only this campaign.")]
leads_app = typer.Typer(help="The tele-sales lead queue.", no_args_is_help=True)


def _campaign_id(ctx: typer.Context, name: str | None) -> int | None:
    return None if name is None else campaign_id_in(engine_of(ctx), name)


def _lead_rows(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [(r["id"], r["tier"], r["grade"], r["score"], r["status"],
             (r["callback_at"] or "")[:16], r["name"], r["phone"], r["customer_id"],
             r["agent_id"], r["summary"][:60]) for r in rows]  # fmt: skip


LEAD_COLUMNS = ["id", "tier", "grade", "score", "status", "callback", "name", "phone",
                "customer id", "agent", "summary"]  # fmt: skip


@leads_app.command("list")
def leads_list(
    ctx: typer.Context,
    campaign: CampaignOpt = None,
    status: Annotated[str | None, typer.Option(help="queued, claimed, transferred, done.")] = None,
    agent: Annotated[
        str | None, typer.Option("--agent", help="Only what this agent may see.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Leads in the order agents get them: hot before warm, higher score and older first."""
    rows = leads.list_leads(engine_of(ctx), _campaign_id(ctx, campaign), status, for_agent=agent)
    if as_json:
        print_json(rows)
        return
    print_table(f"Leads ({len(rows):,})", LEAD_COLUMNS, _lead_rows(rows))


@leads_app.command("next")
def leads_next(
    ctx: typer.Context,
    agent: Annotated[str, typer.Option("--agent", help="Your agent id.")],
    campaign: CampaignOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Take the best waiting lead (no other agent can get it). One at a time: while you hold a
    lead you get that same lead back; finish (`leads done`) or release it to take another."""
    lease = settings_of(ctx).lead_lease
    lead = leads.next_lead(engine_of(ctx), agent, _campaign_id(ctx, campaign), lease=lease)
    if as_json:
        print_json(lead)
        return
    if lead is None:
        console.print("no lead is waiting")
        return
    if lead["already_held"]:
        console.print(f"you already hold lead {lead['id']}: finish it with `outreach leads done "
                      f"{lead['id']}` or give it back with `outreach leads release {lead['id']}`",
                      markup=False)  # fmt: skip
    _print_card(lead_card.show_lead(engine_of(ctx), lead["id"]))


def _print_card(card: dict[str, Any]) -> None:
    head = ["id", "campaign", "name", "phone_national", "customer_id", "time_zone", "tier",
            "grade", "score", "status", "agent_id", "lease_until", "callback_at",
            "callback_agent_id", "summary", "note", "recording_path", "call_id"]  # fmt: skip
    fields = [(k, card[k]) for k in head] + list(card["attributes"].items())
    print_table(f"Lead {card['id']}", ["field", "value"], fields)
    print_table("Why this score", ["points", "reason"],
                [(i.get("points"), i.get("reason")) for i in card["score_reasons"]])  # fmt: skip
    print_table(
        "Transcript", ["start", "who", "text", "conf", "intent"],
        [(f"{t['start_s']:.1f}", t["speaker"], t["text"],
          "" if t["confidence"] is None else f"{t['confidence']:.2f}", t["intent"])
         for t in card["transcript"]],
    )  # fmt: skip


@leads_app.command("show")
def leads_show(ctx: typer.Context, lead_id: int, as_json: JsonOpt = False) -> None:
    """One lead's card: campaign, number as dialled locally, customer id and list columns,
    tier, score with its reasons, summary, transcript, recording path."""
    card = lead_card.show_lead(engine_of(ctx), lead_id)
    if as_json:
        print_json(card)
    else:
        _print_card(card)


def _parse_moment(text: str | None, tz: str) -> datetime | None:
    """ISO 8601; without an offset it is read in `tz` (the customer's zone)."""
    if text is None:
        return None
    hint = "e.g. 2026-03-05T15:00 (the customer's time)"
    return local_moment(text, tz, f"{text!r} is not ISO 8601, {hint}")


@leads_app.command("done")
def leads_done(
    ctx: typer.Context,
    lead_id: int,
    result: Annotated[str, typer.Option(help="sold, no_sale, callback or unreachable.")],
    note: Annotated[str | None, typer.Option(help="A note for the record.")] = None,
    at: Annotated[
        str | None,
        typer.Option("--at", help="Callback time (ISO 8601; no offset: the customer's zone)."),
    ] = None,
    agent: Annotated[
        str | None,
        typer.Option("--agent", help="Your agent id (needed for a lead an agent holds)."),
    ] = None,
    shared: Annotated[
        bool, typer.Option("--shared", help="Put the callback in the shared queue, not yours.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Record what came of a lead; a callback returns it to the queue at --at, kept for you."""
    engine = engine_of(ctx)
    with engine.connect() as conn:
        tz = leads.customer_zone(conn, lead_id)
    when = _parse_moment(at, tz)
    row = leads.finish_lead(engine, lead_id, result, note, when, agent_id=agent, shared=shared)
    if as_json:
        print_json(row)
    elif result == "callback" and when is not None:
        keeper = row["callback_agent_id"] or "the shared queue"
        console.print(f"lead {lead_id}: callback {local_label(when, tz)}, kept for {keeper}",
                      markup=False)  # fmt: skip
    else:
        console.print(f"lead {lead_id}: {row['status']} ({result})", markup=False)


@leads_app.command("release")
def leads_release(
    ctx: typer.Context,
    lead_id: int,
    agent: Annotated[
        str | None, typer.Option("--agent", help="Your agent id (refused if not yours).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Give a held lead back to the queue (without --agent: whoever holds it, a manager's act)."""
    row = leads.release_lead(engine_of(ctx), lead_id, agent)
    if as_json:
        print_json(row)
    else:
        console.print(f"lead {lead_id} is back in the queue", markup=False)


@leads_app.command("assign")
def leads_assign(
    ctx: typer.Context,
    lead_id: int,
    agent: Annotated[str, typer.Option("--agent", help="The agent who gets the lead.")],
    as_json: JsonOpt = False,
) -> None:
    """Give a lead to an agent (a manager's act): an open lead becomes their claim; a callback
    not yet due stays waiting, kept for them."""
    row = leads.assign_lead(engine_of(ctx), lead_id, agent, lease=settings_of(ctx).lead_lease)
    if as_json:
        print_json(row)
    elif row["status"] == "claimed":
        console.print(f"lead {lead_id} is now held by {agent}", markup=False)
    else:
        console.print(f"lead {lead_id}: callback kept for {agent}", markup=False)


@leads_app.command("callbacks")
def leads_callbacks(
    ctx: typer.Context,
    agent: Annotated[
        str | None, typer.Option("--agent", help="Only the callbacks kept for this agent.")
    ] = None,
    campaign: CampaignOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Callbacks still to make, soonest first, with whom each is kept."""
    rows = leads.list_callbacks(engine_of(ctx), agent, _campaign_id(ctx, campaign))
    if as_json:
        print_json(rows)
        return
    zones = leads.customer_zones(engine_of(ctx), [r["id"] for r in rows])
    print_table(
        f"Callbacks ({len(rows):,})",
        ["id", "when (customer's time)", "kept for", "status", "name", "phone", "summary"],
        [(r["id"], _local(r["callback_at"], zones.get(r["id"], "UTC")),
          r["callback_agent_id"] or "shared", r["status"], r["name"], r["phone"],
          r["summary"][:50]) for r in rows],
    )  # fmt: skip


def _local(at: str | None, tz: str) -> str:
    return local_label(datetime.fromisoformat(at), tz) if at else ""


def register(app: typer.Typer) -> None:
    app.add_typer(leads_app, name="leads")
