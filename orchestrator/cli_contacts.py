"""`outreach contacts import` and `outreach dnc add|import|list|check` (`remove`, `audit`: in
cli_dnc_audit): lists in, numbers out.

Thin: parse options, open the database, call campaigns.importer / campaigns.dnc, print JSON for
scripts or a rich summary (with a progress bar while importing) for people.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from campaigns import repo
from campaigns.columns import HeaderSpec, parse_map_options, read_mapping_file
from campaigns.db import session
from campaigns.dnc import add_dnc, import_dnc_file, is_blocked, list_dnc
from campaigns.importer import ImportResult, Needs, import_contacts
from campaigns.models import Campaign
from campaigns.phones import PhoneNormalizer, check_region
from orchestrator import cli_contact_book, cli_dnc_audit
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

contacts_app = typer.Typer(help="Contact lists (CSV or XLSX): import, list, search, remove.",
                           no_args_is_help=True)  # fmt: skip
dnc_app = typer.Typer(help="The do-not-call list: numbers no campaign may dial.",
                      no_args_is_help=True)  # fmt: skip

RegionOpt = Annotated[
    str | None,
    typer.Option("--region", help="Country for numbers written without +code (e.g. KR, CN)."),
]
EncodingOpt = Annotated[
    str | None, typer.Option("--encoding", help="Force the CSV encoding (default: detected).")
]


def register(app: typer.Typer) -> None:
    """Attach `contacts` and `dnc` to the main app."""
    cli_contact_book.attach(contacts_app)
    app.add_typer(contacts_app, name="contacts")
    cli_dnc_audit.attach(dnc_app)
    app.add_typer(dnc_app, name="dnc")


@contacts_app.command("import")
def import_cmd(
    ctx: typer.Context,
    campaign: Annotated[str, typer.Argument(help="Campaign name.")],
    file: Annotated[Path, typer.Argument(help="CSV (any separator, UTF-8/GBK/CP949) or XLSX.")],
    region: RegionOpt = None,
    errors: Annotated[
        Path | None,
        typer.Option("--errors", help="Where rejected rows go (default FILE.errors.csv)."),
    ] = None,
    encoding: EncodingOpt = None,
    map_: Annotated[
        list[str] | None,
        typer.Option("--map", help="COLUMN=field, e.g. 产品=product (repeatable; - skips)."),
    ] = None,
    mapping: Annotated[
        Path | None,
        typer.Option("--mapping", help="YAML (column: field) or CSV (column,field) mapping file."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Import contacts: duplicates, do-not-call numbers, bad rows and rows without a value the
    script needs go to the errors file. Columns map to fields by header aliases, --mapping
    and --map; other columns are kept as the contact's variables."""
    if region is not None:
        region = check_region(region)
    columns = read_mapping_file(mapping) if mapping is not None else {}
    columns.update(parse_map_options(map_ or []))
    with session(engine_of(ctx)) as s:
        target = repo.get_campaign_by_name(s, campaign)
        if target.status == "archived":
            raise UserError(f"campaign {campaign} is archived: `outreach campaign unarchive "
                            f"{campaign}` before importing into it")  # fmt: skip
        spec, needs = _script_needs(target, columns)
        kwargs: dict[str, Any] = {"region": region, "errors_path": errors, "encoding": encoding,
                                  "spec": spec, "needs": needs}  # fmt: skip
        if as_json:
            result = import_contacts(s, target, file, **kwargs)
            print_json(result.as_json())
            return
        with _progress() as bar:
            task = bar.add_task(f"importing {file.name}", total=None)

            def advance(done: int, total: int | None) -> None:
                bar.update(task, completed=done, total=total)

            result = import_contacts(s, target, file, progress=advance, **kwargs)
    _print_import(campaign, result)


def _script_needs(campaign: Campaign, columns: dict[str, str]) -> tuple[HeaderSpec, Needs]:
    """The campaign script's variables (a header spelled like one maps to it) and those it
    cannot do without; a script that does not load cannot vouch for any row."""
    # Imported here: the script loader is the import's alone (the dnc commands start faster).
    from dialogs import DialogError
    from orchestrator.campaign_script import campaign_script

    try:
        script = campaign_script(campaign)
    except DialogError as exc:
        raise UserError(
            f"campaign {campaign.name}'s script {campaign.script_ref!r} does not load, so the "
            f"rows cannot be checked against it: {exc}"
        ) from exc
    defaults = script.model.variables
    required = tuple(v for v, d in defaults.items() if d is None or str(d) == "")
    return HeaderSpec(columns, tuple(defaults)), Needs(script.name, required)


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    )


