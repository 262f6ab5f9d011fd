#!/usr/bin/env bash
# The console's tests in a real browser: Debian's Chromium through chromedriver, driven by Selenium from a
# virtualenv made here (.build/browser-venv). Needs the built hookline (swift build) and tools/setup.sh --tests;
# a missing browser fails the run.
#
#   tools/browser-test.sh                      screenshots go to .build/console-screenshots
set -euo pipefail
cd "$(dirname "$0")/.."
for program in chromium chromedriver; do
    command -v "$program" >/dev/null || { echo "tools/browser-test.sh: $program is missing: run tools/setup.sh --tests" >&2; exit 1; }
done
venv=.build/browser-venv
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import selenium" 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet "selenium>=4.20,<5"
fi
exec "$venv/bin/python" Tests/Browser/console_browser_test.py
