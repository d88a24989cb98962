"""`outreach contacts import` and `outreach dnc add|import|list|check`: lists in, numbers out.

Thin: parse options, open the database, call campaigns.importer / campaigns.dnc, print JSON for
scripts or a rich summary (with a progress bar while importing) for people.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from campaigns import repo
from campaigns.db import session
from campaigns.dnc import add_dnc, import_dnc_file, is_blocked, list_dnc
from campaigns.importer import ImportResult, import_contacts
from campaigns.phones import PhoneNormalizer, check_region
from orchestrator.cli_common import (
    console,
    engine_of,
    err_console,
    print_json,
    print_table,
    settings_of,
)

contacts_app = typer.Typer(help="Import contact lists (CSV or XLSX) into campaigns.",
                           no_args_is_help=True)  # fmt: skip
dnc_app = typer.Typer(help="The do-not-call list: numbers no campaign may dial.",
                      no_args_is_help=True)  # fmt: skip

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
RegionOpt = Annotated[
    str | None,
    typer.Option("--region", help="Country for numbers written without +code (e.g. KR, CN)."),
]
EncodingOpt = Annotated[
    str | None, typer.Option("--encoding", help="Force the CSV encoding (default: detected).")
]


def register(app: typer.Typer) -> None:
    """Attach `contacts` and `dnc` to the main app."""
    app.add_typer(contacts_app, name="contacts")
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
    as_json: JsonOpt = False,
) -> None:
    """Import contacts: duplicates, do-not-call numbers and bad rows go to the errors file."""
    if region is not None:
        region = check_region(region)
    with session(engine_of(ctx)) as s:
        target = repo.get_campaign_by_name(s, campaign)
        if as_json:
            result = import_contacts(s, target, file, region=region, errors_path=errors,
                                     encoding=encoding)  # fmt: skip
            print_json(result.as_json())
            return
        with _progress() as bar:
            task = bar.add_task(f"importing {file.name}", total=None)

            def advance(done: int, total: int | None) -> None:
                bar.update(task, completed=done, total=total)

            result = import_contacts(s, target, file, region=region, errors_path=errors,
                                     encoding=encoding, progress=advance)  # fmt: skip
    _print_import(campaign, result)


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
        ["rows", "imported", "duplicates", "invalid", "do-not-call"],
        [[r.rows, r.imported, r.duplicates, r.invalid, r.dnc]],
    )
    if r.errors_file:
        rejected = r.duplicates + r.invalid + r.dnc
        console.print(f"{rejected} rejected row(s), with line and reason: {r.errors_file}")


@dnc_app.command("add")
def dnc_add(
    ctx: typer.Context,
    phones: Annotated[list[str], typer.Argument(help="Numbers, in any usual format.")],
    region: RegionOpt = None,
    reason: Annotated[str, typer.Option("--reason", help="Why.")] = "requested by the customer",
) -> None:
    """Put numbers on the do-not-call list; contacts already imported stop at once."""
    norm = PhoneNormalizer(region or settings_of(ctx).default_region)
    e164 = [norm.require(p) for p in phones]  # all or nothing: one bad number adds none
    with session(engine_of(ctx)) as s:
        added = add_dnc(s, e164, reason, "cli")
    already = len(set(e164)) - added
    console.print(f"added {added} number(s) to the do-not-call list; {already} already listed")


@dnc_app.command("import")
def dnc_import(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="CSV/XLSX: a phone column, or numbers in column 1.")],
    region: RegionOpt = None,
    reason: Annotated[str, typer.Option("--reason", help="Why.")] = "do-not-call list import",
    encoding: EncodingOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List every valid number of a file; invalid rows are reported, never listed."""
    with session(engine_of(ctx)) as s:
        r = import_dnc_file(s, file, region=region or settings_of(ctx).default_region,
                            reason=reason, encoding=encoding)  # fmt: skip
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
    print_table("do-not-call list", ["phone", "reason", "source", "added"],
                [[e.phone, e.reason, e.source, e.added_at.isoformat(timespec="seconds")]
                 for e in entries])  # fmt: skip


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
