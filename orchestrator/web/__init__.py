"""The web console (`outreach serve`): agent desk, QA review, campaign managers' pages.

Server-rendered (Starlette + Jinja2, a vendored htmx file, a little inline JavaScript for the
player); every page calls the same domain functions as the CLI, so a lead claimed here is the
same claim as `outreach leads next`.
"""

from orchestrator.web.app import create_app

__all__ = ["create_app"]
