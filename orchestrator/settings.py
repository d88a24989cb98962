"""One settings object for the whole process: defaults, a TOML file, then the environment.

Built by the CLI and passed down; nothing here runs at import time. Secrets (AMI password, webhook
key) come only from the environment or the settings file, never from the repository.
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from orchestrator.locations import database_url


class SettingsError(Exception):
    """The settings file or environment holds something we cannot use."""


class Settings(BaseSettings):
    """Everything configurable, with defaults that run the embedded demo offline."""

    model_config = SettingsConfigDict(env_prefix="OUTREACH_", extra="forbid")

    home: Path = Path(".outreach")
    database_url: str | None = None
    default_region: str = "KR"
    telephony: Literal["sim", "asterisk"] = "sim"
    asr_model: str = "ko"
    asr_threads: int | None = None
    # The voice gate's frame classifier: auto = Silero in front of Whisper (utterance engine),
    # webrtcvad in front of vosk (cheaper per call); silero for every call on noisy lines
    # (bench/bench_vad.py: webrtcvad calls every frame speech at 10 dB SNR and below).
    vad: Literal["auto", "webrtc", "silero"] = "auto"
    recordings: bool = True
    # Asterisk Manager Interface: loopback by default; the secret has no default on purpose.
    ami_host: str = "127.0.0.1"
    ami_port: int = 5038
    ami_username: str = "outreach"
    ami_secret: SecretStr | None = None
    # Where the AudioSocket server listens: the address of this machine that the PBX reaches
    # (never every address: 0.0.0.0 / :: are refused). Only `audiosocket_peers` may connect
    # (addresses or networks; env: comma-separated); past `audiosocket_max_connections` open at
    # once a connection is told to hang up.
    audiosocket_host: str = "127.0.0.1"
    audiosocket_port: int = 0  # 0: any free port (Asterisk is told which, per call)
    audiosocket_peers: Annotated[list[str], NoDecode] = ["127.0.0.1", "::1"]
    audiosocket_max_connections: int = Field(default=200, gt=0)
    # What the PBX connects to when it is another machine, e.g. "10.0.0.5:9092" (the default is
    # audiosocket_host and the bound port, right for the sandbox on this machine).
    audiosocket_address: str | None = None
    # How a number is dialled: the sandbox's loopback SIP trunk by default; a carrier trunk in
    # production, e.g. "PJSIP/{digits}@carrier".
    asterisk_channel: str = "PJSIP/{digits}@simtrunk"
    # Simulated customers answer the sandbox's calls. None (default): on when the PBX is the
    # sandbox, off otherwise (no second listener, nothing set on a real PBX); true: refused
    # unless the PBX is the sandbox; false: never.
    asterisk_simulated_customers: bool | None = None
    max_call_s: float = 300.0
    ring_timeout_s: float = 30.0
    # Answering-machine detection. A person who picks up and waits for us to speak is, to AMD,
    # a line silent for its initial silence: a MACHINE (INITIALSILENCE). By default such a line
    # is greeted anyway; false hangs up on it like on any machine. The initial silence (ms) is
    # AMD's own (2500) unless set; it is passed to AMD() per call.
    amd_greet_on_silence: bool = True
    amd_initial_silence_ms: int | None = Field(default=None, ge=500, le=10000)
    # Lead webhook (optional): POSTed with an HMAC-SHA256 signature made with this key.
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    # Without a secret a run with a webhook URL is refused, unless posts are meant to be unsigned.
    webhook_unsigned: bool = False
    worker_id: str | None = None
    # Calls in flight at most on this worker (all its processes): overrides the capacity
    # `outreach asr capacity` measured (and its 10-per-core fallback). The campaign's channel
    # limit still applies; the worker's health guard still holds new calls when it falls behind.
    capacity: int | None = Field(default=None, gt=0)
    # A claimed contact is leased to this worker for this long; calls in progress renew it, so
    # another worker's claim never takes a live call's contact (docs/reliability.md).
    claim_lease_minutes: float = Field(default=15.0, ge=0.1, le=24 * 60)
    # How long a finished call's store is tried again while the database refuses it; past that
    # it is kept under home/unsaved and stored by the next run (docs/reliability.md).
    store_retry_s: float = Field(default=60.0, ge=0, le=3600)
    # A clear grammar hearing that would take an opt-out, transfer or lead at once is checked by
    # a free-vocabulary decode of the turn (docs/speech.md). It costs about one core-second per
    # second of the checked answer (docs/benchmarks.md); off trades that safety for capacity.
    hearing_check: bool = True
    # How many of those checks may run at once in one worker process. A costly hearing that
    # finds this many running is not checked and not taken: the robot asks its confirmation
    # question instead of making the customer wait for the decode (docs/speech.md). 0 confirms
    # every costly hearing; a large number makes every check wait its turn (the old behaviour).
    hearing_checks_at_once: int = Field(default=1, ge=0)
    # An agent's claim on a lead lapses (the lead goes back to the queue) unless renewed within.
    lead_lease_minutes: float = Field(default=30.0, gt=0, le=24 * 60)
    # Web console (`outreach serve`): the key that signs session cookies; no default on purpose,
    # the server refuses to start without one. Secure cookies need HTTPS in front of the console.
    web_secret: SecretStr | None = None
    web_secure_cookies: bool = False
    # Calls to one number from all campaigns together, in any rolling minute / hour / day
    # (None: no limit here; a campaign's own --number-max-* limits apply too, the stricter wins).
    number_max_per_minute: int | None = None
    number_max_per_hour: int | None = None
    number_max_per_day: int | None = None
    # Recordings and transcripts older than this many days are deleted by `outreach retention
    # run` (None: kept until deleted by hand); per campaign name, a longer or shorter period.
    retention_days: int | None = Field(default=None, ge=1)
    retention_campaign_days: dict[str, Annotated[int, Field(ge=1)]] = Field(default_factory=dict)

    @field_validator("webhook_url")
    @classmethod
    def _http_url(cls, url: str | None) -> str | None:
        if url is None:
            return None
        parts = urlsplit(url.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{url!r} is not an http:// or https:// URL with a host (e.g. "
                             "https://crm.example.com/outreach/leads)")  # fmt: skip
        return url.strip()

    @field_validator("audiosocket_host")
    @classmethod
    def _one_address(cls, host: str) -> str:
        try:
            unspecified = ipaddress.ip_address(host).is_unspecified
        except ValueError:
            unspecified = False  # a host name
        if unspecified:
            raise ValueError(
                f"{host} listens on every address; give the address of this machine that "
                "the PBX connects to (e.g. 10.0.0.5), or 127.0.0.1 for a PBX on this machine"
            )
        return host

    @field_validator("audiosocket_peers", mode="before")
    @classmethod
    def _peer_list(cls, value: object) -> object:
        if isinstance(value, str):
            value = [p for p in (part.strip() for part in value.split(",")) if p]
        if isinstance(value, list):
            for peer in value:
                try:
                    ipaddress.ip_network(str(peer).strip(), strict=False)
                except ValueError:
                    raise ValueError(
                        f"{peer!r} is not an IP address or network (e.g. 10.0.0.5, 10.0.0.0/24)"
                    ) from None
            if not value:
                raise ValueError("give at least one address: the PBX's")
        return value

    @property
    def db_url(self) -> str:
        """The database URL: explicit, or a SQLite file under the home directory."""
        return database_url(self.home, self.database_url)

    def webhook_key(self) -> str | None:
        """The key that signs webhook posts; None: post unsigned (only with webhook_unsigned)."""
        if self.webhook_secret is not None and self.webhook_secret.get_secret_value():
            return self.webhook_secret.get_secret_value()
        if self.webhook_unsigned:
            return None
        raise SettingsError(
            "webhook_url is set but webhook_secret is not: set OUTREACH_WEBHOOK_SECRET (the key "
            "the receiver checks), or OUTREACH_WEBHOOK_UNSIGNED=true to post leads unsigned"
        )

    @property
    def lead_lease(self) -> timedelta:
        return timedelta(minutes=self.lead_lease_minutes)

    @property
    def prompt_cache_dir(self) -> Path:
        return self.home / "prompts"

    @property
    def recordings_dir(self) -> Path:
        # Absolute: the path is stored with each call and read from wherever QA stands.
        return (self.home / "recordings").resolve()

    @property
    def models_dir(self) -> Path:
        return self.home / "models"

    @property
    def sandbox_dir(self) -> Path:
        return self.home / "asterisk"


def _config_file(explicit: Path | None) -> Path | None:
    if explicit is not None:
        if not explicit.is_file():
            raise SettingsError(f"settings file {explicit} does not exist")
        return explicit
    env = os.environ.get("OUTREACH_CONFIG")
    if env:
        p = Path(env)
        if not p.is_file():
            raise SettingsError(f"OUTREACH_CONFIG points at {p}, which does not exist")
        return p
    local = Path("outreach.toml")
    return local if local.is_file() else None


def load_settings(config: Path | None = None, **overrides: Any) -> Settings:
    """Settings from (lowest first) defaults, a TOML file, the environment, then `overrides`.

    The TOML file is `config`, else `$OUTREACH_CONFIG`, else `./outreach.toml` when present; its
    keys are the field names without the `OUTREACH_` prefix (`database_url = "postgresql://..."`).
    """
    path = _config_file(config)

    class _FileSettings(Settings):
        model_config = SettingsConfigDict(env_prefix="OUTREACH_", extra="forbid", toml_file=path)

        @classmethod
        def settings_customise_sources(
            cls,
            settings_cls: type[BaseSettings],
            init_settings: PydanticBaseSettingsSource,
            env_settings: PydanticBaseSettingsSource,
            dotenv_settings: PydanticBaseSettingsSource,
            file_secret_settings: PydanticBaseSettingsSource,
        ) -> tuple[PydanticBaseSettingsSource, ...]:
            sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
            if path is not None:
                sources.append(TomlConfigSettingsSource(settings_cls))
            return tuple(sources)

    try:
        settings = _FileSettings(**{k: v for k, v in overrides.items() if v is not None})
    except (ValidationError, tomllib.TOMLDecodeError, OSError) as exc:
        where = f" (settings file {path})" if path else ""
        raise SettingsError(f"invalid settings{where}: {_short(exc)}") from exc
    if settings.home.exists() and not settings.home.is_dir():
        raise SettingsError(
            f"the home {settings.home} is a file; give a directory with --home or OUTREACH_HOME"
        )
    return settings


def _short(exc: Exception) -> str:
    """One line per problem: which setting, and what is wrong with it."""
    if isinstance(exc, ValidationError):
        return "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
    return str(exc)
