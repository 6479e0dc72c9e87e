"""`python -m marrowpath`: the same as the `marrowpath` command (no command: the desktop app)."""

from marrowpath.cli import run

if __name__ == "__main__":
    run()
