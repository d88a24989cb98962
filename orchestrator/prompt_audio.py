"""A prompt's audio for a call: synthesised whole, or recorded WAVs around synthesised parts; and
every prompt of a contact rendered ahead, while the contact waits in the dialer's hopper.

    await prepare_contact(services, claim)        # at claim time: greeting first, then the rest
    pcm = await prompt_pcm(services.prompts, script, "greeting", text, values)   # in the call

Rendering ahead matters for Kokoro: a Mandarin greeting with the customer's name takes seconds to
synthesise on a busy core, which would otherwise be seconds of silence after "hello".
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import anyio
from anyio.abc import TaskGroup

from campaigns.dialing import Claim
from dialogs import DialogError, Script
from dialogs.script import render_template
from dialogs.tts import PromptCache, PromptSpec
from dialogs.tts.cache import TELEPHONY_RATE
from dialogs.tts.recorded import load_recording
from orchestrator.callflow import contact_variables

if TYPE_CHECKING:
    from orchestrator.session import Services

log = logging.getLogger(__name__)


def prompt_specs(script: Script, prompt_id: str, text: str,
                 values: Mapping[str, str]) -> list[PromptSpec]:
    """What must be synthesised for one prompt (`text`: already rendered)."""
    parts = script.recording(prompt_id)
    if parts is None:
        return [script.voice.spec(text)]
    return [script.voice.spec(render_template(p.value, values)) for p in parts if p.kind == "say"]


def call_specs(script: Script, values: Mapping[str, str]) -> list[PromptSpec]:
    """Every prompt a call with these values may need, the start state's first."""
    prompts = sorted(script.all_prompts(),
                     key=lambda p: p.prompt_id.split(".")[0] != script.start)
    specs: list[PromptSpec] = []
    for p in prompts:
        specs += prompt_specs(script, p.prompt_id, render_template(p.template, values), values)
    return list(dict.fromkeys(specs))


async def prompt_pcm(prompts: PromptCache, script: Script, prompt_id: str, text: str,
                     values: Mapping[str, str]) -> tuple[bytes, int]:
    """The prompt's audio at 8 kHz: its recording (files and synthesised parts joined) or its
    synthesised text, and how many parts had to be synthesised now (0: all were cached). A
    missing or unreadable file is a TtsError, like a failed synthesis."""
    parts = script.recording(prompt_id)
    if parts is None:
        prompt = await prompts.get(script.voice.spec(text))
        return prompt.pcm, int(not prompt.cached)
    out, made = [], 0
    for part in parts:
        if part.kind == "wav":
            out.append(load_recording(Path(part.value), TELEPHONY_RATE))
        else:
            prompt = await prompts.get(script.voice.spec(render_template(part.value, values)))
            out.append(prompt.pcm)
            made += not prompt.cached
    return b"".join(out), made


async def prepare_contact(services: Services, claim: Claim) -> int:
    """Synthesise every prompt of this contact's call that is not cached yet (how many were);
    0 for a contact the script cannot speak to (the call refuses it before dialling)."""
    script = services.script
    try:
        # The values the call will render its prompts with (callflow.place_call).
        values = script.resolve_variables(contact_variables(claim.name, claim.attributes))
    except DialogError:
        return 0
    specs = call_specs(script, values)
    prompts = services.prompts
    todo = [s for s in specs if not prompts.is_cached(s)]
    if todo:
        await prompts.prerender(todo)
    return len(todo)


class PromptPreparer:
    """Renders each claimed contact's prompts, one contact at a time in claim order, while the
    contacts wait in the dialer's hopper; the dialer dials only contacts whose prompts are ready.
    A failed rendering still counts as ready: the call then fails like any synthesis failure
    (the customer hears the apology) instead of never being dialled."""

    def __init__(self, services: Services, on_ready: Callable[[], None]) -> None:
        self.services = services
        self.on_ready = on_ready
        self.rendered = 0  # prompts synthesised ahead of their calls
        self._lock = anyio.Lock()  # FIFO: the first claimed is ready first
        self._jobs: dict[str, tuple[anyio.Event, anyio.CancelScope]] = {}

    def add(self, tg: TaskGroup, claims: Iterable[Claim]) -> None:
        for claim in claims:
            job = (anyio.Event(), anyio.CancelScope())
            self._jobs[claim.attempt_id] = job
            tg.start_soon(self._run, claim, *job)

    def ready(self, claim: Claim) -> bool:
        job = self._jobs.get(claim.attempt_id)
        return job is None or job[0].is_set()

    def forget(self, attempt_ids: Iterable[str]) -> None:
        """Claims dialled or given back: stop rendering for those still waiting."""
        for attempt_id in attempt_ids:
            job = self._jobs.pop(attempt_id, None)
            if job is not None and not job[0].is_set():
                job[1].cancel()

    async def _run(self, claim: Claim, done: anyio.Event, scope: anyio.CancelScope) -> None:
        try:
            with scope:
                async with self._lock:
                    self.rendered += await prepare_contact(self.services, claim)
        except Exception as exc:
            log.warning("prompts for call %s could not be rendered ahead: %s",
                        claim.attempt_id, exc)
        finally:
            done.set()
            self.on_ready()
