#!/usr/bin/env bash
# Debian's Chromium for the profiler's HTML report test (driven by playwright-core, which downloads no browser).
# Installs only when /usr/bin/chromium is missing; needs root (apt-get), as in CI.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "install-chromium: /usr/bin/chromium is missing; run as root, or: sudo apt-get install chromium" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
/usr/bin/chromium --version
