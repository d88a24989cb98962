"""A campaign keeps its own copy of the script, on SQLite and PostgreSQL: created with a relative
path in one directory it runs from another (cron); editing the file changes nothing until
`campaign update-script` (run warns once); each call records the version it ran."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from orchestrator.cli import _user_error_in, app


def cli(db_url: str, home: Path, *args: str, fails: bool = False) -> Any:
    result = CliRunner().invoke(app, ["--db", db_url, "--home", str(home), *args])
    if fails:
        assert result.exception is not None and _user_error_in(result.exception), result.output
        return str(result.exception)
    assert result.exit_code == 0, (result.output, result.exception)
    return json.loads(result.stdout) if "--json" in args else result.output


def bundled_text(name: str = "ko-dormant-deposit") -> str:
    return (resources.files("dialogs") / "scripts" / f"{name}.yaml").read_text(
        encoding="utf-8")  # fmt: skip


def add_contact(db: str, home: Path, tmp: Path, n: int) -> str:
    phone = f"010-5555-{2000 + n}"
    src = tmp / f"list{n}.csv"
    src.write_text(f"name,phone,persona\n고객{n},{phone},not_interested\n", encoding="utf-8")
    cli(db, home, "contacts", "import", "spring", str(src), "--json")
    return f"+82105555{2000 + n}"


def call_of(db: str, home: Path, phone: str) -> dict[str, Any]:
    calls = cli(db, home, "calls", "list", "--campaign", "spring", "--json")
    (call,) = [c for c in calls if c["phone"] == phone]
    return cli(db, home, "calls", "show", call["id"], "--json")  # type: ignore[no-any-return]


def greeting(call: dict[str, Any]) -> str:
    return next(t["text"] for t in call["turns"] if t["speaker"] == "robot")


def test_the_campaign_runs_its_copy_from_anywhere_until_update_script(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db, home = db_url, tmp_path / "home"
    made, elsewhere = tmp_path / "scripts", tmp_path / "cron"
    made.mkdir()
    elsewhere.mkdir()
    (made / "spring.yaml").write_text(bundled_text(), encoding="utf-8")
    monkeypatch.chdir(made)
    created = cli(db, home, "campaign", "create", "spring", "--script", "spring.yaml",
                  "--window", "00:00-24:00", "--allow-night", "--json")  # fmt: skip
    assert created["script_path"] == str(made / "spring.yaml")
    v1 = created["script_version"]
    monkeypatch.chdir(elsewhere)  # cron: another directory, the relative path means nothing here

    first = add_contact(db, home, tmp_path, 1)
    out = cli(db, home, "run", "spring", "--until-done", "--speed", "2")
    assert "script file changed" not in out
    call = call_of(db, home, first)
    assert call["script_version"] == v1 and "한빛은행" in greeting(call)

    # Someone edits the file: the live campaign keeps its copy and `run` says so in one line.
    (made / "spring.yaml").write_text(bundled_text().replace("bank: 한빛은행", "bank: 새빛은행"),
                                      encoding="utf-8")  # fmt: skip
    second = add_contact(db, home, tmp_path, 2)
    out = cli(db, home, "run", "spring", "--until-done", "--speed", "2")
    warned = [ln for ln in out.splitlines() if "script file changed" in ln]
    assert len(warned) == 1, out
    assert f"(v{v1[:7]} → v" in warned[0]
    assert "outreach campaign update-script spring" in warned[0]
    call = call_of(db, home, second)
    assert call["script_version"] == v1 and "한빛은행" in greeting(call)

    updated = cli(db, home, "campaign", "update-script", "spring", "--json")
    v2 = updated["script_version"]
    assert v2 != v1 and updated["previous"] == v1 and updated["versions_kept"] == 2
    third = add_contact(db, home, tmp_path, 3)
    out = cli(db, home, "run", "spring", "--until-done", "--speed", "2")
    assert "script file changed" not in out
    call = call_of(db, home, third)
    assert call["script_version"] == v2 and "새빛은행" in greeting(call)
    # The calls made before keep the version they ran; `calls show` prints it.
    assert call_of(db, home, first)["script_version"] == v1
    shown = cli(db, home, "calls", "show", call["id"])
    assert f"v{v2[:7]}" in shown


def test_update_script_checks_the_new_script_like_create(db_url: str, tmp_path: Path) -> None:
    db, home = db_url, tmp_path / "home"
    cli(db, home, "campaign", "create", "spring", "--script", "ko-dormant-deposit")
    before = cli(db, home, "campaign", "show", "spring", "--json")["script_version"]
    broken = tmp_path / "broken.yaml"
    broken.write_text(bundled_text().replace("start: greeting", "start: nowhere"),
                      encoding="utf-8")  # fmt: skip
    said = cli(db, home, "campaign", "update-script", "spring", "--script", str(broken),
               fails=True)  # fmt: skip
    assert "nowhere" in said
    # The recogniser check of create: nothing installed hears English, so it is refused.
    english = tmp_path / "en.yaml"
    english.write_text(bundled_text("en-dormant-deposit"), encoding="utf-8")
    said = cli(db, home, "campaign", "update-script", "spring", "--script", str(english),
               fails=True)  # fmt: skip
    assert "no English (en-us) recogniser" in said
    assert cli(db, home, "campaign", "show", "spring", "--json")["script_version"] == before
    same = cli(db, home, "campaign", "update-script", "spring")
    # Rich wraps at the terminal width, where the script's path (longer on CI) may fall.
    assert "nothing changed" in " ".join(same.split())


def test_the_upgrade_gives_existing_campaigns_a_copy_where_their_file_is_found(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlalchemy as sa
    from alembic import command
    from alembic.config import Config

    from campaigns.db import MIGRATIONS, create_db_engine
    from campaigns.script_store import version_of
    from tests.campaigns.helpers import T0

    script = tmp_path / "old.yaml"
    script.write_text(bundled_text(), encoding="utf-8")
    monkeypatch.chdir(tmp_path)  # campaigns made before stored the path as typed: relative
    engine = create_db_engine(db_url)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "0007")
            for cid, ref in ((1, "old.yaml"), (2, "ko-dormant-deposit"), (3, "gone.yaml")):
                conn.execute(sa.text(
                    "INSERT INTO campaign (id, name, script_ref, region, time_zone, windows, "
                    "excluded_dates, max_channels, cps, max_attempts, max_per_day, retry_delays, "
                    "status, created_at) VALUES (:i, :n, :r, 'KR', 'Asia/Seoul', '{}', '[]', 1, "
                    "1, 3, 3, '{}', 'active', :t)"), {"i": cid, "n": f"c{cid}", "r": ref, "t": T0})
            command.upgrade(cfg, "head")
        with engine.connect() as conn:
            rows = {r.id: r for r in conn.execute(sa.text(
                "SELECT id, script_path, script_text, script_version FROM campaign"))}
            kept = conn.execute(sa.text(
                "SELECT campaign_id, version FROM script_version ORDER BY campaign_id")).all()
    finally:
        engine.dispose()
    text = bundled_text()
    assert rows[1].script_path == str(script) and rows[1].script_text == text
    assert rows[1].script_version == version_of(text)
    assert rows[2].script_version == version_of(text) and rows[2].script_path.endswith(
        "ko-dormant-deposit.yaml")  # fmt: skip
    assert rows[3].script_path is None and rows[3].script_text is None  # not found: left as is
    assert [tuple(k) for k in kept] == [(1, version_of(text)), (2, version_of(text))]
