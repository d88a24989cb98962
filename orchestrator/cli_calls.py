"""`outreach calls list` (QA's search, CSV export of it), `calls mark` (QA marks) and
`outreach audit list` (who played which recording). `calls show/export` live in cli_run.py."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any, TextIO

import typer

from campaigns import audit, qa, qa_marks
from campaigns.db import session
from campaigns.moments import parse_when
from campaigns.repo import REGION_ZONES, get_campaign, list_campaigns
from campaigns.search import CallFilter, check_filter, list_columns, search_calls, write_csv
from orchestrator.campaign_script import campaign_intents
from orchestrator.cli_common import (
    JsonOpt,
    UserError,
    campaign_id_in,
    console,
    engine_of,
    print_json,
    print_table,
    settings_of,
)

calls_app = typer.Typer(help="Calls and transcripts, for QA.", no_args_is_help=True)
audit_app = typer.Typer(help="Audit logs (recording playbacks).", no_args_is_help=True)


def _script_intents(ctx: typer.Context, campaign_id: int | None) -> set[str]:
    with session(engine_of(ctx)) as s:
        camps = [get_campaign(s, campaign_id)] if campaign_id else list_campaigns(s)
        return campaign_intents(s, camps)


def _zone_of(ctx: typer.Context, campaign_id: int | None) -> str:
    if campaign_id is not None:
        with session(engine_of(ctx)) as s:
            return get_campaign(s, campaign_id).time_zone
    return REGION_ZONES.get(settings_of(ctx).default_region.upper(), "UTC")


def open_private(out: Path, encoding: str = "utf-8", newline: str | None = None) -> TextIO:
    """A file for writing created 0600 (exports hold customers' numbers and words)."""
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # also when the file existed with wider permissions
    return os.fdopen(fd, "w", encoding=encoding, newline=newline)


def write_csv_private(out: Path, rows: list[dict[str, Any]]) -> None:
    """The search as CSV (UTF-8 with BOM for Excel), created 0600: it holds customers' numbers."""
    with open_private(out, "utf-8-sig", "") as f:
        write_csv(f, rows)


Opt = typer.Option
CALL_TABLE = ["id", "campaign", "phone", "customer id", "started", "outcome", "dialog", "score",
              "tier", "low conf", "QA", "intents", "list columns"]  # fmt: skip
# Left out first at a narrow width; the customer id (never wrapped) only after every other.
CALL_DROP_ORDER = ["list columns", "intents", "QA", "low conf", "tier", "score", "dialog",
                   "outcome", "started", "customer id"]  # fmt: skip


@calls_app.command("list")
def calls_list(
    ctx: typer.Context,
    campaign: Annotated[str | None, Opt(help="Only this campaign.")] = None,
    outcome: Annotated[str | None, Opt(help="Dial or dialog outcome.")] = None,
    intent: Annotated[str | None, Opt(help="Calls where this intent was heard.")] = None,
    since: Annotated[str | None, Opt(help="Started at or after (date or ISO time).")] = None,
    until: Annotated[str | None, Opt(help="Started before (a date: through that day).")] = None,
    phone: Annotated[str | None, Opt(help="A number in any format, or some digits.")] = None,
    tier: Annotated[str | None, Opt(help="hot, warm, cold or do-not-call.")] = None,
    min_score: Annotated[int | None, Opt(help="Score at least.")] = None,
    max_score: Annotated[int | None, Opt(help="Score at most.")] = None,
    below_confidence: Annotated[
        float | None, Opt(help="Some customer turn heard with confidence below this (0-1).")
    ] = None,
    min_confidence: Annotated[
        float | None, Opt(help="Every customer turn heard with at least this confidence.")
    ] = None,
    text: Annotated[str | None, Opt(help="Words in the transcript (any case).")] = None,
    reviewed: Annotated[
        bool | None, Opt("--reviewed/--unreviewed", help="With or without a QA mark.")
    ] = None,
    verdict: Annotated[str | None, Opt(help="Current QA mark: pass or fail.")] = None,
    tag: Annotated[str | None, Opt(help="Current QA mark has this tag.")] = None,
    limit: Annotated[int, Opt(help="At most this many.")] = 200,
    offset: Annotated[int, Opt(help="Skip this many (paging).")] = 0,
    csv_out: Annotated[Path | None, Opt("--csv", help="Write every match to FILE.csv.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Search calls, newest first; filters combine (AND). Unknown values are refused."""
    cid = None if campaign is None else campaign_id_in(engine_of(ctx), campaign)
    tz = _zone_of(ctx, cid)
    f = CallFilter(cid, outcome, intent, parse_when(since, tz), parse_when(until, tz, True),
                   phone, tier, min_score, max_score, below_confidence, min_confidence, text,
                   reviewed, verdict, tag, settings_of(ctx).default_region)  # fmt: skip
    check_filter(engine_of(ctx), f, _script_intents(ctx, cid) if intent else None)
    if csv_out is not None:
        if csv_out.suffix != ".csv":
            raise UserError("--csv needs a file name ending in .csv")
        rows, total = search_calls(engine_of(ctx), f, limit=10_000_000)
        write_csv_private(csv_out, rows)
        console.print(f"wrote {total} calls to {csv_out}", markup=False)
        return
    rows, total = search_calls(engine_of(ctx), f, limit=limit, offset=offset)
    if as_json:
        print_json(rows)
        return
    print_table(
        f"Calls ({len(rows)} of {total})", CALL_TABLE,
        [(r["id"][:8], r["campaign"], r["phone"], r["customer_id"], r["started_at"][:19],
          r["outcome"], r["dialog_outcome"], r["score"], r["tier"],
          "" if r["lowest_confidence"] is None else f"{r['lowest_confidence']:.2f}",
          (r["qa"] or {}).get("verdict"), ",".join(r["intents"]), list_columns(r["attributes"]))
         for r in rows],
        drop_first=CALL_DROP_ORDER,
    )  # fmt: skip


def find_call(ctx: typer.Context, call_id: str) -> str:
    """The full id of the one call whose id starts with `call_id`."""
    matches = qa.find_calls(engine_of(ctx), call_id)
    if len(matches) != 1:
        many = "more than one call starts" if matches else "no call starts"
        raise UserError(f"{many} with {call_id!r}; `outreach calls list` shows the ids")
    return matches[0]


@calls_app.command("mark")
def calls_mark(
    ctx: typer.Context,
    call_id: str,
    reviewer: Annotated[str, Opt("--reviewer", help="Your name (QA reviewer).")],
    passed: Annotated[bool | None, Opt("--pass/--fail", help="The verdict.")] = None,
    tag: Annotated[list[str] | None, Opt("--tag", help="A tag (repeat for more).")] = None,
    comment: Annotated[str | None, Opt(help="What you noticed.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Mark a call reviewed: pass or fail, tags, a comment. The latest mark is the current one."""
    if passed is None:
        raise UserError("give the verdict: --pass or --fail")
    verdict = "pass" if passed else "fail"
    mark = qa_marks.mark_call(engine_of(ctx), find_call(ctx, call_id), reviewer, verdict,
                              tag or [], comment)  # fmt: skip
    if as_json:
        print_json(mark)
    else:
        tags = f" [{', '.join(mark['tags'])}]" if mark["tags"] else ""
        console.print(f"call {mark['attempt_id'][:8]}: {verdict}{tags} by {mark['reviewer']}",
                      markup=False)  # fmt: skip


@audit_app.command("list")
def audit_list(
    ctx: typer.Context,
    call: Annotated[str | None, Opt("--call", help="Only this call (id or its start).")] = None,
    user: Annotated[str | None, Opt(help="Only this user.")] = None,
    since: Annotated[str | None, Opt(help="At or after (date or ISO time).")] = None,
    limit: Annotated[int, Opt(help="At most this many.")] = 1000,
    as_json: JsonOpt = False,
) -> None:
    """Who played which call's recording, and when, newest first."""
    tz = _zone_of(ctx, None)
    rows = audit.list_playbacks(engine_of(ctx), find_call(ctx, call) if call else None, user,
                                parse_when(since, tz), limit)  # fmt: skip
    if as_json:
        print_json(rows)
        return
    print_table(
        f"Recording playbacks ({len(rows):,})",
        ["when (UTC)", "user", "call", "phone"],
        [(r["at"][:19], r["user"], r["call_id"][:8], r["phone"]) for r in rows],
    )


def register(app: typer.Typer) -> None:
    app.add_typer(calls_app, name="calls")
    app.add_typer(audit_app, name="audit")
