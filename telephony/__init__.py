"""Placing and hearing calls: AMI, AudioSocket, the Asterisk sandbox and the simulated backend."""

from telephony.errors import TelephonyError

__all__ = ["TelephonyError"]
