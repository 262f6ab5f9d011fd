#!/usr/bin/env bash
# Starts Hookline with the shipped scripts and embedded defaults (no config file needed).
# Extra arguments go to `hookline serve`, e.g. tools/serve.sh --port 9000
set -euo pipefail
cd "$(dirname "$0")/.."
exec tools/hookline serve "$@"
