"""Assembling a worker from settings: the database, the script, the recogniser, the prompt cache,
the telephony backend, and the lock that keeps one worker id to one live process."""

from __future__ import annotations

import fcntl
import os
import socket
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import IO, Protocol

import anyio
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from asr_models import load_capacity, load_recogniser, resolve
from asr_models.vad import VadEngine
from campaigns.calls import OPT_OUT_REASON
from campaigns.db import write_connection
from campaigns.dnc import add_dnc_rows
from campaigns.models import Contact
from campaigns.policy import SCRIPT_OUTCOMES
from campaigns.repo import utcnow
from dialogs import load_script, warm_up
from dialogs.script import Script, render_template
from dialogs.tts import PromptCache, PromptSpec, default_engines, voice_for
from orchestrator.campaign_model import listener_model
from orchestrator.cli_common import UserError
from orchestrator.session import Services, SessionConfig
from orchestrator.settings import Settings
from telephony.sim import Persona, QuestionBook, SimBackend, load_personas, personas_by_hash

DEFAULT_CAPACITY_PER_CORE = 10  # used until `outreach asr capacity` has measured this machine


def worker_id(settings: Settings) -> str:
    return settings.worker_id or socket.gethostname()


@contextmanager
def worker_lock(settings: Settings, wid: str) -> Iterator[None]:
    """One live process per worker id: a restart after a crash may then safely close the dead
    process's open attempts. The lock dies with its process, even on SIGKILL."""
    path = settings.home / "workers" / f"{wid}.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    handle: IO[str] = path.open("w")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError as exc:
        handle.close()
        raise UserError(
            f"worker {wid!r} is already running on this machine; give this one another id "
            "with OUTREACH_WORKER_ID"
        ) from exc
    try:
        handle.write(str(os.getpid()))
        handle.flush()
        yield
    finally:
        handle.close()


def capacity(settings: Settings) -> int:
    """Concurrent calls this worker may take: the `capacity` setting, else 80 % of what
    `outreach asr capacity` measured here, else a conservative default per core."""
    if settings.capacity is not None:
        return settings.capacity
    return load_capacity(settings.home) or DEFAULT_CAPACITY_PER_CORE * (os.cpu_count() or 1)


def prompt_cache(settings: Settings) -> PromptCache:
    return PromptCache(settings.prompt_cache_dir, default_engines(settings.home))


def with_voice_gate(config: SessionConfig, choice: str, streaming: bool) -> SessionConfig:
    """The session config with the gate's classifier: the setting, or for `auto` Silero in front
    of an utterance engine (a false turn there costs a Whisper decode and risks invented text)."""
    engine: VadEngine = "webrtc" if choice == "webrtc" or (choice == "auto" and streaming) \
        else "silero"
    vad = replace(config.turn.vad, engine=engine)
    return replace(config, turn=replace(config.turn, vad=vad))


async def build_services(
    settings: Settings, engine: Engine, script_ref: str | Script, config: SessionConfig,
    asr_model: str | None = None, campaign: str = "",
) -> Services:  # fmt: skip
    # A campaign passes its stored copy (orchestrator/campaign_script.py); tests a name or file.
    script = load_script(script_ref, SCRIPT_OUTCOMES) if isinstance(script_ref, str) else script_ref
    # The intent matcher's tokenizer (kiwipiepy for Korean: seconds) loads now, not in a call.
    await anyio.to_thread.run_sync(warm_up, script.language)
    # The campaign's own model; else the configured one when it hears the script's language,
    # else one installed that does (Mandarin: whisper-base); its engine (vosk or whisper) with it.
    hears = listener_model(asr_model, script.language, settings.models_dir, settings.asr_model,
                           campaign)  # fmt: skip
    # (A campaign's own model was resolved, layout checked, by listener_model already.)
    asr = await load_recogniser(hears if asr_model else resolve(hears.name, settings.models_dir))
    config = with_voice_gate(config, settings.vad, asr.streaming)
    prompts = prompt_cache(settings)

    async def opt_out(attempt_id: str, phone: str) -> None:
        def write() -> None:
            with write_connection(engine) as conn, conn.begin():
                add_dnc_rows(conn, [phone], OPT_OUT_REASON, f"call:{attempt_id}", utcnow())

        await anyio.to_thread.run_sync(write)

    recordings = settings.recordings_dir if settings.recordings else None
    # Synthesised now, so that the apology after a failure mid-call cannot itself fail then.
    apology = (await prompts.get(script.voice.spec(script.apology))).pcm
    return Services(script, asr, prompts, config, recordings, opt_out, apology)


