#!/usr/bin/env bash
# Installs everything this repo needs on a fresh Debian-like machine: pnpm (pinned), Debian's
# Chromium for the browser tests (skipped with --no-browser), and the workspace's dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."

want_pnpm=$(node -p "require('./package.json').packageManager.split('@')[1]")
if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version 2>/dev/null)" != "$want_pnpm" ]; then
  echo "setup: installing pnpm@$want_pnpm"
  npm install -g "pnpm@$want_pnpm" >/dev/null
fi

if [ "${1:-}" != "--no-browser" ] && [ ! -x /usr/bin/chromium ]; then
  echo "setup: installing Debian's chromium (browser tests drive /usr/bin/chromium)"
  sudo_cmd=""
  [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq chromium >/dev/null
fi

export TURBO_TELEMETRY_DISABLED=1
pnpm install --frozen-lockfile
