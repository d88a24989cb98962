"""A bank's CRM export (GBK CSV with 客户号, 姓名, 手机号, 产品, 开户行) imported as a manager does
it: its columns fill the script's prompts, the customer number and the columns reach the lead
card and the webhook payload, and rows the script cannot speak to are reported at import."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import anyio
import httpx
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from campaigns.calls import CallReport, LeadDraft, finish_attempt
from campaigns.db import open_database
from campaigns.dialing import AttemptResult, claim
from campaigns.models import Campaign
from dialogs import DialogEngine, Say, Utterance, load_script
from dialogs.script import resolve_ref
from orchestrator.callflow import contact_variables
from orchestrator.cli import app
from orchestrator.webhook import DeliveryStats, deliver_once
from tests.orchestrator.test_recogniser_check import add_mandarin_stand_in

OUTREACH = Path(sys.executable).with_name("outreach")
# A Wednesday, 10:00 in Shanghai: inside the default calling window, after the import.
MORNING = datetime(2030, 1, 2, 2, 0, tzinfo=UTC)
CRM = [
    "客户号,姓名,手机号,产品,开户行,客户等级",
    "KH20240001,王伟,138 1234 5678,大额存单,招商银行北京分行,VIP",
    "KH20240002,李娜,13912345678,,招商银行上海分行,普通",
    "KH20240003,,13712345678,结构性存款,招商银行广州分行,普通",
    "KH20240004,张敏,+86 135 1234 5678,定期存款,招商银行深圳分行,普通",
]


class Receiver(BaseHTTPRequestHandler):
    """The CRM's webhook endpoint: stores every post."""

    bodies: ClassVar[list[bytes]] = []

    def do_POST(self) -> None:
        Receiver.bodies.append(self.rfile.read(int(self.headers["Content-Length"])))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def crm_webhook() -> Iterator[str]:
    Receiver.bodies = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/crm/leads"
    server.shutdown()
    server.server_close()


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A home with a recogniser labelled Mandarin: campaigns on a Mandarin script are only made
    when one is installed (what the model hears plays no part here)."""
    home = tmp_path / "home"
    add_mandarin_stand_in(home)
    return home


def run(db_url: str, *args: str, home: Path | None = None) -> Any:
    where = ["--home", str(home)] if home else []
    result = CliRunner().invoke(app, [*where, "--db", db_url, *args])
    assert result.exit_code == 0, (result.output, result.exception)
    return json.loads(result.stdout) if "--json" in args else result.stdout


def crm_script(tmp_path: Path) -> Path:
    """The bundled Mandarin script with no defaults for bank and product: every contact must
    bring its own, as a bank running several products would set it up."""
    text = resolve_ref("cmn-dormant-deposit").read_text(encoding="utf-8")
    text = text.replace("  bank: 华信银行\n", "  bank: null\n").replace(
        "  product: 定期存款\n", "  product: null\n")  # fmt: skip
    path = tmp_path / "crm-deposit.yaml"
    path.write_text(text.replace("name: cmn-dormant-deposit", "name: crm-deposit", 1), "utf-8")
    return path


def test_crm_export_reaches_prompts_lead_card_and_webhook(
    db_url: str, tmp_path: Path, crm_webhook: str, home: Path
) -> None:
    script = crm_script(tmp_path)
    run(db_url, "campaign", "create", "crm", "--script", str(script), "--region", "CN", home=home)
    export = tmp_path / "crm-export.csv"
    export.write_bytes(("\r\n".join(CRM) + "\r\n").encode("gbk"))
    got = run(db_url, "contacts", "import", "crm", str(export), "--json")
    assert (got["rows"], got["imported"], got["missing_variables"]) == (4, 2, 2)
    assert got["missing"] == {"product": 1, "name": 1}
    assert got["columns"] == {"客户号": "customer_id", "姓名": "name", "手机号": "phone",
                              "产品": "product", "开户行": "bank",
                              "客户等级": "客户等级"}  # fmt: skip
    errors = (tmp_path / "crm-export.errors.csv").read_text(encoding="utf-8-sig").splitlines()
    assert errors[1].startswith("3,\"no product, which the script crm-deposit needs")
    assert errors[2].startswith("4,\"no name, which the script crm-deposit needs")

    # What the robot says: the dialer's claim, filled in as the call flow fills it.
    engine = open_database(db_url)
    try:
        with engine.connect() as conn:
            cid = conn.execute(sa.select(Campaign.id).where(Campaign.name == "crm")).scalar_one()  # type: ignore[arg-type]
        claims = {c.phone: c for c in claim(engine, cid, 5, "w1", timedelta(minutes=5), MORNING)}
        assert set(claims) == {"+8613812345678", "+8613512345678"}
        wang = claims["+8613812345678"]
        dialog = DialogEngine(load_script(script), contact_variables(wang.name, wang.attributes))
        said = [c.text for c in dialog.start(0.0) if isinstance(c, Say)]
        said += [c.text for c in dialog.handle(Utterance("是的", 0.95, 3.0)) if isinstance(c, Say)]
        assert "招商银行北京分行" in said[0] and "王伟" in said[0]
        assert "大额存单" in said[1]

        lead = LeadDraft(82, "hot", "A", "wants the 大额存单 offer")
        result = AttemptResult("answered", dialog_outcome="transfer")
        report = CallReport(result, lead=lead, webhook=True)
        finish_attempt(engine, wang.attempt_id, report, now=MORNING)

        async def deliver() -> int:
            async with httpx.AsyncClient() as client:
                return await deliver_once(engine, crm_webhook, "k", client, DeliveryStats(),
                                          MORNING)

        assert anyio.run(deliver) == 1
    finally:
        engine.dispose()
    (body,) = Receiver.bodies
    payload = json.loads(body)
    assert payload["customer_id"] == "KH20240001", "the CRM matches the lead by its own id"
    assert payload["attributes"] == {"product": "大额存单", "bank": "招商银行北京分行",
                                     "客户等级": "VIP"}  # fmt: skip

    card = run(db_url, "leads", "next", "--agent", "a1")
    for shown in ("KH20240001", "product", "大额存单", "bank", "招商银行北京分行", "客户等级"):
        assert shown in card, shown
    (listed,) = run(db_url, "leads", "list", "--json")
    assert listed["customer_id"] == "KH20240001"
    shown = run(db_url, "leads", "show", str(listed["id"]), "--json")
    assert shown["customer_id"] == "KH20240001"
    assert shown["attributes"]["product"] == "大额存单"
    call = run(db_url, "calls", "show", wang.attempt_id, "--json")
    assert (call["customer_id"], call["attributes"]["bank"]) == ("KH20240001", "招商银行北京分行")


def test_map_options_and_mapping_file_on_an_export_with_other_headers(
    db_url: str, tmp_path: Path, home: Path
) -> None:
    run(db_url, "campaign", "create", "crm", "--script", str(crm_script(tmp_path)),
        "--region", "CN", home=home)  # fmt: skip
    export = tmp_path / "export.csv"
    export.write_bytes("客户代码,客户名称,联系电话,理财产品,归属网点,内部备注\r\n"
                       "A1,王伟,13812345678,大额存单,北京分行,x\r\n".encode("gbk"))  # fmt: skip
    mapping = tmp_path / "crm.yaml"
    mapping.write_text("理财产品: product\n内部备注: '-'\n", encoding="utf-8")
    got = run(db_url, "contacts", "import", "crm", str(export), "--mapping", str(mapping),
              "--map", "归属网点=bank", "--json")  # fmt: skip
    assert got["imported"] == 1 and got["missing_variables"] == 0
    assert got["columns"]["归属网点"] == "bank" and got["columns"]["内部备注"] == "-"
    (contact,) = run(db_url, "contacts", "list", "crm", "--json")
    assert contact["customer_id"] == "A1"
    assert contact["attributes"] == {"product": "大额存单", "bank": "北京分行"}


def test_mapping_mistakes_are_one_line_without_a_traceback(tmp_path: Path, home: Path) -> None:
    env = {**os.environ, "OUTREACH_HOME": str(home)}
    env.pop("OUTREACH_DEBUG", None)

    def outreach(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(OUTREACH), *args], env=env, capture_output=True, text=True,
                              timeout=120)  # fmt: skip

    assert outreach("campaign", "create", "c", "--script", "cmn-dormant-deposit",
                    "--region", "CN").returncode == 0  # fmt: skip
    export = tmp_path / "e.csv"
    export.write_bytes("手机号,姓名,产品\n13812345678,王伟,大额存单\n".encode("gbk"))
    for args, message in [
        (["--map", "理财产品=product"], "has no column 理财产品 named in the column mapping"),
        (["--map", "产品"], "write it as COLUMN=field"),
        (["--mapping", str(tmp_path / "none.yaml")], "does not exist"),
    ]:
        proc = outreach("contacts", "import", "c", str(export), *args)
        assert proc.returncode == 2, proc.stderr
        assert message in proc.stderr and "Traceback" not in proc.stderr + proc.stdout
        assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    broken = tmp_path / "gone.yaml"
    broken.write_text(resolve_ref("cmn-dormant-deposit").read_text("utf-8"), "utf-8")
    assert outreach("campaign", "create", "g", "--script", str(broken)).returncode == 0
    broken.unlink()
    # The campaign checks rows against its own copy of the script (campaign update-script), so
    # a script file deleted after create changes nothing: the rows are still checked.
    proc = outreach("contacts", "import", "g", str(export))
    assert proc.returncode == 0 and "Traceback" not in proc.stderr + proc.stdout, proc.stderr
    assert "does not load" not in proc.stderr
