"""Console accounts: who may log in, with which role, and the throttle on wrong passwords.

Passwords are stored only as argon2id hashes (argon2-cffi's defaults). There is no default
account and no default password: the first manager is made with `outreach users add`.
After `MAX_FAILURES` wrong passwords in a row for a name, logins under that name are refused for
`LOCKOUT` (also with the right password), so guessing costs an attacker hours, not seconds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.engine import Engine
from sqlmodel import Field, SQLModel

from campaigns.db import write_connection
from campaigns.errors import CampaignError, InvalidInput, NotFound
from campaigns.repo import utcnow

ROLES = ("manager", "agent", "qa")
MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
MIN_PASSWORD = 10
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_hasher = PasswordHasher()


class UserAccount(SQLModel, table=True):
    __tablename__ = "user_account"
    name: str = Field(primary_key=True)
    role: str  # manager | agent | qa
    password_hash: str
    active: bool = True
    created_at: datetime


class LoginThrottle(SQLModel, table=True):
    """Wrong passwords in a row per login name (also for names that do not exist)."""

    __tablename__ = "login_throttle"
    name: str = Field(primary_key=True)
    failures: int = 0
    last_failure_at: datetime | None = None
    locked_until: datetime | None = None


U = UserAccount.__table__  # type: ignore[attr-defined]  # sqlmodel declares __table__ untyped
LT = LoginThrottle.__table__  # type: ignore[attr-defined]


class Throttled(CampaignError):
    """Too many wrong passwords for this name; `retry_after` says when to try again."""

    def __init__(self, message: str, retry_after: datetime) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class BadLogin(CampaignError):
    """Unknown name or wrong password (deliberately not saying which)."""


@dataclass(frozen=True)
class User:
    name: str
    role: str


def check_new_account(name: str, role: str, password: str) -> None:
    if not _NAME.match(name):
        raise InvalidInput(
            f"bad user name {name!r}: use letters, digits, '.', '_' or '-' (at most 64)"
        )
    if role not in ROLES:
        raise InvalidInput(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"the password is too short: use at least {MIN_PASSWORD} characters")


def add_user(engine: Engine, name: str, role: str, password: str) -> User:
    """Create an account; refused when the name is taken."""
    check_new_account(name, role, password)
    with write_connection(engine) as conn, conn.begin():
        if conn.execute(sa.select(U.c.name).where(U.c.name == name)).first():
            raise InvalidInput(f"a user named {name!r} already exists")
        conn.execute(
            sa.insert(U).values(
                name=name, role=role, password_hash=_hasher.hash(password), active=True,
                created_at=utcnow(),
            )
        )  # fmt: skip
    return User(name, role)


def list_users(engine: Engine) -> list[dict[str, object]]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(U.c.name, U.c.role, U.c.active, U.c.created_at)
                            .order_by(U.c.name)).mappings()  # fmt: skip
        return [dict(r) for r in rows]


def get_user(engine: Engine, name: str) -> User | None:
    """The active account `name`, or None (a removed or disabled account logs out at once)."""
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(U.c.name, U.c.role).where(U.c.name == name, U.c.active.is_(True))
        ).first()
    return User(str(row[0]), str(row[1])) if row else None


def set_active(engine: Engine, name: str, active: bool) -> None:
    with write_connection(engine) as conn, conn.begin():
        res = conn.execute(sa.update(U).where(U.c.name == name).values(active=active))
        if not res.rowcount:
            raise NotFound(f"no user named {name!r}; `outreach users list` shows them")


def authenticate(engine: Engine, name: str, password: str, now: datetime | None = None) -> User:
    """The user for a correct name and password; BadLogin or Throttled otherwise."""
    now = now or utcnow()
    # The password is checked (argon2, a quarter of a second here) before the write transaction:
    # on SQLite that transaction locks out every other writer, the dialer's claims included.
    with engine.connect() as conn:
        _refuse_if_locked(conn, name, now)
        row = conn.execute(
            sa.select(U.c.role, U.c.password_hash).where(U.c.name == name, U.c.active.is_(True))
        ).first()
    ok = row is not None and _verify(str(row[1]), password)
    with write_connection(engine) as conn, conn.begin():
        t = _refuse_if_locked(conn, name, now)  # again under the lock: a race may have locked it
        if ok:
            assert row is not None
            conn.execute(sa.delete(LT).where(LT.c.name == name))
            return User(name, str(row[0]))
        failures = (t["failures"] if t else 0) + 1
        locked = now + LOCKOUT if failures >= MAX_FAILURES else None
        values = {"failures": 0 if locked else failures, "last_failure_at": now,
                  "locked_until": locked}  # fmt: skip
        if t:
            conn.execute(sa.update(LT).where(LT.c.name == name).values(**values))
        else:
            conn.execute(sa.insert(LT).values(name=name, **values))
    if locked:
        raise _throttled(locked, now)
    raise BadLogin("wrong user name or password")


def _refuse_if_locked(conn: sa.Connection, name: str, now: datetime) -> Any:
    """The name's failure record (None if it has none); Throttled while it is locked."""
    t = conn.execute(sa.select(LT).where(LT.c.name == name)).mappings().first()
    if t and t["locked_until"] and t["locked_until"] > now:
        raise _throttled(t["locked_until"], now)
    return t


def _verify(password_hash: str, password: str) -> bool:
    try:
        return bool(_hasher.verify(password_hash, password))
    except (VerificationError, InvalidHashError):
        return False


def _throttled(until: datetime, now: datetime) -> Throttled:
    minutes = max(1, int((until - now).total_seconds() + 59) // 60)
    return Throttled(
        f"too many wrong passwords for this name: try again in {minutes} min "
        "or ask a manager", until
    )
