"""A throwaway PostgreSQL server for the Python benchmarks, through tools/postgres.sh (its data in a temporary
folder, fsync and synchronous_commit on, as shipped).

    server = ThrowawayPostgres(pin=["taskset", "-c", "0"])   # pin: a command prefix, e.g. taskset
    ... server.url (an admin URL) ...
    server.stop()
"""
import os, subprocess

_script = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tools", "postgres.sh")


class ThrowawayPostgres:
    def __init__(self, pin=()):
        printed = subprocess.run([*pin, _script, "start"], check=True, capture_output=True, text=True).stdout
        settings = dict(line.split("=", 1) for line in printed.splitlines() if "=" in line and not line.startswith("export"))
        self.url = settings["HOOKLINE_TEST_POSTGRES"]
        self.folder = settings["HOOKLINE_TEST_POSTGRES_DIR"]

    def stop(self):
        subprocess.run([_script, "stop", self.folder], check=True)
