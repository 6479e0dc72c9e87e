"""The tests' password hasher: Argon2id at the smallest cost (decision 8).

Production code has no switch that lowers the cost; tests hand this hasher to
`bootstrap.build` (and to `cli.main`, or through `tests.cli_process` to a child process).
Verification reads the parameters stored in a hash, and this hasher's own parameters are
the policy it checks against, so its hashes are not "upgraded" during a test.
"""

from __future__ import annotations

from marrowpath.adapters.passwords import Argon2Hasher

TEST_HASHER = Argon2Hasher(time_cost=1, memory_cost=8, parallelism=1)
