"""Customer data stays out of logs: phone numbers are masked wherever a log line is written, in
the message, the exception text and the traceback alike; identifiers keep every digit.

Logs go to stderr and, once the home is known, to a size-rotated file under it
(`OUTREACH_HOME/logs/outreach.log`, 0600) that keeps warnings and errors with their tracebacks.
"""

from __future__ import annotations

import io
import logging
import logging.handlers
import os
import re
from pathlib import Path

# 9+ digits, optionally split by "-" or " ": phone numbers (also in sip:/tel: URIs). Left alone:
# ISO dates and times, digits inside identifiers (UUIDs, hex ids, names_with_digits), Asterisk's
# Uniqueid/Linkedid (epoch seconds "." sequence) and numbers labelled as ids (`contact_id=...`,
# `attempt id 123...`), except a caller id, which is a phone number.
_HEX = "[0-9a-fA-F]"
_UUID = rf"{_HEX}{{8}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{12}}"
_UNIQUEID = r"\d{9,11}\.\d{1,9}(?![\d.])"
_LABELLED = r"(?<![Cc]aller )\b(?![Cc]aller)(?:\w*_)?(?:id|ID|Id)[=:#]? ?\d+"
_PHONE = re.compile(
    rf"(?P<id>(?<![\w-]){_UUID}(?![\w-])|(?<![\w.]){_UNIQUEID}|{_LABELLED})"
    r"|(?:(?<![\w:\-])|(?<=sip:)|(?<=tel:))(?!\d{4}-\d\d-\d\d)\+?\d(?:[\- ]?\d){8,}(?![\w\-])"
)
LOG_FILE_BYTES = 5 * 1024 * 1024
LOG_FILE_BACKUPS = 5


def mask_phone(phone: str) -> str:
    """`+821012345678` -> `+82******5678`: enough to tell calls apart, not to dial."""
    p = phone.strip()
    if len(p) <= 8:
        return "*" * (len(p) - 2) + p[-2:] if len(p) > 2 else "*" * len(p)
    return p[:3] + "*" * (len(p) - 7) + p[-4:]


def mask_text(text: str) -> str:
    """`text` with every phone number in it masked and every identifier kept whole."""

    def one(m: re.Match[str]) -> str:
        return m.group() if m.group("id") else mask_phone(re.sub(r"[\- ]", "", m.group()))

    return _PHONE.sub(one, text)


_mask_all = mask_text  # the name other modules used


class MaskPhones(logging.Filter):
    """A logging filter that masks anything shaped like a phone number in every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = mask_text(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            # The traceback is text too: an exception's message often carries the number.
            record.exc_text = mask_text(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = mask_text(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_text(record.stack_info)
        return True


class PrivateRotatingFile(logging.handlers.RotatingFileHandler):
    """A size-rotated log file (and its folder) that only the owner can read, opened at the
    first record so a command that logs nothing creates nothing."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, maxBytes=LOG_FILE_BYTES, backupCount=LOG_FILE_BACKUPS,
                         encoding="utf-8", delay=True)  # fmt: skip

    def _open(self) -> io.TextIOWrapper:
        path = Path(self.baseFilename)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600))
        os.chmod(path, 0o600)  # also a file made before, or by a rotation
        return super()._open()


_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def install(level: int | str = logging.WARNING) -> None:
    """Log to stderr with every phone number masked (handlers get the filter, so libraries'
    records are masked too)."""
    if isinstance(level, str):
        level = logging.getLevelNamesMapping().get(level.upper(), logging.WARNING)
    handler = logging.StreamHandler()
    handler.setLevel(level)
    handler.addFilter(MaskPhones())
    handler.setFormatter(logging.Formatter(_FORMAT))
    root = logging.getLogger()
    for old in root.handlers:
        if isinstance(old, PrivateRotatingFile):
            old.close()
    root.handlers[:] = [handler]
    # Warnings always reach the handlers: the log file keeps them whatever stderr shows.
    root.setLevel(min(level, logging.WARNING))


def log_file(home: Path) -> Path:
    return home.resolve() / "logs" / "outreach.log"


def install_file(home: Path) -> None:
    """Also keep warnings and errors, with tracebacks, in the home's rotating log file."""
    path = log_file(home)
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, PrivateRotatingFile)]:
        if Path(old.baseFilename) == path:
            return
        root.removeHandler(old)
        old.close()
    handler = PrivateRotatingFile(path)
    handler.setLevel(logging.WARNING)
    handler.addFilter(MaskPhones())
    handler.setFormatter(logging.Formatter(_FORMAT))
    root.addHandler(handler)


def to_file(level: int, message: str, exc: BaseException | None = None) -> None:
    """Write one record to the log file only (what the terminal already shows in its own way:
    the one-line error a command stopped with, the traceback of an internal error)."""
    exc_info = (type(exc), exc, exc.__traceback__) if exc is not None else None
    record = logging.LogRecord("outreach", level, __file__, 0, message, None, exc_info)
    for handler in logging.getLogger().handlers:
        if isinstance(handler, PrivateRotatingFile):
            handler.handle(record)
