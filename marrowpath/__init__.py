"""MarrowPath: bone marrow reporting for hematopathology laboratories.

Loggers come from `marrowpath.loggers` (which adds the package's `NullHandler`), so that
importing the package stays free of `logging` for `marrowpath --help`.
"""

__version__ = "0.1.0"
