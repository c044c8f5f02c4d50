#!/bin/sh
# Installs what a fresh clone lacks. Idempotent and quick when everything is present.
#   sh scripts/setup.sh            -> npm dependencies (including Node 22 as the `node` package)
#   sh scripts/setup.sh --browser  -> also Chromium (Debian package) for Playwright
set -eu
cd "$(dirname "$0")/.."

stamp=node_modules/.starweave-install-stamp
if [ ! -x node_modules/.bin/node ] || [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
  echo "setup: installing npm dependencies (npm ci)…"
  npm ci --no-audit --no-fund
  touch "$stamp"
fi

if [ "${1:-}" = "--browser" ] && [ ! -x /usr/bin/chromium ]; then
  echo "setup: /usr/bin/chromium is missing; installing Debian's chromium…"
  SUDO=""
  if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi

major=$(node_modules/.bin/node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 22 ]; then
  echo "setup: node_modules/.bin/node is Node $major; Starweave needs Node >= 22" >&2
  exit 1
fi
