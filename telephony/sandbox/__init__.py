"""The project's Asterisk 22 sandbox: a cached Debian sid chroot, rendered configs, start/stop."""

from telephony.sandbox import numbers
from telephony.sandbox.control import Sandbox, SandboxStatus
from telephony.sandbox.errors import SandboxError
from telephony.sandbox.render import ROBOT_CONTEXT, SandboxConfig, robot_context
from telephony.sandbox.rootfs import default_rootfs

__all__ = [
    "ROBOT_CONTEXT",
    "Sandbox",
    "SandboxConfig",
    "SandboxError",
    "SandboxStatus",
    "default_rootfs",
    "numbers",
    "robot_context",
]
