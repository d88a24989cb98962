"""`outreach contacts list|search|show|remove`: finding a customer in the lists, seeing what the
robot will say to them, taking them out of a campaign."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from campaigns import repo
from campaigns.contact_book import (
    STATUSES,
    ContactQuery,
    Removal,
    attempts_of,
    find_contacts,
    remove_contacts,
)
from campaigns.db import session
from campaigns.models import Campaign
from campaigns.phones import PhoneNormalizer
from orchestrator.cards import card_rows
from orchestrator.cli_common import (
    JsonOpt,
    UserError,
    console,
    engine_of,
    print_json,
    print_table,
    settings_of,
)

StatusOpt = Annotated[str | None, typer.Option("--status", help=f"One of {', '.join(STATUSES)}.")]
LimitOpt = Annotated[int, typer.Option("--limit", help="Show at most this many.")]
COLUMNS = ["campaign", "phone", "name", "customer", "status", "tries", "last outcome"]


def attach(app: typer.Typer) -> None:
    """Add the commands to the `contacts` group."""
    app.command("list")(list_cmd)
    app.command("search")(search_cmd)
    app.command("show")(show_cmd)
    app.command("remove")(remove_cmd)


def _campaign(ctx: typer.Context, name: str) -> Campaign:
    with session(engine_of(ctx)) as s:
        return repo.get_campaign_by_name(s, name)


def _print_rows(rows: list[dict[str, Any]], total: int, what: str) -> None:
    cells = [(r["campaign"], r["phone"], r["name"], r["customer_id"], r["status"],
              r["attempts"], r["last_outcome"]) for r in rows]  # fmt: skip
    print_table(what, COLUMNS, cells)
    more = f"; --limit {total} shows all" if total > len(rows) else ""
    console.print(f"{len(rows)} of {total} contact(s){more}", markup=False, highlight=False)


def list_cmd(
    ctx: typer.Context,
    campaign: Annotated[str, typer.Argument(help="Campaign name.")],
    status: StatusOpt = None,
    limit: LimitOpt = 100,
    as_json: JsonOpt = False,
) -> None:
    """A campaign's contacts in import order, with their list columns (--json)."""
    c = _campaign(ctx, campaign)
    rows, total = find_contacts(engine_of(ctx), ContactQuery(c.id, status=status), limit)
    if as_json:
        print_json(rows)
    else:
        _print_rows(rows, total, f"Contacts of {campaign}")


def search_cmd(
    ctx: typer.Context,
    text: Annotated[
        str | None, typer.Argument(help="A phone number (or part of one), name or customer id.")
    ] = None,
    campaign: Annotated[str | None, typer.Option(help="Only this campaign.")] = None,
    phone: Annotated[str | None, typer.Option(help="This number, in any usual format.")] = None,
    name: Annotated[str | None, typer.Option(help="Names containing this.")] = None,
    customer_id: Annotated[
        str | None, typer.Option("--customer-id", help="The CRM's customer id.")
    ] = None,
    status: StatusOpt = None,
    limit: LimitOpt = 100,
    as_json: JsonOpt = False,
) -> None:
    """Find contacts in every campaign (or one): all the criteria given must match."""
    c = _campaign(ctx, campaign) if campaign else None
    norm = PhoneNormalizer(c.region if c else settings_of(ctx).default_region)
    q = ContactQuery(
        campaign_id=c.id if c else None,
        text=text,
        text_phone=norm.e164(text) if text else None,
        phone=norm.require(phone) if phone else None,
        name=name,
        customer_id=customer_id,
        status=status,
    )
    if q.empty():
        raise UserError("give something to search for: TEXT, --phone, --name, --customer-id "
                        "or --status")  # fmt: skip
    rows, total = find_contacts(engine_of(ctx), q, limit)
    if as_json:
        print_json(rows)
    else:
        _print_rows(rows, total, "Contacts found")


