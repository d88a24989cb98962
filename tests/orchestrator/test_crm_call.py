"""A Korean bank's CRM export (CP949 CSV: 고객번호, 성명, 휴대폰, 상품, 은행) dialled on simulated
customers with the real recogniser and synthesiser: the robot says the customer's own bank and
product in the call, and the lead reaches the agent and the CRM's webhook with the customer id."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from typer.testing import CliRunner

from orchestrator.cli import app

EXPORT = ("고객번호,성명,휴대폰,상품,은행,persona\r\n"
          "K-0001,김민수,010-5555-1000,청년 적금,푸른은행,interested\r\n")  # fmt: skip


class Crm(BaseHTTPRequestHandler):
    bodies: ClassVar[list[bytes]] = []

    def do_POST(self) -> None:
        Crm.bodies.append(self.rfile.read(int(self.headers["Content-Length"])))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def crm() -> Iterator[str]:
    Crm.bodies = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Crm)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/leads"
    server.shutdown()
    server.server_close()


def test_crm_columns_are_said_in_the_call_and_reach_lead_and_webhook(
    db_url: str, tmp_path: Path, crm: str
) -> None:
    env = {"OUTREACH_WEBHOOK_URL": crm, "OUTREACH_WEBHOOK_SECRET": "k"}

    def cli(*args: str) -> Any:
        result = CliRunner().invoke(app, ["--db", db_url, "--home", str(tmp_path / "home"),
                                          *args], env=env)  # fmt: skip
        assert result.exit_code == 0, (result.output, result.exception)
        return json.loads(result.stdout) if "--json" in args else result.stdout

    cli("campaign", "create", "crm", "--script", "ko-dormant-deposit", "--window", "00:00-24:00",
        "--allow-night", "--days", "mon-sun")  # fmt: skip
    export = tmp_path / "export.csv"
    export.write_bytes(EXPORT.encode("cp949"))
    got = cli("contacts", "import", "crm", str(export), "--json")
    assert got["imported"] == 1 and got["columns"]["상품"] == "product"
    assert got["columns"]["은행"] == "bank" and got["columns"]["고객번호"] == "customer_id"
    summary = cli("run", "crm", "--until-done", "--speed", "2", "--json")
    assert summary["finished"] == 1
    (call,) = cli("calls", "list", "--json")
    shown = cli("calls", "show", call["id"], "--json")
    robot = " ".join(t["text"] for t in shown["turns"] if t["speaker"] == "robot")
    assert "푸른은행" in robot, robot
    assert "청년 적금" in robot, robot
    assert shown["customer_id"] == "K-0001"
    (lead,) = cli("leads", "list", "--json")
    card = cli("leads", "show", str(lead["id"]), "--json")
    assert card["customer_id"] == "K-0001" and card["attributes"]["product"] == "청년 적금"
    cli("leads", "push")  # whatever the run had not delivered yet
    payloads = [json.loads(b) for b in Crm.bodies]
    assert [p["customer_id"] for p in payloads] == ["K-0001"]
    assert payloads[0]["attributes"]["bank"] == "푸른은행"
