#!/usr/bin/env bash
# Installs the Debian packages outreach needs when they are missing: espeak-ng (speech synthesis
# run as the espeak-ng program), sox (audio checks), debootstrap (the Asterisk sandbox's root filesystem),
# chromium (the web console's browser tests, driven by Playwright with this binary), sip-tester
# (SIPp: the foreign SIP user agent the telephony tests put behind the sandbox's sipp trunk).
set -euo pipefail
need=()
command -v espeak-ng >/dev/null 2>&1 || need+=(espeak-ng)
[ -e /usr/lib/x86_64-linux-gnu/libespeak-ng.so.1 ] || ls /usr/lib/*/libespeak-ng.so.1 >/dev/null 2>&1 || need+=(libespeak-ng1)
command -v sox >/dev/null 2>&1 || need+=(sox)
command -v debootstrap >/dev/null 2>&1 || need+=(debootstrap)
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v sipp >/dev/null 2>&1 || need+=(sip-tester)
command -v python3 >/dev/null 2>&1 || need+=(python3 python3-venv)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "outreach setup: missing system packages: ${need[*]}; run as root or: sudo apt-get install ${need[*]}" >&2
    exit 1
  fi
  echo "outreach setup: installing ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
