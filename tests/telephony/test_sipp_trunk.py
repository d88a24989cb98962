"""The asterisk backend against a foreign SIP user agent: SIPp plays the carrier and the called
customer behind the sandbox's `sipp` trunk (issue 12). What SIPp received is read from its own
message trace, not from Asterisk.

Never skipped: without the sandbox, SIPp or the trunk these tests fail, saying what to do.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from telephony.ami import AmiConfig
from telephony.asterisk import AsteriskBackend, AsteriskConfig
from telephony.base import DialOutcome, DialResult, OriginateRequest
from tests.sandbox import running_sandbox
from tests.sipp import CHANNEL, DEAD_CHANNEL, require_sipp_trunk, running_sipp

pytestmark = pytest.mark.anyio
PHONE = "+821055502468"


@pytest.fixture(scope="module")
def ami() -> AmiConfig:
    sandbox = running_sandbox()
    require_sipp_trunk()
    status = sandbox.status()
    return AmiConfig("127.0.0.1", status.ami_port, status.ami_username, sandbox.secret())


async def dial(
    ami: AmiConfig, channel: str = CHANNEL, ring_s: float = 10.0, caller_id: str | None = None
) -> DialResult:
    config = AsteriskConfig(ami=ami, audiosocket_port=0, amd=False, channel_template=channel,
                            media_timeout_s=10.0, cause_grace_s=1.0)  # fmt: skip
    async with (b := AsteriskBackend(config)).running():
        call = await b.originate(
            OriginateRequest(str(uuid.uuid4()), PHONE, {}, caller_id, ring_timeout_s=ring_s)
        )
        result = await call.result()
        if result.outcome is DialOutcome.ANSWERED:
            await call.hangup()
    return result


async def test_a_trunk_answering_503_is_a_trunk_failure_with_its_cause(
    ami: AmiConfig, tmp_path: Path
) -> None:
    with running_sipp(tmp_path, "reject_503") as sipp:
        result = await dial(ami)
    assert len(sipp.invites()) == 1, "SIPp got the INVITE"
    assert result.outcome is DialOutcome.TRUNK_FAILED, result
    assert result.cause is not None and "SIP 503" in result.cause


async def test_an_unreachable_trunk_is_a_trunk_failure_not_no_answer(ami: AmiConfig) -> None:
    # Nothing listens on the trunk's address: no 100 Trying, no ringing, nothing. The ring
    # timeout (10 s) is longer than SIP timer B (6.4 s), as in production (30 s).
    result = await dial(ami, DEAD_CHANNEL, ring_s=10.0)
    # (A sandbox started by older code keeps SIP timer B at 32 s until restarted: then this
    # reads no_answer; `outreach asterisk sandbox down` and `up` from current code.)
    assert result.outcome is DialOutcome.TRUNK_FAILED, result
    assert result.cause is not None and "SIP 408" in result.cause, result


async def test_a_phone_that_rings_unanswered_stays_no_answer(
    ami: AmiConfig, tmp_path: Path
) -> None:
    with running_sipp(tmp_path, "ring_no_answer") as sipp:
        result = await dial(ami, ring_s=3.0)
    assert len(sipp.invites()) == 1
    assert result.outcome is DialOutcome.NO_ANSWER, result
    assert result.cause is not None and "cause 19" in result.cause


async def test_the_caller_id_reaches_the_far_end_in_from_and_p_asserted_identity(
    ami: AmiConfig, tmp_path: Path
) -> None:
    with running_sipp(tmp_path, "answer_then_hang_up") as sipp:
        result = await dial(ami, caller_id='"OO Bank" <+8215885000>')
    assert result.outcome is DialOutcome.ANSWERED, result
    (invite,) = sipp.invites()
    assert invite.header("From") is not None
    assert '"OO Bank" <sip:+8215885000@' in str(invite.header("From"))
    assert "+8215885000" in str(invite.header("P-Asserted-Identity"))
