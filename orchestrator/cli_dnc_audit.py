"""`outreach dnc remove` (a mistaken entry) and `outreach dnc audit`: the list's audit trail.

Who is `--by`, else the operating-system user running the command; every add and removal is
kept with when, why and from where (docs/operations.md).
"""

from __future__ import annotations

import getpass
from typing import Annotated

import typer

from campaigns.db import session
from campaigns.dnc import dnc_audit, remove_dnc
from campaigns.phones import PhoneNormalizer
from orchestrator.cli_common import (
    JsonOpt,
    console,
    engine_of,
    print_json,
    print_table,
    settings_of,
)

RegionOpt = Annotated[
    str | None,
    typer.Option("--region", help="Country for numbers written without +code (e.g. KR, CN)."),
]
ByOpt = Annotated[
    str | None, typer.Option("--by", help="Who does it (default: the operating-system user).")
]


def who(by: str | None) -> str:
    """`--by`, else the operating-system user."""
    if by is not None and by.strip():
        return by.strip()
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name in this environment
        return "unknown"


def dnc_remove(
    ctx: typer.Context,
    phone: Annotated[str, typer.Argument(help="The number, in any usual format.")],
    reason: Annotated[str, typer.Option("--reason", help="Why it comes off (kept in the audit).")],
    by: ByOpt = None,
    region: RegionOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Take a mistaken entry off the do-not-call list; its contacts go back on the queue."""
    e164 = PhoneNormalizer(region or settings_of(ctx).default_region).require(phone)
    person = who(by)
    with session(engine_of(ctx)) as s:
        entry = remove_dnc(s, e164, reason, person)
    if as_json:
        print_json({"phone": e164, "removed": True, "by": person, "reason": reason.strip(),
                    "was_reason": entry.reason, "was_source": entry.source,
                    "was_added_at": entry.added_at.isoformat()})  # fmt: skip
        return
    console.print(f"removed {e164} from the do-not-call list (listed "
                  f"{entry.added_at.isoformat(timespec='seconds')}: {entry.reason}); "
                  f"by {person}: {reason.strip()}", markup=False, highlight=False)  # fmt: skip


def dnc_audit_cmd(
    ctx: typer.Context,
    phone: Annotated[str | None, typer.Argument(help="Only this number.")] = None,
    region: RegionOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Every change to the do-not-call list: when, what, which number, who, why, from where."""
    e164 = (PhoneNormalizer(region or settings_of(ctx).default_region).require(phone)
            if phone else None)  # fmt: skip
    with session(engine_of(ctx)) as s:
        rows = dnc_audit(s, e164)
    if as_json:
        print_json([{"at": r.at.isoformat(), "action": r.action, "phone": r.phone, "by": r.by,
                     "reason": r.reason, "source": r.source} for r in rows])  # fmt: skip
        return
    print_table(f"do-not-call audit ({len(rows):,})", ["when", "action", "phone", "who", "why"],
                [[r.at.isoformat(timespec="seconds"), r.action, r.phone, r.by or r.source or "",
                  r.reason] for r in rows])  # fmt: skip


def attach(dnc_app: typer.Typer) -> None:
    dnc_app.command("remove")(dnc_remove)
    dnc_app.command("audit")(dnc_audit_cmd)
