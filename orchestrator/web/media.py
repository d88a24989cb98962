"""Recordings, served with HTTP Range requests (so the player can seek) to the users who may hear
them: QA reviewers and managers any call, an agent only the call of a lead they hold (also after
its lease lapsed, until another agent takes it) or that is kept for them. Every fetch from the
start of the file (opening the player, a download) is written to the playback audit log with who
and when; the seeks that follow are part of that playback."""

from __future__ import annotations

import re
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from campaigns.audit import record_playback
from campaigns.leads import may_hear
from campaigns.models import Attempt, Lead
from orchestrator.web.security import engine, require, run_db

A = Attempt.__table__  # type: ignore[attr-defined]  # sqlmodel declares __table__ untyped
L = Lead.__table__  # type: ignore[attr-defined]
_FROM_START = re.compile(r"^\s*bytes=0-")


def _recording(db: Engine, attempt_id: str, user: str, role: str) -> Path:
    with db.connect() as conn:
        path = conn.execute(sa.select(A.c.recording_path).where(A.c.id == attempt_id)).scalar()
        if role == "agent":
            mine = conn.execute(
                sa.select(L.c.id).where(L.c.attempt_id == attempt_id, may_hear(user))
            ).first()
            if mine is None:
                raise HTTPException(403, "agents hear the recording of the lead they hold only")
    if not path:
        raise HTTPException(404, f"call {attempt_id} has no recording")
    p = Path(path)
    if not p.is_file():
        raise HTTPException(404, f"the recording of call {attempt_id} is missing from disk")
    return p


async def recording(request: Request) -> Response:
    user = await require(request, "agent", "qa", "manager")
    call_id = request.path_params["call_id"]
    path = await run_db(_recording, engine(request), call_id, user.name, user.role)
    if _FROM_START.match(request.headers.get("range", "bytes=0-")):
        await run_db(record_playback, engine(request), user.name, call_id)
    return FileResponse(path, media_type="audio/wav",
                        headers={"Cache-Control": "private, no-store"})  # fmt: skip


routes = [Route("/recordings/{call_id:str}", recording)]
