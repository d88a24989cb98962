"""The embedded demo: a fresh home, the Korean script, a bundled list of 30 customers whose
personas cover every case, run on simulated customers with the real recogniser and synthesiser."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Engine

from campaigns.db import open_database, session
from campaigns.importer import ImportResult, import_contacts
from campaigns.repo import CampaignSpec, create_campaign
from orchestrator.settings import Settings, load_settings

SAMPLE = Path(__file__).parent / "customers.csv"
CAMPAIGN = "demo-dormant-deposit"
SCRIPT = "ko-dormant-deposit"


@dataclass
class DemoSetup:
    settings: Settings
    engine: Engine
    imported: ImportResult


def prepare(base: Settings, channels: int = 10) -> DemoSetup:
    """A fresh demo home (under the normal home) with the campaign and the list imported.

    The demo always uses its own SQLite file, whatever database the settings name, and calls
    at any hour: a real campaign keeps the safe default of 09:00-20:00 local time."""
    home = base.home / "demo"
    if home.exists():
        shutil.rmtree(home / "recordings", ignore_errors=True)
        for name in ("outreach.db", "outreach.db-wal", "outreach.db-shm"):
            (home / name).unlink(missing_ok=True)
    home.mkdir(parents=True, exist_ok=True)
    # Prompts and models are not per-run data: the demo reuses the main home's prompt cache.
    settings = load_settings(
        home=home, database_url=f"sqlite:///{(home / 'outreach.db').resolve()}",
        asr_model=base.asr_model, telephony="sim", webhook_url=None,
    )  # fmt: skip
    cache = base.prompt_cache_dir.resolve()
    cache.mkdir(parents=True, exist_ok=True)
    link = home / "prompts"
    if not link.exists():
        link.symlink_to(cache, target_is_directory=True)
    engine = open_database(settings.db_url)
    spec = CampaignSpec(
        name=CAMPAIGN, script_ref=SCRIPT, region="KR", window="00:00-24:00", days="mon-sun",
        max_channels=channels, cps=2.0, max_attempts=3, retry="busy=30m,no_answer=2h",
    )  # fmt: skip
    with session(engine) as s:
        campaign = create_campaign(s, spec)
        imported = import_contacts(s, campaign, SAMPLE, region="KR",
                                   errors_path=home / "import-errors.csv")  # fmt: skip
    return DemoSetup(settings, engine, imported)
