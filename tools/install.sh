#!/usr/bin/env bash
# Installs Hookline like a tool, for production: the release binary (the Swift runtime linked in), the
# shipped scripts with their tests and sample events, the editor annotations, and a hardened systemd unit.
#
#   tools/install.sh [PREFIX]        # default /usr/local
#
#   PREFIX/bin/hookline
#   PREFIX/share/hookline/scripts/             the shipped scripts (links resolved into files)
#   PREFIX/share/hookline/types/               types/hookline.lua, for editors
#   PREFIX/share/hookline/README.md
#   PREFIX/lib/systemd/system/hookline.service scripts from /etc/hookline/scripts, data in /var/lib/hookline
#
# It writes nothing outside PREFIX; the steps that set up /etc/hookline and start the service are printed.
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=$(realpath -m "${1:-/usr/local}")
tools/setup.sh
# a build folder of its own, so that switching to the static runtime and back never rebuilds what tools/hookline built
build=(swift build -c release --static-swift-stdlib --scratch-path .build-install --product hookline)
"${build[@]}"
binary="$("${build[@]}" --show-bin-path)/hookline"

install -d "$prefix/bin" "$prefix/share/hookline" "$prefix/lib/systemd/system"
install -m 0755 "$binary" "$prefix/bin/hookline"
strip --strip-debug "$prefix/bin/hookline"   # the symbols stay, for backtraces
rm -rf "$prefix/share/hookline/scripts" "$prefix/share/hookline/types"
cp -RL scripts "$prefix/share/hookline/scripts"
cp -RL types "$prefix/share/hookline/types"
install -m 0644 README.md "$prefix/share/hookline/README.md"
unit="$prefix/lib/systemd/system/hookline.service"
sed "s|@PREFIX@|$prefix|g" tools/hookline.service > "$unit"
chmod 0644 "$unit"
if command -v systemd-analyze >/dev/null; then systemd-analyze verify "$unit"; fi
"$prefix/bin/hookline" check --scripts "$prefix/share/hookline/scripts" >/dev/null

cat <<DONE
Installed Hookline in $prefix: $prefix/bin/hookline, its scripts and types in $prefix/share/hookline.
To run it as a service:
  sudo install -d /etc/hookline && sudo cp -R $prefix/share/hookline/scripts /etc/hookline/scripts
  sudo install -m 0600 /dev/null /etc/hookline/env    # then put HOOKLINE_SECRET=..., HOOKLINE_ALERT_SLACK=... in it
  sudo systemctl daemon-reload && sudo systemctl enable --now hookline
  journalctl -u hookline -f
DONE
