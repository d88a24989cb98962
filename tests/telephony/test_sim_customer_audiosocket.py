"""A simulated customer behind the AudioSocket server, as on the sandbox's customer side: a peer
speaking AudioSocket (Asterisk's role) sends the robot's prompt and hears the persona answer."""

from __future__ import annotations

import anyio
import pytest

from telephony.audiosocket import Audio, AudioSocketServer, number_from_uuid, uuid_for_number
from telephony.sim import SimulatedCustomer, load_personas
from tests.telephony.conftest import Speak
from tests.telephony.test_audiosocket_server import connect

pytestmark = pytest.mark.anyio


async def test_a_customer_answers_over_an_audiosocket_call(speak: Speak) -> None:
    personas = {"821055550001": "interested"}
    prompt = await speak("홍길동 고객님 맞으신가요?", "ko")
    frames = [prompt[i : i + 320].ljust(320, b"\0") for i in range(0, len(prompt), 320)]
    server = AudioSocketServer()
    async with server.running(), connect(server, uuid_for_number("+821055550001")) as peer:
        call_id, call = await server.accept_any(timeout=5)
        persona = load_personas()[personas[number_from_uuid(call_id)]]
        customer = SimulatedCustomer(persona, "ko", speak)
        async with anyio.create_task_group() as tg:
            tg.start_soon(customer.converse, call)
            # Asterisk streams the robot's prompt, then line silence, in real time.
            for frame in frames + [bytes(320)] * 125:
                await peer.send(Audio(frame))
                await anyio.sleep(0.02)
            await call.hangup()
    [heard] = customer.record.heard
    [said] = customer.record.said
    assert said.text == "네" and not said.barge_in
    assert heard.end < said.start  # answered after the prompt ended
    assert peer.spoken() == (await speak("네", "ko")).ljust(len(peer.spoken()), b"\0")
