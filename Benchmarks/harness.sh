# Where the team's peer harness is: the folder with run-peers.sh, payloads/ and wrk/, named by BENCH (it is not
# part of this repository, so there is no default). Sourced by the scripts that load with it; stops with a clear
# error when BENCH is not set or names something else.
if [ -z "${BENCH:-}" ]; then
  echo "set BENCH to the team's peer harness folder (the one with run-peers.sh, payloads/ and wrk/)," \
       "e.g. BENCH=/path/to/bench $0" >&2
  exit 2
fi
if [ ! -f "$BENCH/run-peers.sh" ] || [ ! -d "$BENCH/payloads" ] || [ ! -d "$BENCH/wrk" ]; then
  echo "the peer harness is not at $BENCH (it needs run-peers.sh, payloads/ and wrk/):" \
       "set BENCH to its folder, e.g. BENCH=/path/to/shared/bench $0" >&2
  exit 2
fi
