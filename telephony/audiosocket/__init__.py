"""AudioSocket: Asterisk's raw-audio TCP protocol. A pure codec and an anyio server.

The robot side: `async with server.running(): call = await server.accept(attempt_id, timeout)`.
The sandbox's customer side: `uuid, call = await server.accept_any(timeout)` and
`number_from_uuid(uuid)` for the dialled number. See docs/audiosocket.md.
"""

from telephony.audiosocket.call import AudioSocketCall
from telephony.audiosocket.codec import Audio, Decoder, Dtmf, Error, Hangup, Message, Uuid, encode
from telephony.audiosocket.errors import (
    AcceptTimeout,
    AudioSocketError,
    AudioSocketProtocolError,
    ServerNotRunning,
)
from telephony.audiosocket.numbers import number_from_uuid, uuid_for_number
from telephony.audiosocket.server import AudioSocketServer
from telephony.audiosocket.timing import FrameTiming, TimingStats

__all__ = [
    "AcceptTimeout",
    "Audio",
    "AudioSocketCall",
    "AudioSocketError",
    "AudioSocketProtocolError",
    "AudioSocketServer",
    "Decoder",
    "Dtmf",
    "Error",
    "FrameTiming",
    "Hangup",
    "Message",
    "ServerNotRunning",
    "TimingStats",
    "Uuid",
    "encode",
    "number_from_uuid",
    "uuid_for_number",
]
