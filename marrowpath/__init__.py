"""MarrowPath: bone marrow reporting for hematopathology laboratories."""

import logging

__version__ = "0.1.0"

# A library configures no logging (the entry points do, `marrowpath.logs`); this only
# stops Python from printing our records to stderr when nothing was configured.
logging.getLogger("marrowpath").addHandler(logging.NullHandler())
