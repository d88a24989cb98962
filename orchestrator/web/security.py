"""Who is asking, and may they: the signed session, roles, CSRF tokens on every form.

The session cookie (Starlette's SessionMiddleware: signed with the settings' `web_secret`,
HttpOnly, SameSite=Lax) holds only the user name and the CSRF token; the account is read again
on every request, so a disabled account is logged out at once.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

import anyio
from sqlalchemy.engine import Engine
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request

from campaigns.accounts import User, get_user

R = TypeVar("R")
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
_db_limiter: anyio.CapacityLimiter | None = None


class LoginRequired(Exception):
    """No valid session: the browser is sent to the login page."""


def engine(request: Request) -> Engine:
    e = request.app.state.engine
    assert isinstance(e, Engine)
    return e


async def run_db(fn: Callable[..., R], *args: Any, **kwargs: Any) -> R:
    """Blocking database work off the event loop, a bounded number at a time."""
    global _db_limiter
    if _db_limiter is None:
        _db_limiter = anyio.CapacityLimiter(8)
    return await anyio.to_thread.run_sync(partial(fn, *args, **kwargs), limiter=_db_limiter)


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


async def checked_form(request: Request) -> FormData:
    """The posted form, once its CSRF token matches the session's; 403 otherwise."""
    form = await request.form()
    sent = form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER) or ""
    expected = request.session.get("csrf")
    if not isinstance(sent, str) or not isinstance(expected, str) or not hmac.compare_digest(
        sent.encode(), expected.encode()
    ):
        raise HTTPException(403, "this form has expired or was not sent by this console; "
                                 "reload the page and send it again")  # fmt: skip
    return form


async def current_user(request: Request) -> User:
    """The logged-in user, or LoginRequired."""
    name = request.session.get("user")
    if not isinstance(name, str):
        raise LoginRequired
    user = await run_db(get_user, engine(request), name)
    if user is None:
        request.session.clear()
        raise LoginRequired
    return user


async def require(request: Request, *roles: str) -> User:
    """The logged-in user when their role is one of `roles`; 403 for any other role."""
    user = await current_user(request)
    if user.role not in roles:
        raise HTTPException(403, f"this page is for {' and '.join(roles)} accounts; "
                                 f"you are logged in as {user.role}")  # fmt: skip
    return user
