"""Database tables of the campaign layer (sqlmodel). Shapes printed by the CLI live elsewhere.

Times are timezone-aware UTC datetimes (sqlmodel stores them as UTC on both backends).
A contact is dialable when `queued` is true and `next_attempt_at` has passed; a claimed contact
keeps `queued` and moves `next_attempt_at` to its lease expiry, so an abandoned lease comes back
by itself.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel


class Campaign(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=sa.Column(sa.String(200), nullable=False, unique=True))
    script_ref: str
    region: str = "KR"
    time_zone: str = "Asia/Seoul"  # default for contacts whose number gives none
    # {"mon": [["09:00", "12:00"], ["13:00", "20:00"]], ...}; missing day = no calls that day.
    windows: dict[str, Any] = Field(
        default_factory=dict, sa_column=sa.Column(sa.JSON, nullable=False)
    )
    excluded_dates: list[str] = Field(
        default_factory=list, sa_column=sa.Column(sa.JSON, nullable=False)
    )
    max_channels: int = 10
    cps: float = 1.0
    max_attempts: int = 3
    max_per_day: int = 3
    # outcome -> seconds before the next try
    retry_delays: dict[str, Any] = Field(
        default_factory=dict, sa_column=sa.Column(sa.JSON, nullable=False)
    )
    transfer_queue: str | None = None
    # What the called phone shows (campaigns/caller_id.py): E.164 number and display name;
    # None: the trunk's default (often Anonymous, which carriers and regulators refuse).
    caller_id: str | None = None
    caller_name: str | None = None
    # Calls to one number from any campaign, rolling: at most this many a minute/hour/day
    # (None: no campaign limit; the settings' limits apply as well, the stricter one wins).
    number_max_per_minute: int | None = None
    number_max_per_hour: int | None = None
    number_max_per_day: int | None = None
    status: str = "active"  # active | paused | archived (anything but active is never dialled)
    asr_model: str | None = None  # the recogniser this campaign listens with (None: settings')
    # The script as the campaign took it (campaigns/script_store.py): the file's absolute path,
    # its text (what `run` uses, not the file) and version (sha256 of the text).
    script_path: str | None = None
    script_text: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))
    script_version: str | None = None
    created_at: datetime


class ScriptVersion(SQLModel, table=True):
    """Every script text a campaign has run with, kept for QA after `campaign update-script`."""

    __tablename__ = "script_version"
    __table_args__ = (sa.Index("ix_script_version_campaign", "campaign_id", "stored_at"),)
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id")
    version: str  # sha256 of the text, hex
    text: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    source_path: str | None = None
    stored_at: datetime


class Contact(SQLModel, table=True):
    __table_args__ = (
        sa.UniqueConstraint("campaign_id", "phone", name="uq_contact_campaign_phone"),
        sa.Index("ix_contact_due", "campaign_id", "queued", "time_zone", "next_attempt_at"),
        sa.Index("ix_contact_phone", "phone"),
        sa.Index("ix_contact_customer", "customer_id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id")
    phone: str  # E.164
    name: str | None = None
    customer_id: str | None = None
    time_zone: str
    attributes: dict[str, Any] = Field(
        default_factory=dict, sa_column=sa.Column(sa.JSON, nullable=False)
    )
    # new | calling | retry | done | dnc | exhausted
    status: str = "new"
    queued: bool = True
    attempts: int = 0
    day_attempts: int = 0
    day_key: str | None = None  # the contact's local date the day_attempts count belongs to
    next_attempt_at: datetime
    lease_owner: str | None = None
    current_attempt_id: str | None = None  # the attempt holding the lease, if any
    last_outcome: str | None = None
    # Why next_attempt_at lies ahead when it is not a retry delay (window, daily cap, number
    # cap, in call): set when a claim or the dial gate holds the contact back, for `campaign due`.
    hold_reason: str | None = None
    source_line: int | None = None
    created_at: datetime


class Attempt(SQLModel, table=True):
    __table_args__ = (
        sa.Index("ix_attempt_campaign", "campaign_id", "started_at"),
        sa.Index("ix_attempt_worker_open", "worker_id", "outcome"),
        sa.Index("ix_attempt_open", "outcome", "lease_until"),
        sa.Index("ix_attempt_started", "started_at"),  # QA search across campaigns, newest first
        sa.Index("ix_attempt_phone_dialled", "phone", "dialled_at"),
        # The manager's funnel: one covering pass per campaign in contact order (charts.py)
        # Finished attempts only: a claim's 100 inserts need not each write a random page of it
        sa.Index("ix_attempt_funnel", "campaign_id", "contact_id", "outcome", "amd",
                 "dialog_outcome", "id", sqlite_where=sa.text("outcome IS NOT NULL"),
                 postgresql_where=sa.text("outcome IS NOT NULL")),
    )
    id: str = Field(primary_key=True)  # UUID: AMI ChannelId and AudioSocket UUID
    campaign_id: int = Field(foreign_key="campaign.id")
    contact_id: int = Field(foreign_key="contact.id", index=True)
    phone: str
    worker_id: str
    started_at: datetime
    lease_until: datetime
    # When the dial gate let the call go out (None: claimed but not, or not yet, dialled). The
    # per-number caps count these.
    dialled_at: datetime | None = None
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    # how the line went; the names and their retry rules: campaigns.policy.OUTCOMES
    outcome: str | None = None
    amd: str | None = None
    amd_cause: str | None = None  # Asterisk's AMDCAUSE, e.g. INITIALSILENCE-2500-2500
    cause: str | None = None
    dialog_outcome: str | None = None  # the script's terminal outcome, when a dialog ran
    score: int | None = None
    tier: str | None = None
    grade: str | None = None
    score_breakdown: list[Any] = Field(
        default_factory=list, sa_column=sa.Column(sa.JSON, nullable=False)
    )
    recording_path: str | None = None
    duration_s: float | None = None
    script_version: str | None = None  # the campaign's script version this call ran


class Turn(SQLModel, table=True):
    """One line of a call transcript, for QA: who said what, when, how sure, what it meant."""

    id: int | None = Field(default=None, primary_key=True)
    attempt_id: str = Field(foreign_key="attempt.id", index=True)
    seq: int
    speaker: str  # robot | customer | system
    text: str
    start_s: float
    end_s: float
    confidence: float | None = None
    intent: str | None = None
    prompt_id: str | None = None
    state: str | None = None


class CallSearch(SQLModel, table=True):
    """One row per call with a transcript, for QA's search (campaigns/call_text.py)."""

    __tablename__ = "call_search"
    attempt_id: str = Field(foreign_key="attempt.id", primary_key=True)
    text: str  # every line of the transcript, lower-cased, one per line
    lowest_confidence: float | None = None  # of the customer's turns
    intents: str = ""  # ",yes,opt_out," in the order first heard


