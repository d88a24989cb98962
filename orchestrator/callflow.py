"""One attempt from dial to stored report: originate, wait for the outcome, run the dialog on an
answer, transfer or hang up, and turn it all into the `CallReport` the campaign layer stores."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio

from campaigns.calls import CallReport, LeadDraft
from campaigns.dialing import AttemptResult, Claim
from dialogs import DialogError
from orchestrator.privacy import mask_phone
from orchestrator.session import CallSession, Conversation, Services, describe
from telephony.base import (
    AmdStatus,
    CallHandle,
    DialOutcome,
    DialResult,
    OriginateRequest,
    TelephonyBackend,
)
from telephony.errors import TelephonyError

log = logging.getLogger(__name__)
LEAD_TIERS = ("hot", "warm")
# What customers say about "later", per language: the robot calls back on the next such slot.
_TOMORROW = ("내일", "明天", "tomorrow")


@dataclass(frozen=True)
class CallPlan:
    transfer_queue: str | None  # the campaign's agent queue (None: leads are queued instead)
    webhook: bool
    ring_timeout_s: float = 30.0
    caller_id: str | None = None  # "Name <number>" as Asterisk's CallerID; None: the trunk's
    greet_silent_pickup: bool = True  # AMD's INITIALSILENCE verdict is a person waiting
    max_transfer_s: float = 3600.0  # how long a transferred call may hold its channel slot


def callback_time(hint: str | None, now: datetime) -> datetime | None:
    """A callback moment from what the customer said; None lets the retry rule decide."""
    if hint and any(word in hint.lower() for word in _TOMORROW):
        return now + timedelta(days=1)
    return None


def summary(conv: Conversation) -> str:
    """A line for the agent: the score and why, then what the customer said and meant."""
    said = [f"{t.text} ({t.intent})" if t.intent else t.text
            for t in conv.turns if t.speaker == "customer"]  # fmt: skip
    score = conv.score
    head = f"score {score.score} ({score.tier})" if score else "not scored"
    reasons = "; ".join(i.reason for i in score.breakdown[:6]) if score else ""
    return f"{head}, outcome {conv.outcome}. Said: {' / '.join(said) or '-'}. Why: {reasons}"


def contact_variables(name: str | None, attributes: Mapping[str, Any]) -> dict[str, str]:
    """What a script's `{placeholders}` are filled with for one contact: its list columns
    (product, bank, ... as imported) and its name. The import checks rows the same way."""
    values = {k: str(v) for k, v in attributes.items()}
    return {**values, "name": name or values.get("name", "")}


Store = Callable[[CallReport], Awaitable[None]]


async def place_call(
    services: Services, backend: TelephonyBackend, claim: Claim, plan: CallPlan, store: Store
) -> None:
    """Dial, converse, end the line, and hand the report to `store` (exactly once, also when
    the call is cancelled mid-dialog: then with what was heard and the outcome `interrupted`)."""
    phone = mask_phone(claim.phone)
    contact_vars = contact_variables(claim.name, claim.attributes)
    try:
        # A contact the script cannot speak to (a missing name, say) is never dialled.
        services.script.resolve_variables(contact_vars)
    except DialogError as exc:
        return await store(CallReport(AttemptResult("invalid", cause=str(exc)[:300])))
    variables = {"language": services.script.language}
    request = OriginateRequest(claim.attempt_id, claim.phone, variables, plan.caller_id,
                               plan.ring_timeout_s)  # fmt: skip
    try:
        handle = await backend.originate(request)
        dial = await handle.result()
    except TelephonyError as exc:
        log.warning("dial %s to %s failed: %s", claim.attempt_id, phone, exc)
        return await store(CallReport(AttemptResult("failed", cause=str(exc)[:300])))
    if dial.outcome is not DialOutcome.ANSWERED:
        result = AttemptResult(dial.outcome.value, cause=dial.cause or dial.detail,
                               amd_cause=dial.amd_cause)  # fmt: skip
        return await store(CallReport(result))
    answered_at = datetime.now(UTC)
    if dial.amd is AmdStatus.MACHINE and not _greets_anyway(dial, plan):
        await _end_line(handle, None, plan, claim.attempt_id)
        return await store(CallReport(AttemptResult(
            "machine", amd="machine", amd_cause=dial.amd_cause, answered_at=answered_at)))
    await _converse(services, claim, contact_vars, handle, dial, answered_at, plan, store)


def _greets_anyway(dial: DialResult, plan: CallPlan) -> bool:
    """AMD calls a line silent for its initial_silence a machine; a person who picks up and
    waits for us to speak is exactly that, so by default such a line is greeted."""
    cause = (dial.amd_cause or "").upper()
    return plan.greet_silent_pickup and cause.startswith("INITIALSILENCE")


async def _converse(
    services: Services, claim: Claim, contact_vars: dict[str, str], handle: CallHandle,
    dial: DialResult, answered_at: datetime, plan: CallPlan, store: Store,
) -> None:  # fmt: skip
    conv = Conversation()
    try:
        session = CallSession(services, claim.attempt_id, claim.phone, contact_vars, handle.media)
        conv = session.conv
        conv = await session.run()
    except anyio.get_cancelled_exc_class():
        with anyio.CancelScope(shield=True):
            conv.outcome = conv.outcome or "interrupted"
            conv.error = conv.error or "the worker was stopped mid-call"
            await store(_report(conv, dial, answered_at, False, plan))
            with anyio.move_on_after(5):
                await _end_line(handle, None, plan, claim.attempt_id)
        raise
    except Exception as exc:  # the session could not even start: still end the call properly
        log.exception("call %s could not start its dialog", claim.attempt_id)
        conv.error = describe(exc)
    transferred = await _end_line(handle, conv, plan, claim.attempt_id)
    await store(_report(conv, dial, answered_at, transferred, plan))
    if transferred:
        # The customer is now with an agent on one of our trunk channels: the call keeps its
        # place in the channel limit until that line ends.
        with anyio.move_on_after(plan.max_transfer_s):
            await handle.finished()


async def _end_line(
    handle: CallHandle, conv: Conversation | None, plan: CallPlan, attempt_id: str
) -> bool:
    """Transfer when the customer asked for a person and a queue exists, else hang up; never
    raises (a line left open is the worst outcome). True when the transfer was made."""
    if conv is not None and conv.transfer_queue is not None and plan.transfer_queue:
        try:
            await handle.transfer(plan.transfer_queue)
            return True
        except Exception as exc:
            log.warning("transfer of %s failed, lead queued instead: %s", attempt_id, exc)
    try:
        await handle.hangup()
    except Exception:
        log.exception("call %s could not be hung up", attempt_id)
    return False


def _report(
    conv: Conversation, dial: DialResult, answered_at: datetime, transferred: bool, plan: CallPlan
) -> CallReport:
    # A degraded call's hearing was late or cut: no score, no lead from it (it is retried).
    score = None if conv.degraded else conv.score
    amd = dial.amd
    outcome = conv.outcome or ("opt_out" if conv.opt_out else "error" if conv.error
                               else "hung_up" if conv.hung_up else "no_response")  # fmt: skip
    callback_at = callback_time(conv.callback_hint, answered_at) if outcome == "callback" else None
    result = AttemptResult(
        "answered",
        amd=None if amd is AmdStatus.NONE else amd.value,
        amd_cause=dial.amd_cause,
        cause=f"degraded audio: {conv.degraded}" if conv.degraded else conv.error,
        dialog_outcome=outcome,
        callback_at=callback_at,
        answered_at=answered_at,
        duration_s=conv.duration_s,
        score=score.score if score else None,
        tier=score.tier if score else None,
        grade=score.grade if score else None,
        score_breakdown=score.as_json()["breakdown"] if score else (),  # type: ignore[arg-type]
        recording_path=str(conv.recording) if conv.recording else None,
    )
    lead = None
    wants_human = conv.transfer_queue is not None
    if score is not None and (score.tier in LEAD_TIERS or wants_human) and not conv.opt_out:
        lead = LeadDraft(
            score.score,
            score.tier if score.tier in LEAD_TIERS else "warm",
            score.grade,
            summary(conv),
            transferred=transferred,
            callback_at=callback_at,
        )
    extra: dict[str, list[Any]] = {"latencies_s": conv.latencies_s,
                                   "synthesised_in_call": conv.synthesised_in_call}
    if conv.first_word_at is not None and dial.answered_at is not None:
        # From the answer to the robot's first word (the greeting names the customer).
        extra["first_word_s"] = [round(conv.first_word_at - dial.answered_at, 3)]
    return CallReport(result, conv.turns, lead, conv.opt_out, plan.webhook, extra)
