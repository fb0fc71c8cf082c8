#!/usr/bin/env bash
# The shared-cache tests (tests/test_proxy_cache.py) put Debian's nginx, with
# proxy_cache, in front of a live server. The test runs nginx itself, as its
# own process with its own prefix and port; this only installs the binary.
# Install it when it is missing and apt-get can; otherwise say so and let
# those tests skip with that reason.
set -uo pipefail
NGINX="${ARTDAG_NGINX:-/usr/sbin/nginx}"
[ -x "$NGINX" ] && exit 0
if ! command -v apt-get >/dev/null 2>&1 || [ "$(id -u)" != 0 ]; then
  echo "nginx not found at $NGINX and apt-get is not usable here: proxy cache tests will skip" >&2
  exit 0
fi
echo "installing nginx (for the proxy cache tests) ..." >&2
export DEBIAN_FRONTEND=noninteractive
# policy-rc.d 101: the package's post-install must not start a system nginx on :80.
policy=/usr/sbin/policy-rc.d
made_policy=""
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod +x "$policy" && made_policy=1
fi
apt-get install -y -qq nginx >/dev/null 2>&1 \
  || { apt-get update -qq && apt-get install -y -qq nginx >/dev/null; } \
  || echo "could not install nginx: proxy cache tests will skip" >&2
[ -n "$made_policy" ] && rm -f "$policy"
exit 0
