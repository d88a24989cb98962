#!/usr/bin/env bash
# Brings up the project's Asterisk 22 sandbox (built once with debootstrap into the user's cache,
# then reused by every clone) so that the telephony integration tests can run. Fails loudly: those
# tests are never skipped in CI, so a sandbox that cannot start must stop `make test` here.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! .venv/bin/outreach asterisk sandbox up; then
  echo "ensure-sandbox: the Asterisk sandbox did not start (see the message above and" \
       ".outreach/asterisk/asterisk.log); the telephony tests need it." >&2
  exit 1
fi
.venv/bin/outreach asterisk sandbox status --json >/dev/null || {
  echo "ensure-sandbox: Asterisk started but its AMI does not answer" >&2
  exit 1
}
