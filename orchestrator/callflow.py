"""One attempt from dial to stored report: originate, wait for the outcome, run the dialog on an
answer, transfer or hang up, and turn it all into the `CallReport` the campaign layer stores."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from campaigns.calls import CallReport, LeadDraft
from campaigns.dialing import AttemptResult, Claim
from dialogs import DialogError
from orchestrator.privacy import mask_phone
from orchestrator.session import CallSession, Conversation, Services
from telephony.base import AmdStatus, DialOutcome, OriginateRequest, TelephonyBackend
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


async def place_call(
    services: Services, backend: TelephonyBackend, claim: Claim, plan: CallPlan
) -> CallReport:
    phone = mask_phone(claim.phone)
    attributes = {k: str(v) for k, v in claim.attributes.items()}
    contact_vars = {**attributes, "name": claim.name or attributes.get("name", "")}
    try:
        # A contact the script cannot speak to (a missing name, say) is never dialled.
        services.script.resolve_variables(contact_vars)
    except DialogError as exc:
        return CallReport(AttemptResult("invalid", cause=str(exc)[:300]))
    variables = {"language": services.script.language}
    request = OriginateRequest(claim.attempt_id, claim.phone, variables, None, plan.ring_timeout_s)
    try:
        handle = await backend.originate(request)
        dial = await handle.result()
    except TelephonyError as exc:
        log.warning("dial %s to %s failed: %s", claim.attempt_id, phone, exc)
        return CallReport(AttemptResult("failed", cause=str(exc)[:300]))
    if dial.outcome is not DialOutcome.ANSWERED:
        return CallReport(AttemptResult(dial.outcome.value, cause=dial.cause or dial.detail))
    answered_at = datetime.now(UTC)
    if dial.amd is AmdStatus.MACHINE:
        await handle.hangup()
        return CallReport(AttemptResult("machine", amd="machine", answered_at=answered_at))
    conv = await CallSession(
        services, claim.attempt_id, claim.phone, contact_vars, handle.media
    ).run()
    transferred = False
    if conv.transfer_queue is not None and plan.transfer_queue:
        try:
            await handle.transfer(plan.transfer_queue)
            transferred = True
        except TelephonyError as exc:
            log.warning("transfer of %s failed, lead queued instead: %s", claim.attempt_id, exc)
    if not transferred:
        await handle.hangup()
    return _report(conv, dial.amd, answered_at, transferred, plan)


def _report(
    conv: Conversation, amd: AmdStatus, answered_at: datetime, transferred: bool, plan: CallPlan
) -> CallReport:
    score = conv.score
    outcome = conv.outcome or ("hung_up" if conv.hung_up else "no_response")
    callback_at = callback_time(conv.callback_hint, answered_at) if outcome == "callback" else None
    result = AttemptResult(
        "answered",
        amd=None if amd is AmdStatus.NONE else amd.value,
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
    extra = {"latencies_s": conv.latencies_s}
    return CallReport(result, conv.turns, lead, conv.opt_out, plan.webhook, extra)
