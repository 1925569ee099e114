"""lmsform: learning-management systems as code."""

__version__ = "0.1.0"
