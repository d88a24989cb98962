"""Recordings, served with HTTP Range requests to the roles that may hear them."""

from __future__ import annotations

from starlette.routing import BaseRoute

routes: list[BaseRoute] = []
