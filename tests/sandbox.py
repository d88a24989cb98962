"""The running Asterisk sandbox for the tests that need it; they fail (never skip) without it."""

from __future__ import annotations

import pytest

from orchestrator.settings import load_settings
from telephony.sandbox import Sandbox


def running_sandbox() -> Sandbox:
    sandbox = Sandbox(load_settings().sandbox_dir)
    status = sandbox.status()
    if not status.healthy:
        pytest.fail(
            f"the Asterisk sandbox is not running ({status.detail}): run `make services` or "
            "`outreach asterisk sandbox up` (these tests are never skipped)"
        )
    return sandbox
