"""Phone numbers never reach a log line in the clear, whoever logs them."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager

from orchestrator.privacy import MaskPhones, mask_phone


@contextmanager
def masked_log(name: str) -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """A logger whose records go, through the MaskPhones filter, into the yielded buffer."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.addFilter(MaskPhones())
    log = logging.getLogger(name)
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    try:
        yield log, out
    finally:
        log.removeHandler(handler)


def test_every_log_record_has_its_phone_numbers_masked() -> None:
    with masked_log("test.privacy") as (log, out):
        log.info("dial %s failed; retry %s at 2026-03-04 10:00", "+821012345678", "010-9876-5432")
        log.info("mainland mobile 13812345678 answered after 1234 ms")
    text = out.getvalue()
    for secret in ("821012345678", "9876", "38123"):
        assert secret not in text
    assert "+82******5678" in text and "2026-03-04 10:00" in text and "1234 ms" in text
    assert mask_phone("+8613812345678") == "+86*******5678"


def test_tracebacks_are_masked_and_call_ids_keep_their_digits() -> None:
    call_id = "d66a3968-a93f-44b8-a69d-a8e058804444"
    digits_id = "12345678-1234-1234-1234-123456789012"
    with masked_log("test.privacy.tb") as (log, out):
        try:
            raise RuntimeError("could not dial +821012345678")
        except RuntimeError:
            log.exception("call %s / %s failed", call_id, digits_id)
    text = out.getvalue()
    assert "Traceback" in text and "821012345678" not in text and "+82******5678" in text
    assert call_id in text and digits_id in text, text


def test_ids_of_every_kind_keep_their_digits_and_no_phone_is_left() -> None:
    """A dial failure as the AMI and the database report it: the call's UUID, Asterisk's
    Uniqueid, a contact id and a SIP URI with the number, then an exception whose message holds
    the number, logged with its traceback and as text in the message."""
    call_id = "12345678-1234-1234-1234-123456789012"
    line = (f"call {call_id} (Uniqueid 1764758400.42, contact_id=123456789012) to "
            "sip:01012345678@carrier failed")  # fmt: skip
    with masked_log("test.privacy.ids") as (log, out):
        log.warning(line)
        try:
            raise ValueError("Key (phone)=(+821098765432) already exists; tel:+821098765432")
        except ValueError as exc:
            log.warning("call %s not stored: %s", call_id, exc, exc_info=True)
    text = out.getvalue()
    assert "01012345678" not in text and "1098765432" not in text, text
    assert "sip:010****5678@carrier" in text and "+82******5432" in text
    for kept in (call_id, "1764758400.42", "contact_id=123456789012"):
        assert kept in text, (kept, text)
    assert "Traceback" in text and "ValueError: Key (phone)=(+82******5432)" in text
