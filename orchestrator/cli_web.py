"""`outreach users` (console accounts) and `outreach serve` (the web console)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from campaigns.accounts import ROLES, add_user, check_new_account, list_users, set_active
from orchestrator.cli_common import (
    JsonOpt,
    UserError,
    console,
    engine_of,
    print_json,
    print_table,
    settings_of,
)

users_app = typer.Typer(help="Web console accounts (manager, agent, qa).", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(users_app, name="users")
    app.command("serve")(serve)


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        if not line.strip():
            raise UserError("--password-stdin: no password on standard input")
        return line.rstrip("\r\n")
    if not sys.stdin.isatty():
        raise UserError("no terminal to ask for the password: pipe it in with --password-stdin")
    first = typer.prompt("Password", hide_input=True)
    if typer.prompt("Again", hide_input=True) != first:
        raise UserError("the two passwords differ; nothing was saved")
    return str(first)


@users_app.command("add")
def users_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Login name (also the agent id on leads).")],
    role: Annotated[str, typer.Option("--role", help=f"One of: {', '.join(ROLES)}.")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Create a console account; the password is asked for (never a command-line argument)."""
    check_new_account(name, role, "x" * 64)  # name and role first: no prompt for a bad command
    password = _read_password(password_stdin)
    user = add_user(engine_of(ctx), name, role, password)
    console.print(f"user {user.name} added ({user.role})", markup=False)


@users_app.command("list")
def users_list(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Console accounts (never their password hashes)."""
    rows = list_users(engine_of(ctx))
    if as_json:
        print_json(rows)
        return
    print_table(f"Users ({len(rows):,})", ["name", "role", "active", "created"],
                [(r["name"], r["role"], r["active"], r["created_at"]) for r in rows])  # fmt: skip


@users_app.command("disable")
def users_disable(
    ctx: typer.Context, name: Annotated[str, typer.Argument(help="Login name.")]
) -> None:
    """Stop an account from logging in; its open sessions end at their next page."""
    set_active(engine_of(ctx), name, False)
    console.print(f"user {name} disabled", markup=False)


def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on (loopback by default).")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(help="TCP port.")] = 8080,
) -> None:
    """Run the web console for agents, QA reviewers and managers (needs OUTREACH_WEB_SECRET)."""
    import uvicorn

    from orchestrator.web import create_app
    from orchestrator.web.app import ConfigError

    settings = settings_of(ctx)
    if settings.web_secret is None:
        raise UserError(
            "the console needs a session secret: set OUTREACH_WEB_SECRET (32+ characters, e.g. "
            "from `python3 -c 'import secrets; print(secrets.token_urlsafe(32))'`)"
        )
    try:
        app = create_app(engine_of(ctx), settings.web_secret.get_secret_value(),
                         secure_cookies=settings.web_secure_cookies,
                         lead_lease=settings.lead_lease,
                         region=settings.default_region)  # fmt: skip
    except ConfigError as exc:
        raise UserError(str(exc)) from exc
    if not 0 < port < 65536:
        raise UserError(f"--port {port} is not a TCP port (1-65535)")
    console.print(f"outreach console on http://{host}:{port}/ (Ctrl+C stops it)", markup=False)
    # log_config=None: uvicorn's records go through our root handler, which masks phone numbers;
    # no access log (a QA search's query string can hold a phone number).
    uvicorn.run(app, host=host, port=port, log_config=None, access_log=False, server_header=False)
