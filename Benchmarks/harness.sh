# Where the team's peer harness is: the folder with run-peers.sh, payloads/ and wrk/ (BENCH; by default
# shared/bench beside the repository, as on the team's machines). Sourced by the scripts that load with it;
# stops with a clear error when it is not there.
BENCH=${BENCH:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/../shared/bench}
if [ ! -f "$BENCH/run-peers.sh" ] || [ ! -d "$BENCH/payloads" ] || [ ! -d "$BENCH/wrk" ]; then
  echo "the peer harness is not at $BENCH (it needs run-peers.sh, payloads/ and wrk/):" \
       "set BENCH to its folder, e.g. BENCH=/path/to/shared/bench $0" >&2
  exit 2
fi
