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
from telephony.sim import (
    CustomerRecord,
    Persona,
    SimBackend,
    SimCall,
    SimError,
    SimulatedCustomer,
    load_personas,
    personas_by_hash,
)

__all__ = [
    "AcceptTimeout",
    "AudioSocketCall",
    "AudioSocketError",
    "AudioSocketProtocolError",
    "AudioSocketServer",
    "CustomerRecord",
    "Persona",
    "SimBackend",
    "SimCall",
    "SimError",
    "SimulatedCustomer",
    "TelephonyError",
    "load_personas",
    "number_from_uuid",
    "personas_by_hash",
    "uuid_for_number",
]
