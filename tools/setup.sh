#!/usr/bin/env bash
# Installs what Hookline needs on Debian when it is missing: to build it, Lua 5.4 and SQLite headers; with
# --tests, also what the tests start for real: PostgreSQL with openssl (tools/postgres.sh) and nginx (the load
# balancer in front of several nodes), Chromium with its WebDriver and Python's venv (the console's browser tests).
set -euo pipefail
packages=(liblua5.4-dev libsqlite3-dev pkg-config)
if [ "${1:-}" = "--tests" ]; then
  packages+=(postgresql openssl nginx chromium chromium-driver python3-venv)
fi
missing=()
for package in "${packages[@]}"; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
