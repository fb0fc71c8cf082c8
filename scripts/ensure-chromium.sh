#!/usr/bin/env bash
# The browser tests drive Debian's Chromium through Playwright (never a
# downloaded browser build). Install it when it is missing and apt-get can;
# otherwise say so and let the browser tests skip with that reason.
set -uo pipefail
CHROMIUM="${ARTDAG_CHROMIUM:-/usr/bin/chromium}"
[ -x "$CHROMIUM" ] && exit 0
if ! command -v apt-get >/dev/null 2>&1 || [ "$(id -u)" != 0 ]; then
  echo "chromium not found at $CHROMIUM and apt-get is not usable here: browser tests will skip" >&2
  exit 0
fi
echo "installing chromium (for the browser tests) ..." >&2
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -qq chromium >/dev/null 2>&1 \
  || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; } \
  || echo "could not install chromium: browser tests will skip" >&2
exit 0
