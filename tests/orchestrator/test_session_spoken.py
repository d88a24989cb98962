"""Spoken answers in a live call: everyday Korean the script does not expect must not become an
opt-out, and an opt-out must not be lost (issue 9). Real parts: the bundled Korean vosk model,
espeak-ng speech rendered wideband (16 kHz) and carried over a simulated G.711 mu-law line (the
telephone band, no added noise: the failures quoted in the issue were heard so), the call session
over an in-process line, the simulated customer's turn-taking."""

from __future__ import annotations

import zlib
from pathlib import Path

import anyio
import pytest

from asr_models import Pcm
from asr_models.phoneline import Line
from campaigns.db import open_database
from dialogs.tts import PromptSpec
from orchestrator.runtime import build_services
from orchestrator.session import CallSession, Conversation, Services, SessionConfig
from orchestrator.settings import load_settings
from telephony.sim import MediaLink, Persona, SimulatedCustomer

pytestmark = pytest.mark.anyio
LINE = Line("ulaw", None)  # the codec alone: the failures quoted in issue 9 were heard so


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def spoken_call(tmp_path: Path, replies: tuple[str, ...]) -> Conversation:
    """One answered call whose customer says `replies` in turn, then stays silent."""
    settings = load_settings(home=tmp_path, recordings=False)
    db = open_database(settings.db_url)
    services: Services = await build_services(settings, db, "ko-dormant-deposit",
                                              SessionConfig(speed=2))

    async def speak(text: str, language: str) -> bytes:
        wide = await services.prompts.get(PromptSpec(text, "ko", sample_rate=16000))
        return LINE.carry(Pcm(wide.pcm, 16000), seed=zlib.crc32(text.encode())).data

    persona = Persona("scripted", replies={"ko": replies}, pause_s=(0.4, 0.6))
    link = MediaLink(speed=2)
    async with anyio.create_task_group() as tg:
        tg.start_soon(link.run)
        customer = SimulatedCustomer(persona, "ko", speak, speed=2)
        tg.start_soon(customer.converse, link.customer)
        session = CallSession(services, "a1", "+821012345678", {"name": "김민수"}, link.robot)
        with anyio.fail_after(120):
            conv = await session.run()
        link.close("robot")
        tg.cancel_scope.cancel()
    db.dispose()
    return conv


def heard(conv: Conversation) -> list[tuple[str, str | None]]:
    return [(t.text, t.intent) for t in conv.turns if t.speaker == "customer"]


async def test_a_plain_no_to_who_are_you_is_not_an_opt_out(tmp_path: Path) -> None:
    # "아닌데요" (that's not me) is heard as "하지 마세요" with doubt: the robot asks before
    # blocking the number, and silence to that question keeps the number callable.
    conv = await spoken_call(tmp_path, ("아닌데요",))
    assert not conv.opt_out and conv.outcome != "opt_out", heard(conv)


async def test_stop_calling_heard_as_a_no_is_asked_about_then_honoured(tmp_path: Path) -> None:
    # "전화 그만하세요" is heard as grammar words that mean "no" (the grammar has no "그만"), with
    # doubt: instead of hanging up as not interested, the robot asks whether to stop calling,
    # and the customer's yes blocks the number in the same call (the opt-out is not lost).
    conv = await spoken_call(tmp_path, ("네", "전화 그만하세요", "네"))
    assert conv.opt_out and conv.outcome == "opt_out", heard(conv)


async def test_its_me_heard_as_agent_is_not_transferred(tmp_path: Path) -> None:
    # "어 난데" (yeah, it's me) to "is this 김민수?" is heard by the greeting's grammar as 상담원
    # (agent) at confidence 1.00, no doubt: the call went straight to an agent the customer never
    # asked for. The free-vocabulary check of that costly hearing does not hear 상담원, so the
    # robot asks before transferring; silence to the question transfers nobody.
    conv = await spoken_call(tmp_path, ("어 난데",))
    assert conv.transfer_queue is None and conv.outcome != "transfer", heard(conv)
    assert heard(conv)[0][1] == "human", heard(conv)  # heard so (the grammar's 상담원) ...
    asked = [t.prompt_id for t in conv.turns if t.speaker == "robot"]
    assert "confirm.transfer" in asked, asked  # ... and asked about, not acted on
