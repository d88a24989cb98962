"""A campaign whose customers cover every simulated persona, imported the way a manager does it,
and what each persona's call must come to (the same on `sim` and on the sandbox Asterisk)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from orchestrator.cli import app

# persona -> (attempt outcome, dialog outcome, contact status after the call, makes a lead)
EXPECTED: dict[str, tuple[str, str | None, str, bool]] = {
    "interested": ("answered", "transfer", "done", True),
    "not_interested": ("answered", "not_interested", "done", False),
    "busy_call_me_later": ("answered", "callback", "retry", False),
    "asks_who_then_interested": ("answered", "transfer", "done", True),
    "opt_out": ("answered", "opt_out", "dnc", False),
    "silent": ("answered", "no_response", "retry", False),
    "interrupts": ("answered", "transfer", "done", True),
    "answering_machine": ("machine", None, "retry", False),
    "line_busy": ("busy", None, "retry", False),
    "no_answer": ("no_answer", None, "retry", False),
    "unreachable": ("failed", None, "retry", False),
}

runner = CliRunner()


def cli(home: Path, *args: str, env: dict[str, str] | None = None) -> Any:
    result = runner.invoke(app, ["--home", str(home), *args], env=env)
    assert result.exit_code == 0, result.output or repr(result.exception)
    return json.loads(result.output) if "--json" in args else result.output


def persona_list(path: Path, numbers: dict[str, str]) -> Path:
    """A CSV list, one customer per persona; `numbers` overrides a persona's phone number."""
    lines = ["name,phone,persona"]
    for i, persona in enumerate(EXPECTED):
        phone = numbers.get(persona, f"010-5555-{1000 + i}")
        lines.append(f"고객{i},{phone},{persona}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def check_outcomes(home: Path, campaign: str, phones: dict[str, str]) -> dict[str, Any]:
    """Every persona's call ended as it should; returns the report for further checks."""
    calls = cli(home, "calls", "list", "--campaign", campaign, "--json")
    by_phone = {c["phone"]: c for c in calls}
    assert len(calls) == len(EXPECTED), [c["phone"] for c in calls]
    leads = {lead["phone"] for lead in cli(home, "leads", "list", "--json")}
    for persona, (outcome, dialog, _status, lead) in EXPECTED.items():
        call = by_phone[phones[persona]]
        shown = cli(home, "calls", "show", call["id"], "--json")
        said = [(t["speaker"], t["text"], t["intent"]) for t in shown["turns"]]
        assert (call["outcome"], call["dialog_outcome"]) == (outcome, dialog), (persona, said)
        assert (phones[persona] in leads) == lead, persona
    return cli(home, "campaign", "report", campaign, "--json")  # type: ignore[no-any-return]


def one_customer_campaign(home: Path, db_url: str, tmp: Path, worker_id: str,
                          **settings: str) -> dict[str, str]:  # fmt: skip
    """Campaign `f` (open every hour) with one interested customer on `db_url`; the environment
    of an `outreach run` on it as worker `worker_id`, with `settings` as OUTREACH_ variables."""
    cli(home, "--db", db_url, "campaign", "create", "f", "--script", "ko-dormant-deposit",
        "--window", "00:00-24:00", "--allow-night", "--days", "mon-sun")  # fmt: skip
    (tmp / "l.csv").write_text("name,phone,persona\n김하나,010-6666-1000,interested\n",
                               encoding="utf-8")  # fmt: skip
    cli(home, "--db", db_url, "contacts", "import", "f", str(tmp / "l.csv"), "--json")
    extra = {f"OUTREACH_{k.upper()}": v for k, v in settings.items()}
    return {**os.environ, "OUTREACH_HOME": str(home), "OUTREACH_DATABASE_URL": db_url,
            "OUTREACH_WORKER_ID": worker_id, **extra}  # fmt: skip