def _print_import(campaign: str, r: ImportResult) -> None:
    print_table(
        f"import into {campaign}",
        ["rows", "imported", "duplicates", "invalid", "do-not-call", "missing variable"],
        [[r.rows, r.imported, r.duplicates, r.invalid, r.dnc, r.missing_variables]],
    )
    mapped = [f"{src}->{dst}" if src != dst else src for src, dst in r.columns.items()]
    console.print(f"columns: {', '.join(mapped)}", markup=False, highlight=False)
    if r.missing_variables:
        lacking = ", ".join(f"{v} ({n})" for v, n in sorted(r.missing.items()))
        console.print(f"{r.missing_variables} row(s) not imported: no value for a variable the "
                      f"script needs: {lacking}", markup=False, highlight=False)  # fmt: skip
    if r.errors_file:
        rejected = r.duplicates + r.invalid + r.dnc + r.missing_variables
        console.print(f"{rejected} rejected row(s), with line and reason: {r.errors_file}")


@dnc_app.command("add")
def dnc_add(
    ctx: typer.Context,
    phones: Annotated[list[str], typer.Argument(help="Numbers, in any usual format.")],
    region: RegionOpt = None,
    reason: Annotated[str, typer.Option("--reason", help="Why.")] = "requested by the customer",
    by: cli_dnc_audit.ByOpt = None,
) -> None:
    """Put numbers on the do-not-call list; contacts already imported stop at once."""
    norm = PhoneNormalizer(region or settings_of(ctx).default_region)
    e164 = [norm.require(p) for p in phones]  # all or nothing: one bad number adds none
    with session(engine_of(ctx)) as s:
        added = add_dnc(s, e164, reason, "cli", by=cli_dnc_audit.who(by))
    already = len(set(e164)) - added
    console.print(f"added {added} number(s) to the do-not-call list; {already} already listed")


@dnc_app.command("import")
def dnc_import(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="CSV/XLSX: a phone column, or numbers in column 1.")],
    region: RegionOpt = None,
    reason: Annotated[str, typer.Option("--reason", help="Why.")] = "do-not-call list import",
    encoding: EncodingOpt = None,
    by: cli_dnc_audit.ByOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List every valid number of a file; invalid rows are reported, never listed."""
    with session(engine_of(ctx)) as s:
        r = import_dnc_file(s, file, region=region or settings_of(ctx).default_region,
                            reason=reason, encoding=encoding,
                            by=cli_dnc_audit.who(by))  # fmt: skip
    if as_json:
        print_json({"rows": r.rows, "added": r.added, "already_listed": r.already_listed,
                    "invalid": r.invalid})  # fmt: skip
        return
    print_table("do-not-call import", ["rows", "added", "already listed", "invalid"],
                [[r.rows, r.added, r.already_listed, r.invalid]])  # fmt: skip
    for line, raw in r.invalid_rows[:10]:
        err_console.print(f"line {line}: {raw!r} is not a valid number", highlight=False)
    if r.invalid > 10:
        err_console.print(f"... and {r.invalid - 10} more invalid row(s)")


@dnc_app.command("list")
def dnc_list(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Every listed number, oldest first."""
    with session(engine_of(ctx)) as s:
        entries = list_dnc(s)
    if as_json:
        print_json([{"phone": e.phone, "reason": e.reason, "added_at": e.added_at.isoformat()}
                    for e in entries])  # fmt: skip
        return
    rows = [[e.phone, e.reason, e.source, e.added_at.strftime("%Y-%m-%d %H:%M")] for e in entries]
    print_table(f"do-not-call list ({len(entries):,} numbers)",
                ["phone", "reason", "source", "added (UTC)"], rows)  # fmt: skip


@dnc_app.command("check")
def dnc_check(
    ctx: typer.Context,
    phone: Annotated[str, typer.Argument(help="A number, in any usual format.")],
    region: RegionOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Whether a number is on the do-not-call list."""
    e164 = PhoneNormalizer(region or settings_of(ctx).default_region).require(phone)
    with session(engine_of(ctx)) as s:
        entry = is_blocked(s, e164)
    out: dict[str, Any] = {"phone": e164, "blocked": entry is not None,
                           "reason": entry.reason if entry else None}  # fmt: skip
    if as_json:
        print_json(out)
    elif entry is not None:
        console.print(f"{e164} is on the do-not-call list: {entry.reason}", highlight=False)
    else:
        console.print(f"{e164} is not on the do-not-call list", highlight=False)
