"""`python -m tests.cli_process ARGS...`: the `marrowpath` command in a child process, with
the tests' cheap password hasher.

Tests that need a separate process (two workstations signing at the same moment, a bulk
import killed with SIGKILL) run this (`CHEAP_MARROWPATH`), so that each sign-in does not
cost a production Argon2 hash. It lives in the test suite, which is not installed:
nothing in a production install can reach it. Tests that need the production command run
`MARROWPATH`: the checkout's package through this interpreter, never a `marrowpath`
found on PATH or left by another install (`tests/cli/test_cli.py::
test_console_script_full_round_trip`).
"""

from __future__ import annotations

import sys

from marrowpath.cli import main
from tests.hashing import TEST_HASHER

MARROWPATH = (sys.executable, "-m", "marrowpath")
CHEAP_MARROWPATH = (sys.executable, "-m", "tests.cli_process")  # run from the checkout

if __name__ == "__main__":
    sys.exit(main(hasher=TEST_HASHER))
