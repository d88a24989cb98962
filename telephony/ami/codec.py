"""A pure AMI codec: bytes in, frozen messages out; actions in, bytes out. No I/O here.

AMI frames are `Key: Value` lines ending in CRLF; a blank line ends a message. The very first line
of a connection is a banner (`Asterisk Call Manager/x.y.z`). Keys repeat (one `Variable:` per
variable), so a message keeps its headers as an ordered tuple of pairs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from telephony.ami.errors import AmiProtocolError

MAX_LINE = 64 * 1024  # a longer line is not AMI: refuse it instead of buffering without bound
MAX_HEADERS = 4096
BANNER_PREFIX = "Asterisk Call Manager/"

Headers = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Message:
    """One AMI message; header lookup ignores case, as Asterisk does."""

    headers: Headers

    def get(self, key: str, default: str | None = None) -> str | None:
        want = key.lower()
        for k, v in self.headers:
            if k.lower() == want:
                return v
        return default

    def get_all(self, key: str) -> list[str]:
        want = key.lower()
        return [v for k, v in self.headers if k.lower() == want]

    def __getitem__(self, key: str) -> str:
        value = self.get(key)
        if value is None:
            raise KeyError(key)
        return value

    @property
    def action_id(self) -> str | None:
        return self.get("ActionID")


@dataclass(frozen=True)
class Response(Message):
    """The answer to an action (`Response: Success|Error|Goodbye|Follows`)."""

    @property
    def status(self) -> str:
        return self["Response"]

    @property
    def ok(self) -> bool:
        return self.status.lower() in ("success", "goodbye", "follows")


@dataclass(frozen=True)
class Event(Message):
    """An unsolicited (or list-of-results) event (`Event: Hangup`, ...)."""

    @property
    def name(self) -> str:
        return self["Event"]


@dataclass(frozen=True)
class Banner:
    """The greeting line Asterisk sends when the connection opens."""

    version: str


@dataclass(frozen=True)
class Action:
    """A request to Asterisk. Repeated keys (several `Variable:`) are allowed and kept in order."""

    name: str
    headers: Headers = field(default=())

    @classmethod
    def of(cls, name: str, fields: Mapping[str, str] | None = None,
           variables: Mapping[str, str] | None = None) -> Action:  # fmt: skip
        pairs = list((fields or {}).items())
        pairs += [("Variable", f"{k}={v}") for k, v in (variables or {}).items()]
        return cls(name, tuple(pairs))


def _check_text(kind: str, text: str) -> None:
    if "\r" in text or "\n" in text:
        # A CR/LF would end the header early and let a value inject its own headers or actions.
        raise AmiProtocolError(f"AMI {kind} {text!r} contains a line break and cannot be sent")


def encode(action: Action, action_id: str) -> bytes:
    """The bytes for `action` tagged with `action_id` (every header checked against injection)."""
    pairs: list[tuple[str, str]] = [("Action", action.name), ("ActionID", action_id)]
    pairs += [(k, v) for k, v in action.headers if k.lower() not in ("action", "actionid")]
    lines = []
    for key, value in pairs:
        _check_text("header name", key)
        _check_text(f"value of {key}", value)
        if not key or ":" in key or key != key.strip():
            raise AmiProtocolError(f"AMI header name {key!r} is not valid")
        lines.append(f"{key}: {value}\r\n")
    return ("".join(lines) + "\r\n").encode("utf-8")


Parsed = Message | Banner


class Parser:
    """Incremental parser: `feed()` any chunk of bytes, get the messages it completed."""

    def __init__(self, expect_banner: bool = True, accept_actions: bool = False) -> None:
        self._buffer = bytearray()
        self._expect_banner = expect_banner
        self._accept_actions = accept_actions  # the server's side (test peers) reads actions
        self._headers: list[tuple[str, str]] = []

    def feed(self, data: bytes) -> list[Parsed]:
        self._buffer += data
        out: list[Parsed] = []
        while True:
            end = self._buffer.find(b"\n")
            if end < 0:
                if len(self._buffer) > MAX_LINE:
                    raise AmiProtocolError(
                        f"AMI line longer than {MAX_LINE} bytes: the peer is not speaking AMI"
                    )
                return out
            raw = bytes(self._buffer[:end])
            del self._buffer[: end + 1]
            message = self._line(raw.removesuffix(b"\r").decode("utf-8", errors="replace"))
            if message is not None:
                out.append(message)

    def _line(self, line: str) -> Parsed | None:
        if self._expect_banner:
            self._expect_banner = False
            if not line.startswith(BANNER_PREFIX):
                raise AmiProtocolError(
                    f"expected the AMI banner ({BANNER_PREFIX}...), got {line[:80]!r}: "
                    "is this port really the Asterisk Manager Interface?"
                )
            return Banner(line.removeprefix(BANNER_PREFIX))
        if line == "":
            return self._finish()
        key, sep, value = line.partition(":")
        if not sep or not key or key != key.strip():
            raise AmiProtocolError(f"malformed AMI line {line[:80]!r} (expected 'Key: Value')")
        if len(self._headers) >= MAX_HEADERS:
            raise AmiProtocolError(f"AMI message with more than {MAX_HEADERS} headers")
        self._headers.append((key, value.removeprefix(" ")))
        return None

    def _finish(self) -> Message | None:
        headers, self._headers = tuple(self._headers), []
        if not headers:
            return None  # stray blank line between messages: harmless
        first = headers[0][0].lower()
        if first == "response":
            return Response(headers)
        if first == "event":
            return Event(headers)
        if first == "action" and self._accept_actions:
            return Message(headers)
        raise AmiProtocolError(
            f"AMI message starts with {headers[0][0]!r}, expected 'Response' or 'Event'"
        )


def encode_message(message: Message) -> bytes:
    """Bytes for a Response/Event (used by test peers that play Asterisk's side)."""
    return ("".join(f"{k}: {v}\r\n" for k, v in message.headers) + "\r\n").encode("utf-8")