def _one(ctx: typer.Context, c: Campaign, who: str, by_id: bool = False) -> dict[str, Any]:
    """A contact of `c` by phone number (unless `by_id`), else by customer id."""
    e164 = None if by_id else PhoneNormalizer(c.region).e164(who)
    q = ContactQuery(c.id, phone=e164) if e164 else ContactQuery(c.id, customer_id=who)
    rows, _ = find_contacts(engine_of(ctx), q, 2)
    if len(rows) != 1:
        found = "several contacts have" if rows else "no contact has"
        raise UserError(f"in campaign {c.name}, {found} the number or customer id {who!r}; "
                        "`outreach contacts search` finds contacts")  # fmt: skip
    return rows[0]


def greeting(c: Campaign, contact: dict[str, Any]) -> tuple[str | None, str | None]:
    """What the robot opens with for this contact, or why it cannot call them."""
    # Imported here: the dialog engine and the call flow are for `contacts show` alone, not for
    # the other contacts and dnc commands (start-up, tests/orchestrator/test_startup.py).
    from dialogs import DialogEngine, DialogError, Say
    from orchestrator.callflow import contact_variables
    from orchestrator.campaign_script import campaign_script

    try:
        script = campaign_script(c)
        values = contact_variables(contact["name"], contact["attributes"])
        said = [cmd.text for cmd in DialogEngine(script, values).start(0.0)
                if isinstance(cmd, Say)]  # fmt: skip
    except DialogError as exc:
        return None, str(exc)
    return " ".join(said), None


def show_cmd(
    ctx: typer.Context,
    campaign: Annotated[str, typer.Argument(help="Campaign name.")],
    who: Annotated[str, typer.Argument(help="Phone number or customer id.")],
    as_json: JsonOpt = False,
) -> None:
    """One contact: its fields and list columns, its calls, and the robot's greeting to it."""
    c = _campaign(ctx, campaign)
    contact = _one(ctx, c, who)
    said, problem = greeting(c, contact)
    data = {**contact, "greeting": said, "greeting_problem": problem,
            "calls": attempts_of(engine_of(ctx), contact["id"])}  # fmt: skip
    if as_json:
        print_json(data)
        return
    head = {k: v for k, v in data.items() if k not in ("calls", "greeting", "greeting_problem")}
    print_table(f"Contact {contact['phone']} in {campaign}", ["field", "value"], card_rows(head))
    if said is not None:
        console.print(f"greeting: {said}", markup=False, highlight=False)
    else:
        console.print(f"the robot cannot call this contact: {problem}", markup=False)
    print_table("Calls", ["id", "started", "outcome", "dialog", "score"],
                [(a["id"][:8], a["started_at"][:19], a["outcome"], a["dialog_outcome"], a["score"])
                 for a in data["calls"]])  # fmt: skip


def remove_cmd(
    ctx: typer.Context,
    campaign: Annotated[str, typer.Argument(help="Campaign name.")],
    phones: Annotated[
        list[str] | None, typer.Argument(help="Phone numbers (or customer ids).")
    ] = None,
    customer_id: Annotated[
        list[str] | None, typer.Option("--customer-id", help="A customer id (repeatable).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Take contacts out of a campaign. Never-called ones are deleted; called ones are kept as
    `removed` with their calls and leads; one on a call now is refused."""
    c = _campaign(ctx, campaign)
    wanted = [(w, False) for w in phones or []] + [(w, True) for w in customer_id or []]
    if not wanted:
        raise UserError("name the contacts to remove: phone numbers, or --customer-id ID")
    ids = [_one(ctx, c, w, by_id)["id"] for w, by_id in wanted]  # all found, or none removed
    done = remove_contacts(engine_of(ctx), c.id or 0, list(dict.fromkeys(ids)))
    if as_json:
        print_json(done.as_json())
    else:
        _print_removal(done)
    if done.busy:
        raise typer.Exit(1)


def _print_removal(r: Removal) -> None:
    if r.deleted:
        console.print(f"deleted {len(r.deleted)} never-called contact(s): {', '.join(r.deleted)}",
                      markup=False, highlight=False)  # fmt: skip
    if r.kept:
        console.print(f"removed {len(r.kept)} contact(s) from the queue, their calls and leads "
                      f"kept: {', '.join(r.kept)}", markup=False, highlight=False)  # fmt: skip
    if r.busy:
        console.print(f"not removed, on a call right now (try again when it ends): "
                      f"{', '.join(r.busy)}", markup=False, highlight=False)  # fmt: skip
