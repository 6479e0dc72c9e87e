"""`python -m tests.cli_process ARGS...`: the `marrowpath` command in a child process, with
the tests' cheap password hasher.

Tests that need a separate process (two workstations signing at the same moment, a bulk
import killed with SIGKILL) run this instead of the console script, so that each sign-in
does not cost a production Argon2 hash. It lives in the test suite, which is not
installed: nothing in a production install can reach it. The console script itself is
exercised by `tests/cli/test_cli.py::test_console_script_full_round_trip`.
"""

from __future__ import annotations

import sys

from marrowpath.cli import main
from tests.hashing import TEST_HASHER

if __name__ == "__main__":
    sys.exit(main(hasher=TEST_HASHER))
