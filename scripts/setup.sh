#!/usr/bin/env bash
# Installs everything this repo needs on a fresh Debian-like machine: pnpm (pinned), the test-only
# system packages (skipped with --no-test-tools), and the workspace's dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."

want_pnpm=$(node -p "require('./package.json').packageManager.split('@')[1]")
if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version 2>/dev/null)" != "$want_pnpm" ]; then
  echo "setup: installing pnpm@$want_pnpm"
  npm install -g "pnpm@$want_pnpm" >/dev/null
fi

# Test-only system packages: Debian's Chromium (browser tests drive /usr/bin/chromium; never a
# downloaded browser) and strace (a crash scenario delays rename(2) to hit an exact kill point).
if [ "${1:-}" != "--no-test-tools" ]; then
  missing=()
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  command -v strace >/dev/null 2>&1 || missing+=(strace)
  if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]} with apt-get"
    sudo_cmd=""
    [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
fi

export TURBO_TELEMETRY_DISABLED=1
pnpm install --frozen-lockfile

# `car` / `codex-autorunner` on PATH until the package is published: a global symlink to this clone's CLI
# (its dist/ appears with the first `pnpm build`). Never fatal: a failure prints npm's reason and how.
# Not in CI: its clone is temporary, and the link would replace the developer's own and then dangle.
if [ "${CI:-}" = "true" ]; then
  :
elif link_out=$(npm install -g --no-audit --no-fund ./packages/cli 2>&1 </dev/null); then
  echo "setup: linked car and codex-autorunner to $(pwd)/packages/cli (built by pnpm build)"
else
  echo "setup: could not link car onto PATH: $(printf '%s\n' "$link_out" | grep -m1 -i 'err' || echo "npm install -g failed")"
  echo "setup: to link it by hand: npm install -g ./packages/cli (as root if the npm prefix is not writable)"
fi
