"""The live display of `outreach run`: progress today (X of N), rate, ETA, lines in use, what
this run did, in colour; times in the campaign's zone with the zone named. Fits 80 columns."""

from __future__ import annotations

from datetime import UTC, datetime

from rich.console import Group
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from campaigns.policy import zone
from orchestrator.cli_explain import when_text
from orchestrator.dialer import RunStats

COLOURS = {"answered": "green", "transfer": "bold green", "interested": "bold green",
           "opt_out": "yellow", "failed": "red", "trunk_failed": "bold red", "error": "red",
           "unknown": "red", "busy": "cyan", "no_answer": "cyan", "machine": "magenta",
           "degraded": "yellow"}  # fmt: skip


def _pairs(items: list[tuple[str, object]], colours: dict[str, str] | None = None) -> Text:
    out = Text()
    for i, (k, v) in enumerate(items):
        out.append(" · " if i else "")
        out.append(f"{k} {v}", style=(colours or COLOURS).get(k, ""))
    return out


def live_table(s: RunStats, now: datetime | None = None) -> Table:
    now = now or datetime.now(UTC)
    p = s.progress
    tz = p.time_zone if p else "UTC"
    local = now.astimezone(zone(tz)).strftime("%a %Y-%m-%d %H:%M")
    t = Table(title=Text(f"Campaign {s.campaign} · {local} {tz}"), show_header=False,
              expand=False, title_justify="left")  # fmt: skip
    t.add_column(style="bold", no_wrap=True)
    t.add_column(overflow="fold")
    if p is not None:
        share = Text(f" {p.done:,} of {p.total:,} calls due today ({p.fraction:.0%})")
        bar = ProgressBar(total=max(p.total, 1), completed=p.done, width=20)
        t.add_row("today", Group(bar, share) if p.total else Text("nothing due today"))
        rate = "-" if p.rate_per_min is None else f"{p.rate_per_min:.1f} calls/min (recent)"
        t.add_row("rate", rate)
        eta = when_text(p.eta, tz, now) if p.eta else "-" if p.remaining else "done for today"
        t.add_row("ETA", eta)
        full = p.lines_in_use >= p.max_lines
        t.add_row("lines", Text(f"{p.lines_in_use} of {p.max_lines} in use (all workers)",
                                style="yellow" if full else "green"))  # fmt: skip
    else:
        t.add_row("today", "counting ...")
    t.add_row("this run", _pairs([("in flight", s.in_flight), ("dialled", s.dialled),
                                  ("finished", s.finished), ("answered", s.answered),
                                  ("leads", s.leads), ("opt-outs", s.opt_outs)],
                                 {"answered": "green", "leads": "bold green",
                                  "opt-outs": "yellow"}))  # fmt: skip
    if s.holding:
        t.add_row("holding", Text(f"no new calls: {s.holding} (the worker is not keeping up)",
                                  style="yellow"))  # fmt: skip
    if s.not_dialled:
        t.add_row("not dialled", _pairs(sorted(s.not_dialled.items()), {}))
    if s.outcomes:
        t.add_row("outcomes", _pairs(sorted(s.outcomes.items())))
    return t
