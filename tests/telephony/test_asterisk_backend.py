"""The asterisk backend against the sandbox Asterisk 22: every call crosses a real SIP trunk.

Never skipped: without a running sandbox these tests fail, saying how to start it.
"""

from __future__ import annotations

import array
import dataclasses
import uuid
from collections.abc import Awaitable, Callable

import anyio
import pytest

from telephony.ami import AmiConfig
from telephony.ami.fakepeer import CuttingProxy
from telephony.asterisk import AsteriskBackend, AsteriskConfig, CustomerHandler, SimulatedCustomers
from telephony.audiosocket import AudioSocketCall
from telephony.audiosocket.call import _MAX_LAG_FRAMES as MAX_LAG_FRAMES
from telephony.base import FRAME_MS, AmdStatus, AudioFrame, DialOutcome, Media, OriginateRequest
from telephony.sandbox import numbers
from telephony.sim import load_personas
from tests.sandbox import running_sandbox

pytestmark = pytest.mark.anyio
Speak = Callable[[str, str], Awaitable[bytes]]



@pytest.fixture(scope="module")
def ami() -> AmiConfig:
    """The running sandbox's AMI (checked before the event loop starts: the probe runs its own)."""
    sandbox = running_sandbox()
    status = sandbox.status()
    return AmiConfig("127.0.0.1", status.ami_port, status.ami_username, sandbox.secret(),
                     reconnect_initial=0.1, reconnect_max=0.5)  # fmt: skip


def backend(
    ami: AmiConfig, customers: CustomerHandler | None = None, *, amd: bool = False,
    port: int | None = None,
) -> AsteriskBackend:  # fmt: skip
    if port is not None:
        ami = dataclasses.replace(ami, port=port)
    config = AsteriskConfig(ami=ami, audiosocket_port=0, amd=amd, media_timeout_s=10.0,
                            cause_grace_s=1.0)  # fmt: skip
    return AsteriskBackend(config, customers)


def request(phone: str, ring_s: float = 10.0, **variables: str) -> OriginateRequest:
    return OriginateRequest(str(uuid.uuid4()), phone, variables, ring_timeout_s=ring_s)


def rms(pcm: bytes) -> float:
    samples = array.array("h", pcm)
    return (sum(s * s for s in samples) / max(1, len(samples))) ** 0.5


@pytest.mark.parametrize(
    ("phone", "outcome", "sip"),
    [
        (numbers.BUSY, DialOutcome.BUSY, "SIP 486"),
        (numbers.CONGESTION, DialOutcome.TRUNK_FAILED, "SIP 503"),
        (numbers.UNALLOCATED, DialOutcome.FAILED, "SIP 404"),
        (numbers.NO_ANSWER, DialOutcome.NO_ANSWER, "cause 19"),
    ],
)
async def test_unanswered_calls_get_their_outcome_and_cause(
    ami: AmiConfig, phone: str, outcome: DialOutcome, sip: str
) -> None:
    async with (b := backend(ami)).running():
        call = await b.originate(request(phone, ring_s=2.0))
        result = await call.result()
    assert result.outcome is outcome, result
    assert result.cause is not None and sip in result.cause


async def test_an_answered_call_carries_speech_both_ways_with_paced_frames(
    ami: AmiConfig, speak: Speak
) -> None:
    robot_prompt = await speak("Hello, this is your bank calling about your savings account.",
                               "en-us")  # fmt: skip
    customer_reply = await speak("yes, speaking", "en-us")
    heard_by_customer: list[AudioFrame] = []
    customer_calls: list[AudioSocketCall] = []

    async def customer(number: str, audio: AudioSocketCall) -> None:
        customer_calls.append(audio)
        async with anyio.create_task_group() as tg:

            async def listen() -> None:
                async for frame in audio.inbound():
                    if isinstance(frame, AudioFrame):
                        heard_by_customer.append(frame)

            tg.start_soon(listen)
            await anyio.sleep(0.5)
            await audio.play(customer_reply)
            await anyio.sleep(4.0)
            tg.cancel_scope.cancel()

    async with (b := backend(ami, customer)).running():
        call = await b.originate(request("+821012345678"))
        result = await call.result()
        assert result.outcome is DialOutcome.ANSWERED, result
        media = call.media
        heard_by_robot: list[AudioFrame] = []
        async with anyio.create_task_group() as tg:

            async def listen() -> None:
                async for frame in media.inbound():
                    if isinstance(frame, AudioFrame):
                        heard_by_robot.append(frame)

            tg.start_soon(listen)
            played = await media.play(robot_prompt)
            await anyio.sleep(1.0)
            await call.hangup()
    assert customer_calls and customer_calls[0].call_id.startswith("82101234-5678")
    # The customer's words crossed SIP/RTP (ulaw) and reached the robot's AudioSocket server.
    chunks = [customer_reply[i : i + 320] for i in range(0, len(customer_reply), 320)]
    voiced_sent = sum(rms(chunk) > 300 for chunk in chunks)
    voiced_heard = sum(rms(f.pcm) > 300 for f in heard_by_robot)
    assert voiced_heard >= 0.8 * voiced_sent
    # The robot's prompt reached the customer whole and evenly paced: no bursts.
    assert not played.interrupted and played.played_ms == played.total_ms
    assert sum(rms(f.pcm) > 300 for f in heard_by_customer) >= 0.8 * played.total_ms / 20 * 0.5
    # The robot's pacer never got ahead of a 20 ms clock by more than the backlog it may catch
    # up after a late frame (MAX_LAG_FRAMES, plus the late frame itself). Its schedule only ever
    # runs late, so this holds however loaded the machine; a prompt sent in a burst scores about
    # its length in frames (~175). Individual gaps are scheduler jitter: a late frame followed
    # by one sent on schedule makes a sub-millisecond gap, which is pacing working, not a burst.
    assert call.audio is not None
    ahead = call.audio.sent_timing.frames_ahead(FRAME_MS / 1000)
    stats = customer_calls[0].received_timing.summary()
    print(f"robot frames ahead of its clock: {ahead:.2f}; customer-side frame gaps (ms): {stats}")
    assert ahead <= MAX_LAG_FRAMES + 1 + 0.1
    # What the customer heard kept the 20 ms rhythm: a burst would make most gaps near zero.
    assert abs(stats.p50_ms - 20.0) <= 2.0


