"""`outreach script run SCRIPT --audio FILE ...`: a call where each WAV is the customer's answer.

Each WAV is heard through the live call's recognition path (asr_models.hearing: voice gate, turn
listener, the current state's grammar; a clear costly hearing checked by a free decode,
orchestrator.hearing_check), then given to the dialog engine with its confidence and
doubt; a file with no speech is silence.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from asr_models import VoskEngine, read_wav
from asr_models.hearing import Hearing, hear_pcm
from dialogs import DialogEngine, Event, Listen, Silence, Utterance
from dialogs.messages import Command
from orchestrator.cli_script import heard_of, robot_text
from orchestrator.hearing_check import checked_hearing, heard_again


def grammar_of(commands: list[Command], fallback: list[str]) -> list[str]:
    listen = next((c for c in reversed(commands) if isinstance(c, Listen)), None)
    return listen.phrases if listen is not None else fallback


async def simulate_audio(engine: DialogEngine, asr: VoskEngine, files: list[Path]
                         ) -> dict[str, Any]:
    """Like `simulate`, but each answer is a WAV heard by the recogniser; `script run` JSON."""
    audio = [read_wav(f) for f in files]  # every file checked before the call starts
    t = 0.0
    commands = engine.start(t)
    robot = robot_text(commands)
    turns: list[dict[str, Any]] = []
    for _ in range(len(files) + engine.script.model.defaults.max_turns + 2):
        if engine.finished:
            break
        hearing: Hearing | None = None
        file: Path | None = None
        if audio:
            file = files[len(files) - len(audio)]
            grammar = grammar_of(commands, []) or None
            hearing = await hear_pcm(asr, audio.pop(0), grammar,
                                     engine.script.model.defaults.confirm_below)
            # The live call's check of a clear costly hearing (orchestrator.hearing_check).
            hearing = await checked_hearing(asr if grammar and asr.streaming else None,
                                            hearing, engine)
        t += 5.0
        again = await heard_again(asr, hearing, engine) if hearing is not None else ""
        event: Event = (Utterance(hearing.text, hearing.confidence, t, hearing.doubtful, again)
                        if hearing is not None and hearing.text else Silence(t))
        commands = engine.handle(event)
        heard = heard_of(commands)
        turn: dict[str, Any] = {"robot": robot, "audio": str(file) if file else None,
                                "customer": hearing.text if hearing and hearing.text else None,
                                "intent": heard.intent if heard else "silence"}
        if hearing is not None:
            turn |= {"confidence": round(hearing.confidence, 3), "doubtful": hearing.doubtful}
        turns.append(turn)
        robot = robot_text(commands)
    if robot:
        turns.append({"robot": robot, "customer": None, "intent": None})
    score = engine.score()
    return {"turns": turns, "outcome": engine.outcome, "score": score.score,
            "tier": score.tier, "score_breakdown": score.as_json()["breakdown"]}
