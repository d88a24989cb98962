"""`outreach asterisk ...`: the Asterisk sandbox (up/down/status) and the production dialplan.

Also `asterisk_config(settings)`, which the orchestrator uses to build the asterisk backend: the AMI
secret comes from the settings/environment, else from the sandbox's stored secret, never the repo.
"""

from __future__ import annotations

import dataclasses
import json
import signal
from pathlib import Path
from typing import Annotated

import anyio
import typer

from orchestrator.cli_common import (
    UserError,
    console,
    err_console,
    print_json,
    print_table,
    settings_of,
)
from orchestrator.settings import Settings
from telephony.ami import Action, AmiClient, AmiConfig
from telephony.asterisk import AsteriskConfig
from telephony.sandbox import Sandbox, SandboxStatus, robot_context

asterisk_app = typer.Typer(help="The Asterisk PBX: the project's sandbox and the robot dialplan.")
sandbox_app = typer.Typer(help="The local Asterisk 22 sandbox the integration tests call through.")
asterisk_app.add_typer(sandbox_app, name="sandbox")

DirOption = Annotated[
    Path | None, typer.Option("--dir", help="Sandbox run directory (default: HOME/asterisk).")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


def register(app: typer.Typer) -> None:
    """Attach `outreach asterisk` to the main app."""
    app.add_typer(asterisk_app, name="asterisk")


def asterisk_config(
    settings: Settings, audiosocket_port: int | None = None, channel_template: str | None = None
) -> AsteriskConfig:
    """The asterisk backend's configuration from these settings (`channel_template`: the
    production trunk, e.g. "PJSIP/{digits}@carrier"; default the sandbox's simtrunk)."""
    secret = settings.ami_secret.get_secret_value() if settings.ami_secret else None
    if secret is None:
        secret = Sandbox(settings.sandbox_dir).secret()
    ami = AmiConfig(settings.ami_host, settings.ami_port, settings.ami_username, secret)
    port = settings.audiosocket_port if audiosocket_port is None else audiosocket_port
    config = AsteriskConfig(ami=ami, audiosocket_host=settings.audiosocket_host,
                            audiosocket_port=port,
                            audiosocket_address=settings.audiosocket_address,
                            audiosocket_peers=tuple(settings.audiosocket_peers),
                            audiosocket_max_connections=settings.audiosocket_max_connections,
                            amd_initial_silence_ms=settings.amd_initial_silence_ms,
                            )  # fmt: skip
    if channel_template is not None:
        config = dataclasses.replace(config, channel_template=channel_template)
    return config


def _sandbox(ctx: typer.Context, directory: Path | None) -> Sandbox:
    settings = settings_of(ctx)
    return Sandbox(directory or settings.sandbox_dir, ami_port=settings.ami_port)


def _report(status: SandboxStatus, as_json: bool) -> None:
    if as_json:
        print_json(status.as_dict())
        return
    rows = [
        ("running", "yes" if status.running else "no"),
        ("healthy", "yes" if status.healthy else "no"),
        ("pid", status.pid),
        ("AMI", f"{status.ami_username}@{status.ami_host}:{status.ami_port}"),
        ("AMI protocol", status.ami_version),
        ("directory", status.dir),
        ("root filesystem", f"{status.rootfs} ({'built' if status.rootfs_built else 'missing'})"),
        ("detail", status.detail),
    ]
    print_table("Asterisk sandbox", ["", "value"], rows)


@sandbox_app.command("up")
def sandbox_up(
    ctx: typer.Context, directory: DirOption = None, as_json: JsonOption = False
) -> None:
    """Build (once, cached) and start the sandbox; safe to run again."""
    sandbox = _sandbox(ctx, directory)
    with console.status("starting the Asterisk sandbox ...") as spinner:

        def log(message: str) -> None:
            spinner.update(message)
            err_console.print(message, highlight=False)

        status = sandbox.up(log)
    _report(status, as_json)


@sandbox_app.command("down")
def sandbox_down(
    ctx: typer.Context, directory: DirOption = None, as_json: JsonOption = False
) -> None:
    """Stop the sandbox and undo its mounts; safe when it is not running."""
    sandbox = _sandbox(ctx, directory)
    _report(sandbox.down(lambda m: err_console.print(m, highlight=False)), as_json)


@sandbox_app.command("status")
def sandbox_status(
    ctx: typer.Context, directory: DirOption = None, as_json: JsonOption = False
) -> None:
    """Is the sandbox running, and does its AMI answer? Exit code 1 when not healthy."""
    sandbox = _sandbox(ctx, directory)
    status = sandbox.status()
    _report(status, as_json)
    if not status.healthy:
        raise typer.Exit(1)


@asterisk_app.command("dialplan")
def dialplan(
    ctx: typer.Context,
    audiosocket: Annotated[
        str | None,
        typer.Option(help="host:port Asterisk connects to for audio (default: from settings)."),
    ] = None,
    context: Annotated[str, typer.Option(help="Name of the dialplan context.")] = "outreach-robot",
) -> None:
    """Print the robot's dialplan context for a production PBX (see docs/dialplan.md)."""
    settings = settings_of(ctx)
    address = audiosocket or f"{settings.audiosocket_host}:{settings.audiosocket_port}"
    typer.echo(robot_context(address, context), nl=False)


@asterisk_app.command("check")
def check(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Log in to the configured AMI (settings ami_*) and Ping it: is the PBX reachable?"""
    settings = settings_of(ctx)
    config = asterisk_config(settings).ami

    async def ping() -> tuple[str | None, float]:
        async with AmiClient(config).running() as ami:
            started = anyio.current_time()
            await ami.send(Action("Ping"), within=5.0)
            return ami.banner, anyio.current_time() - started

    banner, seconds = anyio.run(ping)
    report = {"ami_host": config.host, "ami_port": config.port, "ami_username": config.username,
              "ami_protocol": banner, "ping_ms": round(seconds * 1000, 1)}  # fmt: skip
    if as_json:
        print_json(report)
    else:
        print_table("AMI check", ["", "value"], [(k, v) for k, v in report.items()])


@sandbox_app.command("customers")
def sandbox_customers(
    ctx: typer.Context,
    campaign: str,
    records: Annotated[Path | None, typer.Option(
        help="On exit, write each call's customer side (prompts heard, answers said) to this "
             "JSON file, by dialled number.")] = None,
) -> None:
    """Serve the sandbox's simulated customers for a campaign until Ctrl-C: for several
    `outreach run` processes on one sandbox (each with OUTREACH_ASTERISK_SIMULATED_CUSTOMERS=
    false), since the customers' address is one global of the sandbox's dialplan."""
    from orchestrator.processes import sandbox_customers as serve

    settings = settings_of(ctx)
    if records is not None and not records.parent.is_dir():
        raise UserError(f"--records: folder {records.parent} does not exist; create it first")

    async def main() -> None:
        async with serve(settings, campaign) as customers:
            err_console.print(f"serving the simulated customers of {campaign} (Ctrl-C stops)",
                              markup=False)  # fmt: skip
            try:
                with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
                    async for _ in signals:
                        return
            finally:
                if records is not None:
                    text = json.dumps(customers.records_json(), ensure_ascii=False, indent=1)
                    records.write_text(text + "\n", encoding="utf-8")

    anyio.run(main)
