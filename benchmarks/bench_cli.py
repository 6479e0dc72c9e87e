"""Command-line start-up cost, against a bare interpreter measured in the same run.

Usage:
    python benchmarks/bench_cli.py DEMO_DB [--runs N] [--before CHECKOUT]

DEMO_DB is a database filled with `marrowpath demo` (its users and passwords). Each
figure is the median of N runs of a fresh process, taken in turn so that machine load
affects them alike:
  * `marrowpath --help`, wall-clock time, against `python -c pass`;
  * `marrowpath search petrova` as the pathologist achen, CPU time (user + system, every
    thread) of the process, against the CPU time of `python -c pass`. The sign-in hashes
    the password with the production Argon2 parameters: that share is printed too.

With `--before CHECKOUT` (another working tree of the repository, e.g. a throwaway
`git worktree add /tmp/before main`), the same commands are run from that code as well,
so the change is shown side by side with its baseline.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
USER, PASSWORD = "achen", "marrow-demo-1"
# The console script's own code (`marrowpath = "marrowpath.cli:run"`), run from a checkout.
ENTRY = "import sys; sys.argv[0] = 'marrowpath'; from marrowpath.cli import run; run()"


def _environment(checkout: Path) -> dict[str, str]:
    """The checkout's code, with its bytecode cached as in an installation (a shell that
    sets PYTHONDONTWRITEBYTECODE would otherwise compile every module at every start)."""
    environment = {**os.environ, "PYTHONPATH": str(checkout)}
    environment.pop("PYTHONDONTWRITEBYTECODE", None)
    return environment


def _run(command: list[str], checkout: Path, stdin: str = "") -> tuple[float, float]:
    """Wall-clock and CPU seconds (user + system of the child) of one process."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command,
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        cwd=checkout,
        env=_environment(checkout),
    )
    assert process.stdin is not None and process.stderr is not None
    process.stdin.write(stdin.encode())
    process.stdin.close()
    _pid, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    errors = process.stderr.read().decode()
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited {process.returncode}: {errors}")
    return elapsed, usage.ru_utime + usage.ru_stime


def _argon2_cpu(runs: int) -> float:
    """CPU seconds of one verification at the production cost (in this process)."""
    from marrowpath.adapters.passwords import Argon2Hasher

    hasher = Argon2Hasher()
    stored = hasher.hash(PASSWORD)
    times = []
    for _ in range(runs):
        started = time.process_time()
        hasher.verify(stored, PASSWORD)
        times.append(time.process_time() - started)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("database")
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--before", type=Path, help="a checkout of the code to compare with")
    args = parser.parse_args()
    database = str(Path(args.database).resolve())
    python = sys.executable
    checkouts = {"now": ROOT}
    if args.before:
        checkouts = {"before": args.before.resolve(), **checkouts}
    search = [python, "-c", ENTRY, "--db", database, "--user", USER, "--password-stdin"]
    search += ["search", "petrova"]
    bare_wall: list[float] = []
    bare_cpu: list[float] = []
    help_wall: dict[str, list[float]] = {name: [] for name in checkouts}
    search_cpu: dict[str, list[float]] = {name: [] for name in checkouts}
    for checkout in checkouts.values():  # once untimed: bytecode written, files cached
        _run([python, "-c", ENTRY, "--help"], checkout)
        _run(search, checkout, PASSWORD + "\n")
    for _ in range(args.runs):
        wall, cpu = _run([python, "-c", "pass"], ROOT)
        bare_wall.append(wall)
        bare_cpu.append(cpu)
        for name, checkout in checkouts.items():
            help_wall[name].append(_run([python, "-c", ENTRY, "--help"], checkout)[0])
            search_cpu[name].append(_run(search, checkout, PASSWORD + "\n")[1])
    bare_ms = statistics.median(bare_wall) * 1000
    bare_cpu_ms = statistics.median(bare_cpu) * 1000
    print(f"bare interpreter (python -c pass)   wall median {bare_ms:7.1f} ms")
    for name in checkouts:
        ms = statistics.median(help_wall[name]) * 1000
        print(
            f"marrowpath --help ({name:6})        wall median {ms:7.1f} ms   ratio {ms / bare_ms:.2f}x"
        )
    print(f"bare interpreter (python -c pass)   CPU  median {bare_cpu_ms:7.1f} ms")
    print(
        f"one Argon2 verification (sign-in)   CPU  median {_argon2_cpu(args.runs) * 1000:7.1f} ms"
    )
    for name in checkouts:
        ms = statistics.median(search_cpu[name]) * 1000
        print(
            f"marrowpath search ({name:6})        CPU  median {ms:7.1f} ms   ratio "
            f"{ms / bare_cpu_ms:.2f}x"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
