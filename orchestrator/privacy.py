"""Customer data stays out of logs: phone numbers are masked wherever a log line is written."""

from __future__ import annotations

import logging
import re

# 9+ digits, optionally split by "-" or " ": phone numbers; ISO dates and times are left alone.
_PHONE = re.compile(r"(?<![\d:])(?!\d{4}-\d\d-\d\d)\+?\d(?:[\- ]?\d){8,}")


def mask_phone(phone: str) -> str:
    """`+821012345678` -> `+82******5678`: enough to tell calls apart, not to dial."""
    p = phone.strip()
    if len(p) <= 8:
        return "*" * (len(p) - 2) + p[-2:] if len(p) > 2 else "*" * len(p)
    return p[:3] + "*" * (len(p) - 7) + p[-4:]


def _mask_all(text: str) -> str:
    return _PHONE.sub(lambda m: mask_phone(re.sub(r"[\- ]", "", m.group())), text)


class MaskPhones(logging.Filter):
    """A logging filter that masks anything shaped like a phone number in every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = _mask_all(record.getMessage())
        record.args = None
        return True


def install(level: int | str = logging.WARNING) -> None:
    """Log to stderr with every phone number masked (handlers get the filter, so libraries'
    records are masked too)."""
    handler = logging.StreamHandler()
    handler.addFilter(MaskPhones())
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
