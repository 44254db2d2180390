#!/usr/bin/env bash
# What the test suite needs from the system beyond .venv: Debian's Chromium (browser tests, driven by
# Playwright, whose own browser download cannot work offline), fonts for readable screenshots, Debian's
# PostgreSQL server binaries (the store tests start a throwaway server on 127.0.0.1) and its RUM extension
# (PostgreSQL search's index; without it dragoman falls back to GIN, and the tests check the RUM layout).
#
# One script for `make test` and `.ci/run`:
#   - as root, installs whatever is missing with apt-get;
#   - as a user who cannot install packages, prints the one command that would, and the tests that need
#     the missing pieces are skipped with the same command as the reason;
#   - under CI=true a missing piece is an error (CI must run every test).
set -euo pipefail

# The RUM package is per server version: the one installed, else Debian 12's (postgresql pulls in 15 there).
PG_MAJOR=$(ls /usr/lib/postgresql 2>/dev/null | sort -V | tail -1)
APT_PACKAGES=(chromium fonts-liberation postgresql "postgresql-${PG_MAJOR:-15}-rum")

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "test-deps: installing ${missing[*]} (Debian packages the browser and PostgreSQL tests need)" >&2
  export DEBIAN_FRONTEND=noninteractive
  if apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
    exit 0
  fi
  echo "test-deps: apt-get could not install ${missing[*]}" >&2
fi

command_line="sudo apt-get install --no-install-recommends ${missing[*]}"
if [ "${CI:-}" = "true" ]; then
  echo "test-deps: CI needs ${missing[*]}; install them with: $command_line" >&2
  exit 1
fi
echo "test-deps: ${missing[*]} missing; the tests that need them will be skipped. To run them: $command_line" >&2
exit 0