class QaMark(SQLModel, table=True):
    """A QA reviewer's verdict on one call; a call's latest mark is its current one."""

    __tablename__ = "qa_mark"
    __table_args__ = (sa.Index("ix_qa_mark_attempt", "attempt_id", "id"),)
    id: int | None = Field(default=None, primary_key=True)
    attempt_id: str = Field(foreign_key="attempt.id")
    reviewer: str
    verdict: str  # pass | fail
    tags: str = ""  # ",tag1,tag2," so a tag is found with LIKE '%,tag,%' on both backends
    comment: str | None = None
    created_at: datetime


class PlaybackAudit(SQLModel, table=True):
    """Who listened to which call's recording, and when (kept for the bank's auditors)."""

    __tablename__ = "playback_audit"
    __table_args__ = (sa.Index("ix_playback_at", "at"), sa.Index("ix_playback_call", "attempt_id"))
    id: int | None = Field(default=None, primary_key=True)
    user: str
    attempt_id: str = Field(foreign_key="attempt.id")
    at: datetime


class Lead(SQLModel, table=True):
    __table_args__ = (
        sa.Index("ix_lead_queue", "status", "priority", "created_at"),
        # One lead at a time per agent, enforced by the database (two tabs, two requests at once).
        sa.Index(
            "ux_lead_one_claim_per_agent",
            "agent_id",
            unique=True,
            sqlite_where=sa.text("status = 'claimed'"),
            postgresql_where=sa.text("status = 'claimed'"),
        ),
        sa.Index("ix_lead_callback_agent", "callback_agent_id", "status"),
    )
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id")
    contact_id: int = Field(foreign_key="contact.id")
    attempt_id: str = Field(foreign_key="attempt.id", unique=True)
    phone: str
    name: str | None = None
    score: int
    tier: str  # hot | warm
    grade: str | None = None
    priority: int  # lower sorts first: derived from tier and score
    summary: str
    # queued | claimed | transferred | done
    status: str = "queued"
    agent_id: str | None = None
    claimed_at: datetime | None = None
    lease_until: datetime | None = None  # a claim not renewed by then goes back to the queue
    # A callback kept with the agent who booked it (VICIdial USERONLY); None = the shared queue.
    callback_agent_id: str | None = None
    result: str | None = None  # sold | no_sale | callback | unreachable
    note: str | None = None
    callback_at: datetime | None = None
    created_at: datetime
    done_at: datetime | None = None


