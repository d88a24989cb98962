"""The AMI client against the real sandbox Asterisk (never skipped: fails if it is not up)."""

from __future__ import annotations

import secrets
import uuid

import anyio
import pytest

from telephony.ami import Action, AmiActionError, AmiClient, AmiConfig, actions
from telephony.ami.codec import Message
from telephony.sandbox import ROBOT_CONTEXT, numbers
from tests.sandbox import running_sandbox

pytestmark = pytest.mark.anyio



@pytest.fixture(scope="module")
def ami() -> AmiConfig:
    sandbox = running_sandbox()
    status = sandbox.status()
    return AmiConfig("127.0.0.1", status.ami_port, status.ami_username, sandbox.secret())


async def test_setvar_then_getvar_round_trips_through_asterisk(ami: AmiConfig) -> None:
    value = secrets.token_hex(8)
    async with AmiClient(ami).running() as client:
        await client.send(actions.setvar("OUTREACH_TEST_VALUE", value))
        reply = await client.send(Action.of("Getvar", {"Variable": "OUTREACH_TEST_VALUE"}))
    assert reply.get("Value") == value


async def test_a_list_action_collects_its_events(ami: AmiConfig) -> None:
    # A call ringing a number that never answers: the channel list must contain it.
    call_id = str(uuid.uuid4())
    ring = actions.originate(f"PJSIP/{numbers.NO_ANSWER[1:]}@simtrunk", channel_id=call_id,
                             context=ROBOT_CONTEXT, timeout_s=8)  # fmt: skip
    async with AmiClient(ami).running() as client:
        await client.send(ring)
        listing: list[Message] = []
        for _ in range(30):
            listing = await client.send_list(
                actions.core_show_channels(), "CoreShowChannelsComplete"
            )
            if any(e.get("Uniqueid") == call_id for e in listing):
                break
            await anyio.sleep(0.1)
        await client.send(actions.hangup(call_id))
    assert all(e.get("Event") == "CoreShowChannel" for e in listing)
    assert any(e.get("Uniqueid") == call_id for e in listing)


async def test_asterisk_errors_come_back_as_action_errors(ami: AmiConfig) -> None:
    async with AmiClient(ami).running() as client:
        with pytest.raises(AmiActionError, match="refused Hangup"):
            await client.send(actions.hangup("PJSIP/no-such-channel-0000"))
        assert (await client.send(Action("Ping"))).get("Ping") == "Pong"  # still usable
