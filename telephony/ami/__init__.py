"""The Asterisk Manager Interface: a pure codec and an anyio client with reconnection."""

from telephony.ami import actions
from telephony.ami.client import AmiClient, AmiConfig, ConnectionNotice, Delivery
from telephony.ami.codec import Action, Banner, Event, Message, Parser, Response, encode
from telephony.ami.errors import (
    AmiActionError,
    AmiAuthError,
    AmiConnectionError,
    AmiError,
    AmiProtocolError,
    AmiTimeout,
)

__all__ = [
    "Action",
    "AmiActionError",
    "AmiAuthError",
    "AmiClient",
    "AmiConfig",
    "AmiConnectionError",
    "AmiError",
    "AmiProtocolError",
    "AmiTimeout",
    "Banner",
    "ConnectionNotice",
    "Delivery",
    "Event",
    "Message",
    "Parser",
    "Response",
    "actions",
    "encode",
]
