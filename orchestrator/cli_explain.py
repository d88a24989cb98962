"""Sentences for people: why nothing is due and when the next contact opens, times in the
campaign's zone with the zone named ("09:00 Asia/Shanghai (in 3 h 12 min)")."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from campaigns.policy import zone
from campaigns.waiting import REASONS, Waiting


def until_text(delta: timedelta) -> str:
    minutes = max(0, int(delta.total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = [f"{days} d"] * bool(days) + [f"{hours} h"] * bool(hours) + [f"{mins} min"]
    return "in " + " ".join(parts[:2] if days else parts) if minutes else "now"


def when_text(at: datetime, tz: str, now: datetime) -> str:
    """`09:00 Asia/Shanghai (in 3 h 12 min)`; another day adds the weekday or the date."""
    z = zone(tz)
    local, today = at.astimezone(z), now.astimezone(z).date()
    days = (local.date() - today).days
    day = "" if days == 0 else local.strftime("%a ") if 0 < days < 7 else f"{local.date()} "
    return f"{day}{local.strftime('%H:%M')} {tz} ({until_text(at - now)})"


def waiting_lines(w: Waiting, tz: str, now: datetime, campaign: str) -> list[str]:
    """What `run` and `campaign due` print about the contacts that are not due now."""
    lines: list[str] = []
    for g in w.groups:
        verb, _, rest = REASONS[g.reason].partition(" ")
        if g.contacts == 1:
            verb = {"wait": "waits", "are": "is", "have": "has"}.get(verb, verb)
        what = f"{g.contacts:,} contact{'s' * (g.contacts != 1)} {verb} {rest}"
        if g.reason == "paused" and w.status == "archived":
            what = (f"{g.contacts:,} contact{'s' * (g.contacts != 1)} wait{'s' * (g.contacts == 1)}"
                    f": the campaign is archived (`outreach campaign unarchive {campaign}`)")
        elif g.reason == "paused":
            what += f" (`outreach campaign resume {campaign}`)"
        elif g.next_at is not None:
            first = "next opening" if g.reason == "window" else "the first at"
            what += f", {first} {when_text(g.next_at, tz, now)}"
        elif g.reason != "calling":
            what += ", with no calling window in the next 31 days"
        lines.append(what)
    if w.due == 0:
        head = "nothing due now: "
        if not lines:
            left = ", ".join(f"{k} {v:,}" for k, v in sorted(w.finished.items()))
            return [head + f"no contact is left to call ({left or 'no contacts'})"]
        lines[0] = head + lines[0]
    return lines


def waiting_json(w: Waiting) -> dict[str, Any]:
    return {
        "status": w.status,
        "due": w.due,
        "next_at": w.next_at.isoformat() if w.next_at else None,
        "waiting": [{"reason": g.reason, "contacts": g.contacts,
                     "next_at": g.next_at.isoformat() if g.next_at else None}
                    for g in w.groups],
        "not_queued": w.finished,
    }  # fmt: skip
