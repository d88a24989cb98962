"""One run of a campaign: build the worker (script, recogniser, prompts, backend), recover what a
previous run of this worker left open, pre-render the fixed prompts, dial, deliver webhooks."""

from __future__ import annotations

import contextlib
import dataclasses
import ipaddress
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import anyio
from sqlalchemy.engine import Engine

from campaigns.caller_id import caller_id_header
from campaigns.db import session
from campaigns.policy import NumberCaps
from campaigns.repo import get_campaign_by_name
from dialogs.script import render_template
from orchestrator.callflow import CallPlan
from orchestrator.campaign_script import campaign_script
from orchestrator.dialer import Dialer, DialerOptions, RunStats, store_waits
from orchestrator.prompt_audio import prompt_specs
from orchestrator.runtime import (
    build_services,
    capacity,
    persona_picker,
    prerender_customers,
    question_book,
    sim_backend,
    speaker,
    worker_id,
    worker_lock,
)
from orchestrator.session import Services, SessionConfig
from orchestrator.settings import Settings, SettingsError
from orchestrator.webhook import DeliveryStats, last_round, run_outbox
from telephony.base import TelephonyBackend
from telephony.sim import QuestionBook

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunRequest:
    settings: Settings
    engine: Engine
    campaign: str
    telephony: str = "sim"
    until_done: bool = False
    speed: float = 1.0
    on_progress: Callable[[RunStats], None] | None = None
    handle_signals: bool = True
    share: tuple[int, int] = (0, 1)  # (index, n): one of n processes of one worker

    def with_progress(self, fn: Callable[[RunStats], None]) -> RunRequest:
        return dataclasses.replace(self, on_progress=fn)


def asterisk_backend(
    settings: Settings, services: Services, engine: Engine, cid: int,
    questions: QuestionBook | None = None,
) -> TelephonyBackend:
    from orchestrator.cli_telephony import asterisk_config
    from telephony.asterisk import AsteriskBackend, SimulatedCustomers

    config = asterisk_config(settings, channel_template=settings.asterisk_channel)
    config = dataclasses.replace(
        config, customers_required=settings.asterisk_simulated_customers is True
    )
    customers = None
    if simulated_customers_possible(settings):  # the backend starts them only on the sandbox
        pick = persona_picker(engine, cid)
        language = services.script.language
        customers = SimulatedCustomers(pick, language, speaker(services), hello=True,
                                       questions=questions)  # fmt: skip
    return AsteriskBackend(config, customers)


def simulated_customers_possible(settings: Settings) -> bool:
    """Whether this asterisk run may have simulated customers: the sandbox listens on loopback
    only, so a PBX elsewhere never gets them (asked for explicitly there: refused at once)."""
    wanted = settings.asterisk_simulated_customers
    if wanted is False:
        return False
    host = settings.ami_host
    with contextlib.suppress(ValueError):
        host = "localhost" if ipaddress.ip_address(host).is_loopback else host
    if host == "localhost":
        return True
    if wanted:
        raise SettingsError(
            f"asterisk_simulated_customers is true but the PBX at {settings.ami_host} is not the "
            "sandbox (it listens on loopback only): simulated customers answer only in the "
            "sandbox; unset OUTREACH_ASTERISK_SIMULATED_CUSTOMERS for a real PBX"
        )
    return False


async def _prerender(services: Services) -> None:
    """Before the first dial: every prompt that needs no contact's value (fixed text, or only
    variables with defaults, rendered with them). Prompts with a contact's values (the name) are
    rendered when the contact is claimed (orchestrator/prompt_audio.py)."""
    script = services.script
    defaults = {k: str(v) for k, v in script.model.variables.items() if v is not None}
    specs = []
    for p in script.all_prompts():
        if p.variables <= defaults.keys():
            text = render_template(p.template, defaults)
            with contextlib.suppress(KeyError):  # a recorded part says a contact's value
                specs += prompt_specs(script, p.prompt_id, text, defaults)
    await services.prompts.prerender(specs)


async def run_campaign(request: RunRequest) -> RunStats:
    settings = request.settings
    key = settings.webhook_key() if settings.webhook_url else None  # refused before any dial
    if request.telephony == "asterisk":
        simulated_customers_possible(settings)  # asked for against a real PBX: refused here
    with session(request.engine) as s:
        campaign = get_campaign_by_name(s, request.campaign)
    assert campaign.id is not None
    config = SessionConfig(speed=request.speed, max_call_s=settings.max_call_s,
                           hearing_check=settings.hearing_check,
                           checks_at_once=settings.hearing_checks_at_once)  # fmt: skip
    services = await build_services(settings, request.engine, campaign_script(campaign), config,
                                    campaign.asr_model, campaign.name)  # fmt: skip
    services = dataclasses.replace(services, script_version=campaign.script_version)
    await _prerender(services)
    questions = None
    if request.telephony == "sim" or simulated_customers_possible(settings):
        await prerender_customers(services)
        questions = await question_book(services)
    if request.telephony == "asterisk":
        backend = asterisk_backend(settings, services, request.engine, campaign.id, questions)
    else:
        backend = sim_backend(request.engine, campaign.id, services, request.speed, questions)
    wid = worker_id(settings)
    options = DialerOptions(
        worker_id=wid,
        until_done=request.until_done,
        speed=request.speed,
        capacity=capacity(settings),
        handle_signals=request.handle_signals,
        lease=timedelta(minutes=settings.claim_lease_minutes),
        store_waits=store_waits(settings.store_retry_s),
        spool_dir=settings.home / "unsaved",
        caps=NumberCaps(
            settings.number_max_per_minute,
            settings.number_max_per_hour,
            settings.number_max_per_day,
        ),
        call_plan=CallPlan(
            campaign.transfer_queue, settings.webhook_url is not None, settings.ring_timeout_s,
            caller_id=caller_id_header(campaign.caller_id, campaign.caller_name),
            greet_silent_pickup=settings.amd_greet_on_silence,
        ),
        share=request.share,
    )
    dialer = Dialer(request.engine, campaign.id, services, backend, options, request.on_progress)
    with worker_lock(settings, wid):
        async with anyio.create_task_group() as tg:
            if settings.webhook_url and request.share[0] == 0:  # one outbox per worker
                # Delivery never raises (errors are logged and retried): the calls go on.
                tg.start_soon(
                    run_outbox, request.engine, settings.webhook_url, key, DeliveryStats()
                )
            stats = await dialer.run()
            tg.cancel_scope.cancel()
        if settings.webhook_url:
            await last_round(request.engine, settings.webhook_url, key, DeliveryStats())
    return stats