async def test_amd_tells_the_machine_from_a_person_who_says_hello(
    ami: AmiConfig, speak: Speak
) -> None:
    hello = await speak("hello?", "en-us")

    async def person(number: str, audio: AudioSocketCall) -> None:
        await anyio.sleep(0.3)
        await audio.play(hello)  # a short greeting, then waiting silently: a person
        await anyio.sleep(5.0)

    async with (b := backend(ami, person, amd=True)).running():
        machine = await b.originate(request(numbers.MACHINE))
        human = await b.originate(request("+821055507777"))
        results = [await machine.result(), await human.result()]
        for call in (machine, human):
            await call.hangup()
    assert [r.outcome for r in results] == [DialOutcome.ANSWERED, DialOutcome.ANSWERED]
    assert [r.amd for r in results] == [AmdStatus.MACHINE, AmdStatus.HUMAN]


async def test_a_simulated_customer_talks_and_the_robot_transfers_to_the_sales_agent(
    ami: AmiConfig, speak: Speak
) -> None:
    personas = load_personas()
    customers = SimulatedCustomers(lambda number: personas["interested"], "en-us", speak)
    prompt = await speak("Hello, is this Kim Minsu?", "en-us")
    async with (b := backend(ami, customers)).running():
        call = await b.originate(request("+821055501234"))
        assert (await call.result()).outcome is DialOutcome.ANSWERED
        await call.media.play(prompt)
        heard = await voiced_seconds(call.media, within=4.0)  # the customer answers "yes"
        await call.transfer("sales")
        with anyio.fail_after(10):
            await call.agent_answered.wait()  # the queue's simulated agent took the call
    (record,) = customers.records["+821055501234"]
    assert record.heard and record.said and record.said[0].text == "yes"
    assert heard >= 0.2


async def voiced_seconds(media: Media, within: float) -> float:
    """Seconds of speech the robot hears within `within` seconds, up to 0.6 s of silence after."""
    voiced = quiet = 0
    with anyio.move_on_after(within):
        async for frame in media.inbound():
            if not isinstance(frame, AudioFrame):
                continue
            if rms(frame.pcm) > 300:
                voiced, quiet = voiced + 1, 0
            elif voiced:
                quiet += 1
                if quiet >= 30:
                    break
    return voiced * 0.02


async def test_a_cut_ami_connection_mid_campaign_loses_and_repeats_no_attempt(
    ami: AmiConfig, speak: Speak
) -> None:
    answered: dict[str, int] = {}

    async def customer(number: str, audio: AudioSocketCall) -> None:
        answered[number] = answered.get(number, 0) + 1
        await anyio.sleep(3.0)

    plan = {
        "+821055500001": DialOutcome.ANSWERED,  # its Originate's answer is cut off in flight
        "+821055500002": DialOutcome.ANSWERED,
        numbers.NO_ANSWER: DialOutcome.NO_ANSWER,  # rings across the cut, ends after it
        numbers.BUSY: DialOutcome.BUSY,  # placed after the reconnect
    }
    async with CuttingProxy(ami.port).running() as proxy:
        b = backend(ami, customer, port=proxy.port)
        async with b.running():
            phones = list(plan)
            proxy.cut_after_originate = True
            first = await b.originate(request(phones[0], ring_s=4.0))
            calls = [first] + [await b.originate(request(p, ring_s=4.0)) for p in phones[1:]]
            results = [await c.result() for c in calls]
            reconnects = b.ami.reconnects
            for call in calls:
                await call.hangup()
    assert proxy.cuts == 1 and reconnects == 1
    assert first.send_uncertain  # Asterisk's answer to that Originate never arrived
    by_phone = {p: r.outcome for p, r in zip(phones, results, strict=True)}
    assert by_phone == plan
    ids = [o.get("ChannelId") for o in proxy.originates()]
    assert sorted(ids) == sorted(c.attempt_id for c in calls)  # each sent once, none again
    assert answered == {"+821055500001": 1, "+821055500002": 1}  # each customer rang once


async def test_a_call_that_ended_unseen_during_the_outage_is_unknown_not_redialled(
    ami: AmiConfig,
) -> None:
    async with CuttingProxy(ami.port, outage_s=1.5).running() as proxy:
        b = backend(ami, port=proxy.port)
        async with b.running():
            proxy.cut_after_originate = True  # Asterisk dials; its answer and events are lost
            # ...and the busy call is over long before the 1.5 s outage ends.
            call = await b.originate(request(numbers.BUSY))
            result = await call.result()
    assert result.outcome is DialOutcome.UNKNOWN
    assert result.detail is not None and "not dialled again" in result.detail
    assert len(proxy.originates()) == 1
