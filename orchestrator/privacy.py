"""Customer data stays out of logs: phone numbers are masked wherever a log line is written."""

from __future__ import annotations

import logging
import re

# 9+ digits, optionally split by "-" or " ": phone numbers; ISO dates and times are left alone,
# and so are digits inside identifiers (UUIDs, hex ids, names_with_digits).
_HEX = "[0-9a-fA-F]"
_UUID = rf"{_HEX}{{8}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{12}}"
_PHONE = re.compile(
    rf"(?P<id>(?<![\w-]){_UUID}(?![\w-]))"
    r"|(?<![\w:\-])(?!\d{4}-\d\d-\d\d)\+?\d(?:[\- ]?\d){8,}(?![\w\-])"
)


def mask_phone(phone: str) -> str:
    """`+821012345678` -> `+82******5678`: enough to tell calls apart, not to dial."""
    p = phone.strip()
    if len(p) <= 8:
        return "*" * (len(p) - 2) + p[-2:] if len(p) > 2 else "*" * len(p)
    return p[:3] + "*" * (len(p) - 7) + p[-4:]


def _mask_all(text: str) -> str:
    def one(m: re.Match[str]) -> str:
        return m.group() if m.group("id") else mask_phone(re.sub(r"[\- ]", "", m.group()))

    return _PHONE.sub(one, text)


class MaskPhones(logging.Filter):
    """A logging filter that masks anything shaped like a phone number in every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = _mask_all(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            # The traceback is text too: an exception's message often carries the number.
            record.exc_text = _mask_all(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = _mask_all(record.exc_text)
        if record.stack_info:
            record.stack_info = _mask_all(record.stack_info)
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
