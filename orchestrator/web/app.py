"""The console's application: middleware, login and logout, error pages, the page modules."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import anyio
from sqlalchemy.engine import Engine
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from campaigns.accounts import BadLogin, Throttled, User, authenticate
from campaigns.errors import CampaignError
from campaigns.leads import DEFAULT_LEASE
from orchestrator.web import desk, manager, media, qa_pages
from orchestrator.web.security import (
    LoginRequired,
    checked_form,
    csrf_token,
    current_user,
    engine,
    run_db,
)
from orchestrator.web.snapshots import Snapshots

HERE = Path(__file__).parent
HOME_OF = {"agent": "/desk", "qa": "/qa", "manager": "/manager"}
SESSION_HOURS = 12  # one working day; then log in again


class ConfigError(Exception):
    """The console cannot start with these settings (the message says what to set)."""


def templates() -> Jinja2Templates:
    t = Jinja2Templates(directory=str(HERE / "templates"))
    t.env.globals["home_of"] = HOME_OF
    return t


def page(request: Request, template: str, user: User | None, status: int = 200,
         **context: Any) -> Response:  # fmt: skip
    """A rendered page with the user, the CSRF token and the navigation every page needs."""
    t: Jinja2Templates = request.app.state.templates
    return t.TemplateResponse(
        request, template, {"user": user, "csrf_token": csrf_token(request), **context},
        status_code=status,
    )  # fmt: skip


async def login_form(request: Request) -> Response:
    return page(request, "login.html", None, next=request.query_params.get("next", ""))


async def login(request: Request) -> Response:
    form = await checked_form(request)
    name = str(form.get("name") or "").strip()
    password = str(form.get("password") or "")
    try:
        user = await run_db(authenticate, engine(request), name, password)
    except Throttled as exc:
        return page(request, "login.html", None, 429, error=str(exc), name=name)
    except BadLogin as exc:
        return page(request, "login.html", None, 401, error=str(exc), name=name)
    request.session.clear()  # a fresh session (and CSRF token) for the new login
    request.session["user"] = user.name
    nxt = str(form.get("next") or "")
    target = nxt if nxt.startswith("/") and not nxt.startswith("//") else HOME_OF[user.role]
    return RedirectResponse(target, status_code=303)


async def logout(request: Request) -> Response:
    await checked_form(request)
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


async def home(request: Request) -> Response:
    user = await current_user(request)
    return RedirectResponse(HOME_OF[user.role], status_code=303)


async def _login_required(request: Request, exc: Exception) -> Response:
    if request.method == "GET" and request.url.path != "/":
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
    return RedirectResponse("/login", status_code=303)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    try:
        user: User | None = await current_user(request)
    except LoginRequired:
        user = None
    if exc.status_code == 416:  # a bad Range on a recording: the plain answer players expect
        return Response(status_code=416, headers=dict(exc.headers or {}))
    return page(request, "error.html", user, exc.status_code, message=exc.detail,
                code=exc.status_code)  # fmt: skip


async def _domain_error(request: Request, exc: Exception) -> Response:
    try:
        user: User | None = await current_user(request)
    except LoginRequired:
        user = None
    return page(request, "error.html", user, 400, message=str(exc), code=400)


def create_app(
    db: Engine,
    secret: str,
    secure_cookies: bool = False,
    lead_lease: timedelta = DEFAULT_LEASE,
    region: str = "KR",
) -> Starlette:
    """The console on `db`, its session cookies signed with `secret` (at least 32 characters);
    a lead an agent takes is theirs for `lead_lease` unless they act on it. `region` (the
    settings' `default_region`) reads the phones and dates typed in a search with no campaign."""
    if len(secret) < 32:
        raise ConfigError(
            "the console needs a session secret of at least 32 characters: set OUTREACH_WEB_SECRET "
            "(e.g. `python3 -c 'import secrets; print(secrets.token_urlsafe(32))'`)"
        )
    routes = [
        Route("/", home),
        Route("/login", login_form, methods=["GET"]),
        Route("/login", login, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
        *desk.routes,
        *qa_pages.routes,
        *manager.routes,
        *media.routes,
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
    ]
    session_cookie = Middleware(
        SessionMiddleware, secret_key=secret, session_cookie="outreach_session",
        max_age=SESSION_HOURS * 3600, same_site="lax", https_only=secure_cookies,
    )  # fmt: skip
    middleware = [session_cookie]
    snapshots = Snapshots()  # the campaign pages' funnels and charts
    rows = Snapshots(fresh_s=manager.ROWS_FRESH_S)  # the campaign list's figures

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # The manager's figures of active campaigns are counted here, never on a page request.
        async with anyio.create_task_group() as tg:
            await tg.start(manager.keep_fresh, db, snapshots, rows)
            yield
            tg.cancel_scope.cancel()

    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        middleware=middleware,
        exception_handlers={
            LoginRequired: _login_required,
            HTTPException: _http_error,
            CampaignError: _domain_error,
        },
    )
    app.state.engine = db
    app.state.lead_lease = lead_lease
    app.state.region = region.upper()
    app.state.snapshots = snapshots
    app.state.rows = rows
    app.state.templates = templates()
    return app
