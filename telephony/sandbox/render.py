"""Renders the sandbox's Asterisk configuration from the templates shipped with the package.

Templates use `{{name}}` placeholders (Asterisk itself uses `${...}`, which string.Template would
clash with); a missing name is an error rather than silently left in the output.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from telephony.sandbox import numbers

# FACTS.md: with autoload=no only these load, and nothing pulls in an unlisted dependency.
# func_strings (FILTER) is ours: the customers' context builds a UUID from the dialled digits.
MODULES = (
    "res_sorcery_config", "res_sorcery_memory", "res_sorcery_astdb", "res_pjproject", "res_pjsip",
    "res_pjsip_session", "res_pjsip_pubsub", "chan_pjsip", "res_pjsip_sdp_rtp",
    "res_pjsip_authenticator_digest", "res_pjsip_outbound_authenticator_digest",
    "res_pjsip_outbound_registration", "res_pjsip_registrar", "res_pjsip_endpoint_identifier_ip",
    "res_pjsip_endpoint_identifier_user", "res_pjsip_caller_id", "res_rtp_asterisk",
    "res_timing_timerfd", "codec_ulaw", "codec_alaw", "codec_resample", "format_wav", "format_pcm",
    "format_sln", "pbx_config", "app_amd", "res_audiosocket", "app_audiosocket", "chan_audiosocket",
    "app_queue", "app_dial", "app_userevent", "app_playback", "app_mixmonitor", "func_channel",
    "func_uuid", "func_logic", "func_strings", "res_musiconhold", "bridge_simple",
    "bridge_native_rtp", "bridge_builtin_features",
)  # fmt: skip

CONFIG_FILES = (
    "asterisk.conf", "logger.conf", "modules.conf", "manager.conf", "pjsip.conf",
    "extensions.conf", "queues.conf", "amd.conf",
)  # fmt: skip

ROBOT_CONTEXT = "outreach-robot"

_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")


class TemplateError(ValueError):
    """A template names a value nobody supplied (a bug in the package, not a user error)."""


@dataclass(frozen=True)
class SandboxConfig:
    """Everything the sandbox's configuration depends on."""

    ami_secret: str
    ami_host: str = "127.0.0.1"
    ami_port: int = 5038
    ami_username: str = "outreach"
    sip_host: str = "127.0.0.1"
    sip_port: int = 5060
    sipp_port: int = 5070  # the `sipp` trunk: a SIPp user agent the tests start (not Asterisk)
    sip_timer_b_ms: int = 6400  # INVITE with no response at all: give up (trunk down) after this
    audiosocket: str = "127.0.0.1:9092"  # the robot's AudioSocket server (per-call override exists)
    customer_audiosocket: str = "127.0.0.1:9093"  # the simulated customers' server (AMI override)


def fill(text: str, values: Mapping[str, object]) -> str:
    """Replace every `{{name}}` in `text`; every name must be given."""

    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise TemplateError(f"template needs {name!r}, which was not given")
        return str(values[name])

    return _PLACEHOLDER.sub(one, text)


def template(name: str) -> str:
    return (resources.files("telephony.sandbox") / "templates" / f"{name}.tmpl").read_text("utf-8")


def robot_context(audiosocket: str, context: str = ROBOT_CONTEXT) -> str:
    """The robot's dialplan context, for the sandbox and for a production PBX alike."""
    return fill(template("robot.conf"), {"robot_context": context, "audiosocket": audiosocket})


def render(config: SandboxConfig) -> dict[str, str]:
    """Every configuration file's text, by file name."""
    values: dict[str, object] = {
        "load_lines": "\n".join(f"load = {m}.so" for m in MODULES),
        "ami_host": config.ami_host,
        "ami_port": config.ami_port,
        "ami_username": config.ami_username,
        "ami_secret": config.ami_secret,
        "sip_host": config.sip_host,
        "sip_port": config.sip_port,
        "sipp_port": config.sipp_port,
        "sip_timer_b_ms": config.sip_timer_b_ms,
        "customer_audiosocket": config.customer_audiosocket,
        "robot_context_text": robot_context(config.audiosocket),
    }
    for key, phone in numbers.SPECIAL_NUMBERS.items():
        values[key] = numbers.dial_digits(phone)
    return {name: fill(template(name), values) for name in CONFIG_FILES}


def write_configs(config: SandboxConfig, target: Path) -> list[Path]:
    """Write the rendered files into `target` (the manager.conf holds the secret: owner-only)."""
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in render(config).items():
        path = target / name
        path.write_text(text, encoding="utf-8")
        path.chmod(0o600)
        written.append(path)
    return written
