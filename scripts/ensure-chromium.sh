#!/bin/sh
# Makes sure Debian's headless-capable Chromium is at /usr/bin/chromium for the browser test (test/e2e).
# Installs it with apt-get when running as root; otherwise says how, and fails.
set -eu

if [ -x /usr/bin/chromium ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "ensure-chromium: /usr/bin/chromium is missing; run as root: apt-get update && apt-get install -y chromium" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends chromium
test -x /usr/bin/chromium
