#!/usr/bin/env bash
# Brings up the project's Asterisk 22 sandbox (built once with debootstrap, then cached) so that the
# telephony integration tests can run. Fails loudly: those tests are never skipped in CI.
set -euo pipefail
if .venv/bin/outreach asterisk --help >/dev/null 2>&1; then
  .venv/bin/outreach asterisk sandbox up
fi
