"""`outreach campaign update-script NAME [--script FILE]`: the campaign takes a new copy of its
script (checked like `campaign create`); the old versions stay for QA."""

from __future__ import annotations

from typing import Annotated

import typer

from campaigns import repo
from campaigns.db import session, write_session
from campaigns.script_store import script_versions, short_version, store_script
from orchestrator.campaign_model import listener_model
from orchestrator.campaign_script import read_script
from orchestrator.cli_campaigns import campaign_app
from orchestrator.cli_common import JsonOpt, UserError, console, engine_of, print_json, settings_of


def register(app: typer.Typer) -> None:
    """Nothing to add to the main app: the commands join the `campaign` group on import."""


@campaign_app.command("update-script")
def update_script(
    ctx: typer.Context,
    name: str,
    script: Annotated[str | None, typer.Option(
        "--script", help="The new script file (default: the file the campaign took its copy "
        "from).")] = None,
    as_json: JsonOpt = False,
) -> None:  # fmt: skip
    """Take a new copy of the campaign's script: the next calls run it and record its version;
    calls already made keep the version they ran."""
    engine = engine_of(ctx)
    with session(engine) as s:
        c = repo.get_campaign_by_name(s, name)
    ref = script or c.script_path or c.script_ref
    if ref is None:
        raise UserError(f"campaign {name} has no script file on record; give --script FILE")
    source = read_script(ref)
    settings = settings_of(ctx)
    # As at create: a script nothing installed can hear is refused before it is stored.
    listener_model(c.asr_model, source.script.language, settings.models_dir,
                   settings.asr_model, name)  # fmt: skip
    old = c.script_version
    with write_session(engine) as s:  # a worker may be writing
        c = store_script(s, repo.get_campaign_by_name(s, name), source.path, source.text)
        kept = len(script_versions(s, c.id or 0))
    if as_json:
        print_json({"name": c.name, "script_path": c.script_path, "previous": old,
                    "script_version": c.script_version, "versions_kept": kept})  # fmt: skip
        return
    if old == c.script_version:
        console.print(f"campaign {c.name} already runs {source.path} "
                      f"{short_version(old)}; nothing changed", markup=False)  # fmt: skip
        return
    console.print(f"campaign {c.name} now runs {source.path} {short_version(c.script_version)} "
                  f"(was {short_version(old)}; {kept} versions kept)", markup=False)  # fmt: skip
