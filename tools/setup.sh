#!/usr/bin/env bash
# Installs what Hookline needs to build and test on Debian when it is missing: Lua 5.4 and SQLite headers, and
# PostgreSQL with openssl for the throwaway server the tests start (tools/postgres.sh).
set -euo pipefail
missing=()
for package in liblua5.4-dev libsqlite3-dev pkg-config postgresql openssl; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
