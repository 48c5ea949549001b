"""The package's own exceptions.

Every error says what was wrong, what is allowed, and the closest valid
choices, so a person can act on it. They subclass the built-in exception a
caller would expect (``ValueError`` for bad values, ``LookupError`` for names
not found), so ``except ValueError`` keeps working.
"""

from __future__ import annotations


class EstimatorError(Exception):
    """Base class of every error raised by co2-estimator."""


class InputError(EstimatorError, ValueError):
    """An argument has a value outside what is allowed (hours <= 0, PUE < 1, ...)."""


class DataError(EstimatorError, ValueError):
    """A data file (shipped or the user's own) is malformed; names file, row and field."""


class NotFoundError(EstimatorError, LookupError):
    """A name matched nothing in the catalog; the message lists the closest matches."""

    def __init__(self, message: str, suggestions: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.suggestions = suggestions


class AmbiguousNameError(EstimatorError, LookupError):
    """A name matched several entries (a bare "A100"); the message lists them."""

    def __init__(self, message: str, candidates: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.candidates = candidates


class UnknownHardwareError(NotFoundError):
    """No device matches the given hardware name."""


class UnknownInstanceError(NotFoundError):
    """No cloud instance type matches the given name."""


class UnknownRegionError(NotFoundError):
    """No region, country or grid zone matches the given name."""


class UnknownProviderError(NotFoundError):
    """No cloud provider matches the given name."""


class FileInputError(InputError):
    """A file cannot be read or written as asked: missing, a folder or special file, too big,
    binary where text is expected, read-only. The message names the file and how to proceed."""