def persona_picker(engine: Engine, campaign_id: int) -> Callable[[str], Persona]:
    """The persona named in the contact's `persona` column, else one picked from the number."""
    catalogue = load_personas()
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(Contact.phone, Contact.attributes).where(Contact.campaign_id == campaign_id)  # type: ignore[call-overload]
        ).all()
    named = {p: a["persona"] for p, a in rows if isinstance(a, dict) and a.get("persona")}
    unknown = sorted({n for n in named.values() if n not in catalogue})
    if unknown:
        raise UserError(f"unknown personas in the list: {unknown}; known: {sorted(catalogue)}")
    fallback = personas_by_hash(catalogue=catalogue)

    def persona(phone: str) -> Persona:
        key = phone if phone.startswith("+") else "+" + phone
        return catalogue[named[key]] if key in named else fallback(key)

    return persona


class Voices(Protocol):
    """What simulated customers need to speak: the script (its language and voice) and the
    prompt cache (Services has both; so does the sandbox's customer side on its own)."""

    script: Script
    prompts: PromptCache


def customer_spec(services: Voices, text: str, language: str) -> PromptSpec:
    """How a simulated customer says `text`: in the script's own voice when they speak its
    language (Mandarin: Kokoro, which Whisper can hear; espeak-ng's Mandarin it cannot), else
    their language's espeak-ng voice."""
    if language == services.script.language:
        return services.script.voice.spec(text)
    return PromptSpec(text, voice_for(language, voice_for(services.script.language)))


def speaker(services: Voices) -> Callable[[str, str], Awaitable[bytes]]:
    """Simulated customers speak with the project's synthesiser (`customer_spec`)."""

    async def speak(text: str, language: str) -> bytes:
        return (await services.prompts.get(customer_spec(services, text, language))).pcm

    return speak


async def prerender_customers(services: Voices) -> None:
    """The simulated customers' phrases, rendered before the first dial like the robot's prompts:
    a customer synthesises its answers when its call starts, and with Kokoro (about a second a
    phrase, one process) it would still be doing so when the robot's first prompt ends."""
    language = services.script.language
    texts: set[str] = set()
    for persona in load_personas().values():
        texts.update(persona.replies.get(language, ()))
        texts.update(persona.confirm_replies(language))
        greeting = persona.greeting_in(language)
        if greeting:
            texts.add(greeting)
    await services.prompts.prerender([customer_spec(services, t, language) for t in sorted(texts)])


async def question_book(voices: Voices) -> QuestionBook:
    """The script's confirmation questions as its voice says them (rendered with the variables'
    defaults), for simulated customers to know them when they hear one (telephony.sim.questions).
    A question that needs a contact's value (a name) is left out: customers answer it in order."""
    from orchestrator.prompt_audio import prompt_pcm

    script = voices.script
    defaults = {k: str(v) for k, v in script.model.variables.items() if v is not None}
    sounds: dict[str, list[bytes]] = {}
    for outcome, rule in script.model.confirm.items():
        for prompt_id, template in ((f"confirm.{outcome}", rule.ask),
                                    (f"confirm.{outcome}.again", rule.again or rule.ask)):
            try:
                text = render_template(template, defaults)
            except KeyError:
                continue
            pcm, _ = await prompt_pcm(voices.prompts, script, prompt_id, text, defaults)
            sounds.setdefault(outcome, []).append(pcm)
    return QuestionBook(sounds)


def sim_backend(engine: Engine, campaign_id: int, services: Services, speed: float,
                questions: QuestionBook | None = None) -> SimBackend:  # fmt: skip
    """Simulated customers, in process, speaking the script's language."""
    pick = persona_picker(engine, campaign_id)
    return SimBackend(pick, speaker(services), speed, language=services.script.language,
                      questions=questions)  # fmt: skip
