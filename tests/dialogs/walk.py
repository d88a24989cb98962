"""Helpers to drive a bundled script with text: run answers, and find a way to every state."""

from __future__ import annotations

from collections import deque

from dialogs import DialogEngine, Event, Script, Silence, Utterance, load_script
from dialogs.messages import Command
from tests.dialogs.canon import CANON, VARS


def engine_for(name: str) -> DialogEngine:
    engine = DialogEngine(load_script(name), VARS[name])
    engine.start(0.0)
    return engine


def feed(engine: DialogEngine, events: list[Event]) -> list[Command]:
    out: list[Command] = []
    for event in events:
        out.extend(engine.handle(event))
    return out


def say(name: str, *intents: str) -> list[Event]:
    """Utterances of the canonical answers for `intents` (an intent name, or "" for silence)."""
    return [Utterance(CANON[name][i], 0.95, t=5.0 * n) if i else Silence(5.0 * n)
            for n, i in enumerate(intents, 1)]


def paths_to_states(name: str) -> dict[str, list[str]]:
    """For every state, the shortest list of canonical intents that reaches it from the start."""
    script: Script = load_script(name)
    found: dict[str, list[str]] = {script.start: []}
    todo = deque([script.start])
    while todo:
        state = todo.popleft()
        for intent, route in script.routes(state).items():
            if route.goto is not None and route.goto not in found and intent in CANON[name]:
                found[route.goto] = [*found[state], intent]
                todo.append(route.goto)
    return found
