"""The `asterisk` telephony backend: AMI + AudioSocket against a real Asterisk."""

from telephony.asterisk.backend import AsteriskBackend, AsteriskConfig, CustomerHandler
from telephony.asterisk.call import AsteriskCall
from telephony.asterisk.customers import SimulatedCustomers
from telephony.asterisk.errors import AsteriskError
from telephony.asterisk.outcome import DialEvidence, classify_failure

__all__ = [
    "AsteriskBackend",
    "AsteriskCall",
    "AsteriskConfig",
    "AsteriskError",
    "CustomerHandler",
    "DialEvidence",
    "SimulatedCustomers",
    "classify_failure",
]