class DncEntry(SQLModel, table=True):
    __tablename__ = "dnc_entry"
    phone: str = Field(primary_key=True)  # E.164
    reason: str
    source: str | None = None  # cli | import | call:<attempt id>
    added_at: datetime


class DncAudit(SQLModel, table=True):
    """Every change to the do-not-call list: who listed or removed a number, when and why."""

    __tablename__ = "dnc_audit"
    __table_args__ = (sa.Index("ix_dnc_audit_phone", "phone", "at"),)
    id: int | None = Field(default=None, primary_key=True)
    phone: str  # E.164
    action: str  # add | remove
    reason: str
    source: str | None = None  # cli | import | call:<attempt id>
    by: str | None = None  # the person (--by, else the OS user); none for a call's opt-out
    at: datetime


class OutboxMessage(SQLModel, table=True):
    """A message delivered at least once (lead webhook), written in the lead's own transaction."""

    __tablename__ = "outbox"
    __table_args__ = (sa.Index("ix_outbox_pending", "delivered_at", "next_try_at"),)
    id: int | None = Field(default=None, primary_key=True)
    kind: str
    payload: dict[str, Any] = Field(sa_column=sa.Column(sa.JSON, nullable=False))
    created_at: datetime
    tries: int = 0
    next_try_at: datetime
    delivered_at: datetime | None = None
    last_error: str | None = None


class RetentionAudit(SQLModel, table=True):
    """Each real `outreach retention run`, per campaign: who, when, what was deleted."""

    __tablename__ = "retention_audit"
    __table_args__ = (sa.Index("ix_retention_audit_at", "at"),)
    id: int | None = Field(default=None, primary_key=True)
    at: datetime
    by: str
    campaign_id: int = Field(foreign_key="campaign.id")
    days: int
    cutoff: datetime  # calls that started before this lost their recording and transcript
    calls: int
    recordings: int
    bytes: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))  # may pass 2 GiB
    transcripts: int
    turns: int
    errors: int


class CampaignTally(SQLModel, table=True):
    """Counts `campaign report` reads instead of counting ten million rows (campaigns/tally.py).

    Rows are deltas written by PostgreSQL triggers in the same statement as the change they
    count (contacts by status, attempts by outcome and dialog outcome, contacts per funnel
    flag, intents heard); a figure is the sum of its rows, and the rows are merged now and then.
    Not written on SQLite, where the report counts the rows themselves."""

    __tablename__ = "campaign_tally"
    __table_args__ = (sa.Index("ix_campaign_tally", "campaign_id", "kind", "key"),)
    id: int | None = Field(
        default=None, sa_column=sa.Column(sa.BigInteger, primary_key=True, autoincrement=True)
    )
    campaign_id: int
    kind: str  # status | outcome | dialog | contact | intent
    key: str  # the status, outcome, flag or intent ('' for an attempt with no outcome yet)
    n: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))


class ContactFlag(SQLModel, table=True):
    """How many of a contact's attempts meet each funnel condition (dialled, answered, human,
    completed, invalid): the contact counts in that figure while its count is above zero.
    Kept by the PostgreSQL triggers with campaign_tally."""

    __tablename__ = "contact_flag"
    contact_id: int = Field(primary_key=True)
    flag: str = Field(primary_key=True)
    campaign_id: int
    n: int
