"""The package's loggers, silent until an entry point configures logging.

Why here and not in `marrowpath/__init__.py`: importing `logging` costs a few
milliseconds that `marrowpath --help` need not pay (issue 11, aim of 2x a bare
interpreter). Every module that logs takes its logger from `logger()`, so the
package's `NullHandler` is in place before the first record, and Python never prints
our records to stderr when nothing was configured (the logging HOWTO's advice for
libraries; `marrowpath.logs.setup()` configures the real handlers).
"""

from __future__ import annotations

import logging

logging.getLogger("marrowpath").addHandler(logging.NullHandler())


def logger(name: str) -> logging.Logger:
    """The logger of module `name` (`__name__`), under the package's silent handler."""
    return logging.getLogger(name)
