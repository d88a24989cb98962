"""Simulated customers only on the sandbox: a run against a real PBX opens no second AudioSocket
listener and sets no global variable there; asked for against a real PBX, the run is refused in
one line before anything is dialled. The sandbox still gets them without being asked."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import anyio
import pytest

from telephony.ami import AmiConfig, Event
from telephony.ami.codec import Message
from telephony.ami.fakepeer import FakeAmi
from telephony.asterisk import AsteriskBackend, AsteriskConfig, AsteriskError
from telephony.audiosocket import AudioSocketCall
from tests.orchestrator.helpers import cli
from tests.sandbox import running_sandbox

pytestmark = pytest.mark.anyio
OUTREACH = str(Path(sys.executable).parent / "outreach")


async def _nobody(number: str, call: AudioSocketCall) -> None:
    raise AssertionError(f"no simulated customer should answer {number}")


def _global_setvars(actions: list[Message]) -> list[Message]:
    return [a for a in actions if (a.get("Action") or "").lower() == "setvar"
            and a.get("Channel") is None]  # fmt: skip


def _leaf(exc: BaseException) -> BaseException:
    while isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:
        exc = exc.exceptions[0]
    return exc


def _config(port: int, secret: str, *, required: bool = False) -> AsteriskConfig:
    ami = AmiConfig("127.0.0.1", port, "outreach", secret, reconnect_initial=0.1)
    return AsteriskConfig(ami=ami, audiosocket_port=0, customers_required=required)


async def test_a_pbx_that_is_not_the_sandbox_gets_no_customer_listener_nor_global() -> None:
    async with FakeAmi().running() as pbx:
        backend = AsteriskBackend(_config(pbx.port, pbx.secret), _nobody)
        async with backend.running():
            assert backend.customer_server is None
        assert _global_setvars(pbx.actions) == []


async def test_simulated_customers_asked_for_on_a_real_pbx_are_refused() -> None:
    async with FakeAmi().running() as pbx:
        backend = AsteriskBackend(_config(pbx.port, pbx.secret, required=True), _nobody)
        with pytest.raises(BaseException) as caught:
            async with backend.running():
                pass
        error = _leaf(caught.value)
        assert isinstance(error, AsteriskError) and "not the outreach sandbox" in str(error)
        assert _global_setvars(pbx.actions) == [] and pbx.originates() == []


@pytest.fixture
def sandbox_secret() -> str:
    return running_sandbox().secret()  # checked before the event loop starts (its probe runs one)


async def test_the_sandbox_gets_its_simulated_customers_unasked(sandbox_secret: str) -> None:
    backend = AsteriskBackend(_config(5038, sandbox_secret, required=True), _nobody)
    async with backend.running():
        assert backend.customer_server is not None and backend.customer_server.port > 0


def _campaign(home: Path) -> None:
    cli(home, "campaign", "create", "p", "--script", "ko-dormant-deposit", "--window",
        "00:00-24:00", "--allow-night", "--days", "mon-sun")  # fmt: skip
    (home.parent / "l.csv").write_text("name,phone\n김민수,010-1234-5678\n", encoding="utf-8")
    cli(home, "contacts", "import", "p", str(home.parent / "l.csv"), "--json")


def _env(home: Path, **extra: str) -> dict[str, str]:
    env = {**os.environ, "OUTREACH_HOME": str(home), "OUTREACH_RING_TIMEOUT_S": "2", **extra}
    env.pop("OUTREACH_DEBUG", None)
    return env


async def test_a_production_run_by_default_sets_nothing_on_the_pbx(tmp_path: Path) -> None:
    home = tmp_path / "home"
    _campaign(home)

    def busy(action: Message) -> list[Event]:
        return [Event((("Event", "OriginateResponse"), ("ActionID", action.action_id or ""),
                       ("Reason", "5"), ("Response", "Failure")))]  # fmt: skip

    async with FakeAmi(secret="pbx-secret", on_originate=busy).running() as pbx:
        env = _env(home, OUTREACH_AMI_PORT=str(pbx.port), OUTREACH_AMI_SECRET="pbx-secret")
        with anyio.fail_after(240):
            proc = await anyio.run_process(
                [OUTREACH, "run", "p", "--telephony", "asterisk", "--until-done", "--json"],
                env=env, check=False,
            )  # fmt: skip
    out = proc.stdout.decode() + proc.stderr.decode()
    assert proc.returncode == 0, out
    assert len(pbx.originates()) == 1  # the customer was called ...
    assert _global_setvars(pbx.actions) == []  # ... and nothing was set on their PBX


def test_asked_for_against_a_remote_pbx_the_run_is_refused_in_one_line(tmp_path: Path) -> None:
    import subprocess

    home = tmp_path / "home"
    _campaign(home)
    env = _env(home, OUTREACH_AMI_HOST="192.0.2.7", OUTREACH_AMI_SECRET="x",
               OUTREACH_ASTERISK_SIMULATED_CUSTOMERS="true")  # fmt: skip
    proc = subprocess.run([OUTREACH, "run", "p", "--telephony", "asterisk", "--until-done"],
                          env=env, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "simulated customers answer only in the sandbox" in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    assert len(proc.stderr.strip().splitlines()) == 1
    assert cli(home, "campaign", "show", "p", "--json")["contacts"] == {"total": 1, "new": 1}
