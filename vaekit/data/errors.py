"""The error every loader in :mod:`vaekit.data` raises for bad or missing data."""

__all__ = ["DataError"]


class DataError(ValueError):
    """Data on disk is missing, malformed, or not what the loader expects.

    The message names the file (or data set), the problem, and what to do about it.
    It subclasses :class:`ValueError` so callers that already catch bad input keep
    working.
    """
