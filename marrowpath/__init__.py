"""MarrowPath: bone marrow reporting for hematopathology laboratories."""

__version__ = "0.1.0"
