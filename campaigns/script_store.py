"""The script a campaign runs with: a copy of its text taken at `campaign create` (and at
`campaign update-script`), versioned by the sha256 of the text. `run` uses the copy, never the
file, so editing the file cannot silently change a live campaign; every version is kept in
`script_version` so QA can read what a call actually ran."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlmodel import Session, select

from campaigns.models import Campaign, ScriptVersion
from campaigns.repo import utcnow


def version_of(text: str) -> str:
    """The version of a script text: the sha256 of its UTF-8 bytes, hex."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def short_version(version: str | None) -> str:
    """How a version is shown: `v` and the first 7 hex digits (v1a2b3c4)."""
    return f"v{version[:7]}" if version else "-"


def store_script(
    session: Session, campaign: Campaign, path: str, text: str, now: datetime | None = None
) -> Campaign:
    """Make `text` (read from `path`, absolute) the campaign's script; the old one stays in
    script_version. Storing the current text again adds no row."""
    version = version_of(text)
    campaign.script_path = path
    campaign.script_text = text
    if campaign.script_version != version:
        assert campaign.id is not None
        session.add(ScriptVersion(campaign_id=campaign.id, version=version, text=text,
                                  source_path=path, stored_at=now or utcnow()))  # fmt: skip
    campaign.script_version = version
    session.add(campaign)
    session.commit()
    session.refresh(campaign)
    return campaign


def script_versions(session: Session, campaign_id: int) -> list[ScriptVersion]:
    """The campaign's script versions, oldest first."""
    q = select(ScriptVersion).where(ScriptVersion.campaign_id == campaign_id)
    return list(session.exec(q.order_by(ScriptVersion.id)).all())  # type: ignore[arg-type]
