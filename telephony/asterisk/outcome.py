"""Pure classification of a dial's fate from the AMI events Asterisk reported about it.

Measured on the sandbox (Asterisk 22 over a PJSIP trunk): a failed async Originate often reports
OriginateResponse Reason 0 whatever happened, and DialEnd can say NOANSWER for a 404; the channel's
Hangup event (Cause = Q.850 code, TechCause = SIP code) is the reliable witness, so it wins, then
DialEnd's DialStatus, then OriginateResponse's Reason.

A trunk failure is told apart from the customer's phone by the SIP code: a 5xx (the carrier or
its gateway refused the call) or a 408 (no answer at all to the INVITE: with the sandbox's timer B
of 6.4 s the INVITE transaction times out before the ring timeout; a ring-no-answer instead ends
with Asterisk's own cause 19 / 480 when the ring timeout cancels it).
"""

from __future__ import annotations

from dataclasses import dataclass

from telephony.ami import Event
from telephony.base import AmdStatus, DialOutcome, DialResult

# Q.850 cause codes as Asterisk reports them in Hangup events.
_BY_CAUSE = {
    17: DialOutcome.BUSY,
    18: DialOutcome.NO_ANSWER,  # no user responding
    19: DialOutcome.NO_ANSWER,  # user alerting, no answer
    34: DialOutcome.CONGESTION,  # circuit/channel congestion
    38: DialOutcome.CONGESTION,  # network out of order
    41: DialOutcome.CONGESTION,  # temporary failure
    42: DialOutcome.CONGESTION,  # switching equipment congestion
    44: DialOutcome.CONGESTION,  # requested channel not available
}
_TRUNK_SIP = frozenset({408, 500, 502, 503, 504})  # the trunk, not the customer, failed the call
_UNINFORMATIVE = {0, 16}  # not defined / normal clearing: look at DialEnd and the Reason instead
_BY_DIALSTATUS = {
    "ANSWER": DialOutcome.ANSWERED,
    "BUSY": DialOutcome.BUSY,
    "NOANSWER": DialOutcome.NO_ANSWER,
    "CONGESTION": DialOutcome.CONGESTION,
    "CHANUNAVAIL": DialOutcome.FAILED,
}
# OriginateResponse Reason (FACTS.md): 4 answered, 5 busy, 3 no answer, 8 congestion, 1/0 failure.
_BY_REASON = {
    "4": DialOutcome.ANSWERED,
    "5": DialOutcome.BUSY,
    "3": DialOutcome.NO_ANSWER,
    "8": DialOutcome.CONGESTION,
}
_AMD = {"HUMAN": AmdStatus.HUMAN, "MACHINE": AmdStatus.MACHINE, "NOTSURE": AmdStatus.NOTSURE}


@dataclass(frozen=True)
class DialEvidence:
    """What Asterisk said about one attempt's dial, as far as it has said it."""

    originate: Event | None = None  # OriginateResponse
    dial_end: Event | None = None  # DialEnd whose destination is our channel
    hangup: Event | None = None  # Hangup of our channel


def cause_text(hangup: Event) -> str:
    """`User busy (cause 17, SIP 486)`: Asterisk's words, the Q.850 code and the SIP code."""
    text = hangup.get("Cause-txt") or "unknown cause"
    codes = [f"cause {hangup.get('Cause')}"] if hangup.get("Cause") else []
    tech = hangup.get("TechCause")
    if tech and tech != "0":
        codes.append(f"SIP {tech}")
    return f"{text} ({', '.join(codes)})" if codes else text


def classify_failure(evidence: DialEvidence) -> DialResult:
    """The outcome of a dial that never reached our media (so never ANSWERED)."""
    cause = cause_text(evidence.hangup) if evidence.hangup is not None else None
    outcome = None
    if evidence.hangup is not None:
        code = evidence.hangup.get("Cause") or ""
        tech = evidence.hangup.get("TechCause") or ""
        if tech.isdigit() and int(tech) in _TRUNK_SIP:
            outcome = DialOutcome.TRUNK_FAILED
        elif code.isdigit() and int(code) not in _UNINFORMATIVE:
            # A specific cause outside the map (unallocated number, rejected, ...) is a failure,
            # whatever DialEnd says (it reports NOANSWER for a 404).
            outcome = _BY_CAUSE.get(int(code), DialOutcome.FAILED)
    if outcome is None and evidence.dial_end is not None:
        outcome = _BY_DIALSTATUS.get((evidence.dial_end.get("DialStatus") or "").upper())
    if outcome is None and evidence.originate is not None:
        outcome = _BY_REASON.get(evidence.originate.get("Reason") or "")
    if outcome is None or outcome is DialOutcome.ANSWERED:
        outcome = DialOutcome.FAILED
    detail = None
    if evidence.originate is not None:
        detail = f"OriginateResponse {evidence.originate.get('Response')} " \
                 f"reason {evidence.originate.get('Reason')}"  # fmt: skip
    return DialResult(outcome, cause=cause, detail=detail)


def amd_status(event: Event) -> AmdStatus:
    """The AMD result from the robot context's `UserEvent(OutreachAmd, Status: ..., ...)`."""
    return _AMD.get((event.get("Status") or "").upper(), AmdStatus.NOTSURE)
