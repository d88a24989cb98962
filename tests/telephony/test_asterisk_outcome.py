"""Dial outcome classification from the event sequences the sandbox Asterisk really produced."""

from __future__ import annotations

import pytest

from telephony.ami import Event
from telephony.asterisk import DialEvidence, classify_failure
from telephony.base import DialOutcome


def event(name: str, **headers: str) -> Event:
    return Event((("Event", name), *((k.replace("_", "-"), v) for k, v in headers.items())))


def originate(reason: str) -> Event:
    return event("OriginateResponse", Response="Failure", Reason=reason)


@pytest.mark.parametrize(
    ("evidence", "outcome", "cause"),
    [
        # Busy(): Reason 0 (!), DialEnd BUSY, Hangup 17/486.
        (DialEvidence(originate("0"), event("DialEnd", DialStatus="BUSY"),
                      event("Hangup", Cause="17", Cause_txt="User busy", TechCause="486")),
         DialOutcome.BUSY, "User busy (cause 17, SIP 486)"),
        # Hangup(1): DialEnd says NOANSWER, but the cause (404) is what happened.
        (DialEvidence(originate("0"), event("DialEnd", DialStatus="NOANSWER"),
                      event("Hangup", Cause="1", Cause_txt="Unallocated (unassigned) number",
                            TechCause="404")),
         DialOutcome.FAILED, "Unallocated (unassigned) number (cause 1, SIP 404)"),
        (DialEvidence(originate("3"), None,
                      event("Hangup", Cause="19", Cause_txt="User alerting, no answer",
                            TechCause="480")),
         DialOutcome.NO_ANSWER, "User alerting, no answer (cause 19, SIP 480)"),
        # A 503 from the trunk (SIPp or the sandbox's Congestion()): the carrier refused it.
        (DialEvidence(originate("0"), event("DialEnd", DialStatus="CONGESTION"),
                      event("Hangup", Cause="34", Cause_txt="Circuit/channel congestion",
                            TechCause="503")),
         DialOutcome.TRUNK_FAILED, "Circuit/channel congestion (cause 34, SIP 503)"),
        # Nobody answered the INVITE at all (trunk down): SIP timer B's local 408 (sandbox, SIPp
        # not running), where a ring-no-answer ends with 19/480 (above).
        (DialEvidence(originate("0"), None,
                      event("Hangup", Cause="18", Cause_txt="No user responding",
                            TechCause="408")),
         DialOutcome.TRUNK_FAILED, "No user responding (cause 18, SIP 408)"),
        # Congestion with no SIP code (another channel technology) stays congestion.
        (DialEvidence(originate("0"), None,
                      event("Hangup", Cause="34", Cause_txt="Circuit/channel congestion")),
         DialOutcome.CONGESTION, "Circuit/channel congestion (cause 34)"),
        # No Hangup seen (e.g. no channel was ever made): DialEnd, then the Reason decide.
        (DialEvidence(originate("0"), event("DialEnd", DialStatus="CHANUNAVAIL"), None),
         DialOutcome.FAILED, None),
        (DialEvidence(originate("5")), DialOutcome.BUSY, None),
        (DialEvidence(originate("8")), DialOutcome.CONGESTION, None),
        (DialEvidence(originate("1")), DialOutcome.FAILED, None),
        # Normal clearing says nothing: fall through to DialEnd.
        (DialEvidence(originate("0"), event("DialEnd", DialStatus="NOANSWER"),
                      event("Hangup", Cause="16", Cause_txt="Normal Clearing")),
         DialOutcome.NO_ANSWER, "Normal Clearing (cause 16)"),
    ],
)  # fmt: skip
def test_failures_are_classified_with_their_cause(
    evidence: DialEvidence, outcome: DialOutcome, cause: str | None
) -> None:
    result = classify_failure(evidence)
    assert (result.outcome, result.cause) == (outcome, cause)


def test_a_failure_is_never_reported_as_answered() -> None:
    answered_status = DialEvidence(None, event("DialEnd", DialStatus="ANSWER"), None)
    assert classify_failure(answered_status).outcome is DialOutcome.FAILED
