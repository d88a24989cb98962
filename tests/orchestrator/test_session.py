"""The call session over an in-process line: keys pressed instead of words, and barge-in by key."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest

from campaigns.db import open_database
from orchestrator.runtime import build_services
from orchestrator.session import CallSession, Conversation, Services, SessionConfig
from orchestrator.settings import load_settings
from telephony.base import AudioFrame
from telephony.sim import LinkSide, MediaLink

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def press_keys(side: LinkSide, keys: list[str]) -> None:
    """A caller who answers with the keypad: a key once the robot has spoken for a moment."""
    voiced = 0
    async for frame in side.inbound():
        if not isinstance(frame, AudioFrame) or not any(frame.pcm):
            continue
        voiced += 1
        if keys and voiced >= 25:  # half a second into the prompt: an impatient caller
            side.send_dtmf(keys.pop(0))
            voiced = 0


async def keyed_call(services: Services, keys: list[str]) -> Conversation:
    """One answered call (to 김민수) whose caller answers each prompt with the next of `keys`."""
    link = MediaLink(speed=4)
    async with anyio.create_task_group() as tg:
        tg.start_soon(link.run)
        tg.start_soon(press_keys, link.customer, keys)
        session = CallSession(services, "a1", "+821012345678", {"name": "김민수"}, link.robot)
        with anyio.fail_after(60):
            conv = await session.run()
        link.close("robot")
        tg.cancel_scope.cancel()
    return conv


async def test_dtmf_answers_drive_the_dialog_and_cut_prompts(tmp_path: Path) -> None:
    settings = load_settings(home=tmp_path, recordings=False)
    engine = open_database(settings.db_url)
    services = await build_services(settings, engine, "ko-dormant-deposit", SessionConfig(speed=4))
    conv = await keyed_call(services, ["1", "0"])  # yes, then "a human, please"
    engine.dispose()
    said = [(t.text, t.intent) for t in conv.turns if t.speaker == "customer"]
    assert said == [("DTMF 1", "yes"), ("DTMF 0", "human")]
    assert conv.outcome == "transfer" and conv.transfer_queue is not None
    cut = [t for t in conv.turns if t.speaker == "robot" and "[cut at" in t.text]
    assert len(cut) == 2, "each key press cut the prompt it interrupted"
