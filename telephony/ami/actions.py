"""Builders for the AMI actions the dialer uses (pure: they only make `Action` values)."""

from __future__ import annotations

from collections.abc import Mapping

from telephony.ami.codec import Action


def originate(
    channel: str, *, channel_id: str, context: str, exten: str = "s", priority: int = 1,
    variables: Mapping[str, str] | None = None, caller_id: str | None = None,
    timeout_s: float = 30.0,
) -> Action:  # fmt: skip
    """Async Originate: Asterisk answers at once, the outcome arrives as OriginateResponse.

    `channel_id` becomes the channel's Uniqueid, so Hangup/Setvar/Redirect can name the call by it.
    """
    fields = {
        "Channel": channel,
        "Context": context,
        "Exten": exten,
        "Priority": str(priority),
        "Async": "true",
        "ChannelId": channel_id,
        "Timeout": str(int(timeout_s * 1000)),
    }
    if caller_id:
        fields["CallerID"] = caller_id
    for key, value in (variables or {}).items():
        if "," in value:
            # AMI splits a Variable value on commas: the rest would become another variable.
            raise ValueError(f"channel variable {key} value {value!r} must not contain a comma")
    return Action.of("Originate", fields, variables)


def setvar(variable: str, value: str, channel: str | None = None) -> Action:
    """Set a channel variable (or, without a channel, a global dialplan variable)."""
    fields = {"Variable": variable, "Value": value}
    if channel is not None:
        fields["Channel"] = channel
    return Action.of("Setvar", fields)


def getvar(variable: str, channel: str | None = None) -> Action:
    """Read a channel variable (or, without a channel, a global one): the reply's `Value`."""
    fields = {"Variable": variable}
    if channel is not None:
        fields["Channel"] = channel
    return Action.of("Getvar", fields)


def hangup(channel: str, cause: int = 16) -> Action:
    return Action.of("Hangup", {"Channel": channel, "Cause": str(cause)})


def redirect(channel: str, context: str, exten: str, priority: int = 1) -> Action:
    return Action.of(
        "Redirect",
        {"Channel": channel, "Context": context, "Exten": exten, "Priority": str(priority)},
    )


def core_show_channels() -> Action:
    return Action("CoreShowChannels")


def show_dialplan(context: str) -> Action:
    """A list action: the context's extensions, or Response Error when the PBX has none."""
    return Action.of("ShowDialPlan", {"Context": context})


def ping() -> Action:
    return Action("Ping")
