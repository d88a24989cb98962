"""Placing and hearing calls: AMI, AudioSocket, the Asterisk sandbox and the simulated backend."""

from telephony.audiosocket import (
    AcceptTimeout,
    AudioSocketCall,
    AudioSocketError,
    AudioSocketProtocolError,
    AudioSocketServer,
    number_from_uuid,
    uuid_for_number,
)
from telephony.errors import TelephonyError

__all__ = [
    "AcceptTimeout",
    "AudioSocketCall",
    "AudioSocketError",
    "AudioSocketProtocolError",
    "AudioSocketServer",
    "TelephonyError",
    "number_from_uuid",
    "uuid_for_number",
]
