"""Is the sandbox's AMI answering? A login and a Ping through the project's own AMI client."""

from __future__ import annotations

import anyio

from telephony.ami import Action, AmiClient, AmiConfig, AmiError


def probe_ami(host: str, port: int, username: str, secret: str) -> tuple[str | None, str]:
    """(banner version, detail) when AMI accepted the login and answered Ping, else (None, why)."""

    async def probe() -> tuple[str | None, str]:
        config = AmiConfig(host, port, username, secret, connect_timeout=2.0, give_up_after=0.0)
        try:
            async with AmiClient(config).running() as ami:
                await ami.send(Action("Ping"), within=2.0)
                return ami.banner, "AMI answered Ping"
        except AmiError as exc:
            return None, str(exc)

    return anyio.run(probe)
