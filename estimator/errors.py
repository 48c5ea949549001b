"""The package's own exceptions.

Every error says what was wrong, what is allowed, and the closest valid
choices, so a person can act on it. They subclass the built-in exception a
caller would expect (``ValueError`` for bad values, ``LookupError`` for names
not found), so ``except ValueError`` keeps working.
"""

from __future__ import annotations


class EstimatorError(Exception):
    """Base class of every error raised by co2-estimator.

    ``field`` names the input the error is about (``"hours"``, ``"hardware"``), where
    there is one, so a caller (batch, the web form) can point at it without
    reading the message.
    """

    field: str | None = None

    def about(self, field: str) -> EstimatorError:
        """Record the input this error is about (unless already set) and return the error."""
        if self.field is None:
            self.field = field
        return self


class InputError(EstimatorError, ValueError):
    """An argument has a value outside what is allowed (hours <= 0, PUE < 1, ...)."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        if field is not None:
            self.field = field


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


class MissingExtraError(EstimatorError, ImportError):
    """An optional dependency is not installed; the message names the extra to install."""


def did_you_mean(value: object, choices: tuple[str, ...] | list[str]) -> str:
    """'; did you mean 'lifecycle'?' for a ``value`` close to one of ``choices`` (same letters in another case,
    or spelt alike), else ''."""
    import difflib

    text = str(value)
    close = [c for c in choices if c.lower() == text.strip().lower()]
    close = close or difflib.get_close_matches(text.strip().lower(), list(choices), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""
