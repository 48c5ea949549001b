"""Columns as codes into their distinct values: what batch's arithmetic groups and writes by.

:class:`Factor` is an input column (names, flags, plan-shaping numbers) as codes
into its distinct values, as ``pandas.factorize`` and Arrow's dictionary arrays
give it; :func:`factorized` makes one code per row for the combination of
several such columns. :class:`Text` is a text result (``zone``, ``error``, ...)
as codes into its distinct labels, which Arrow writes as a dictionary array:
a million rows of a dozen region ids hold a dozen Python strings.

This module imports pandas and numpy; ``import estimator`` does not import it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
import pandas as pd

BoolArray = npt.NDArray[np.bool_]


class Factor(NamedTuple):
    """A column as codes into its distinct values (-1: blank), as pandas.factorize and Arrow dictionaries give."""

    codes: npt.NDArray[Any]
    uniques: list[Any]

    @classmethod
    def of(cls, values: Any) -> Factor:
        if isinstance(values, np.ndarray) and values.dtype == np.bool_:  # flags: their own codes, no hashing
            return cls(values.view(np.int8), [False, True])
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        return cls(codes, uniques.tolist())  # Python values, not numpy scalars: keys hash and compare as given


def factorized(columns: Sequence[Any], n: int) -> tuple[npt.NDArray[np.int64], int, list[tuple[Any, Any]]]:
    """One code per row for its combination of values in ``columns`` (0, 1, ... in order of the
    combination's mixed-radix number), how many codes, and each column's own (codes, uniques), to
    read a row's values back."""
    codes = np.zeros(n, dtype=np.int64)
    radix = 1  # codes < radix: a mixed-radix number of the column codes, renumbered before it could overflow
    factors: list[tuple[Any, Any]] = []
    for values in columns:
        col_codes, uniques = values if isinstance(values, Factor) else Factor.of(values)
        factors.append((col_codes, uniques))
        flag = isinstance(values, np.ndarray) and values.dtype == np.bool_
        if flag and n and (values.all() or not values.any()):
            continue  # a flag with one value in every row tells no rows apart (its value stays in the key)
        if radix * (len(uniques) + 1) >= 1 << 62:
            codes, radix = _renumbered(codes, radix)
        codes = codes * (len(uniques) + 1) + col_codes + 1  # int64: numpy widens the column's codes
        radix *= len(uniques) + 1
    codes, count = _renumbered(codes, radix)
    return codes, count, factors


def _renumbered(codes: npt.NDArray[np.int64], radix: int) -> tuple[npt.NDArray[np.int64], int]:
    """``codes`` (each below ``radix``) renumbered 0, 1, ... in order of value, and how many there are."""
    if radix <= max(len(codes), 1 << 16):  # a flag per possible code costs no more than a pass over the rows
        renumbered, kept = compacted(codes, radix, blanks=False)
        return renumbered, len(kept)
    renumbered, distinct = pd.factorize(codes)
    return renumbered.astype(np.int64), len(distinct)


def compacted(codes: npt.NDArray[Any], size: int, blanks: bool = True) -> tuple[npt.NDArray[Any], npt.NDArray[Any]]:
    """``codes`` into ``size`` values renumbered 0, 1, ... over the values used, in order; and the old code of each.

    ``blanks``: a code -1 (a blank) may occur, and stays -1. The values no code
    uses are dropped: ``values[kept]`` are the values of the renumbered codes.
    """
    used = np.zeros(size + 1, dtype=bool)
    used[codes] = True  # a blank's -1 marks the extra last flag
    used = used[:-1]
    kept = np.flatnonzero(used)
    if len(kept) == size:  # every value used: the codes are already so numbered
        return codes, kept
    number = np.cumsum(used, dtype=np.int64) - 1
    renumbered = number[codes]
    return (np.where(codes < 0, -1, renumbered) if blanks else renumbered), kept


def key_of(factors: list[tuple[Any, Any]], row: int) -> tuple[Any, ...]:
    """The values of a row in the combination's columns: equal tuples resolve alike, in any chunk."""
    return tuple(None if (c := codes.item(row)) < 0 else uniques[c] for codes, uniques in factors)


def keys_of(factors: list[tuple[Any, Any]], rows: npt.NDArray[np.int64]) -> list[tuple[Any, ...]]:
    """:func:`key_of` of each of ``rows`` (many at once: a column at a time, not a cell at a time)."""
    columns = []
    for codes, uniques in factors:
        values = [*uniques, None]  # code -1 (blank) reads the None at the end
        columns.append([values[c] for c in codes[rows].tolist()])
    return list(zip(*columns, strict=True)) if columns else [()] * len(rows)


@dataclass
class Text:
    """A text column as codes into labels, -1 for a blank cell: what an Arrow dictionary array holds.

    One Python string per distinct label, not per row: a million rows of a
    dozen region ids cost a dozen strings.
    """

    codes: npt.NDArray[np.int32]
    labels: list[str]

    @classmethod
    def of(cls, per_code: Sequence[str | None], codes: npt.NDArray[np.int64]) -> Text:
        """The column whose row ``i`` is ``per_code[codes[i]]``."""
        index: dict[str, int] = {}
        label_of = np.array([-1 if t is None else index.setdefault(t, len(index)) for t in per_code], dtype=np.int32)
        return cls(label_of[codes] if len(per_code) else np.full(len(codes), -1, dtype=np.int32), list(index))

    @classmethod
    def of_some(
        cls, count: int, which: Sequence[int], texts: Sequence[str | None], codes: npt.NDArray[np.int64]
    ) -> Text:
        """:meth:`of` where code ``which[j]`` has ``texts[j]`` and the other of the ``count`` codes are blank."""
        index: dict[str, int] = {}
        label_of = np.full(count, -1, dtype=np.int32)
        label_of[list(which)] = [-1 if t is None else index.setdefault(t, len(index)) for t in texts]
        return cls(label_of[codes] if count else np.full(len(codes), -1, dtype=np.int32), list(index))

    def where(self, mask: BoolArray, text: str | None) -> Text:
        """This column with ``text`` (None: blank) in the rows of ``mask``."""
        if not mask.any():
            return self
        if text is None:
            return Text(np.where(mask, np.int32(-1), self.codes), self.labels)
        labels = self.labels if text in self.labels else [*self.labels, text]
        return Text(np.where(mask, np.int32(labels.index(text)), self.codes), labels)

    @classmethod
    def of_objects(cls, values: npt.NDArray[Any]) -> Text:
        """The column of an object array of str and None."""
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        return cls(codes.astype(np.int32), [str(u) for u in uniques])

    def set(self, rows: Mapping[int, tuple[str | None, ...]], item: int) -> Text:
        """This column with ``rows[i][item]`` in row ``i`` (the few rows said one by one)."""
        if not rows:
            return self
        codes, labels = self.codes.copy(), list(self.labels)
        index = {t: j for j, t in enumerate(labels)}
        for row, texts in rows.items():
            text = texts[item]
            codes[row] = -1 if text is None else index.setdefault(text, len(index))
            if len(index) > len(labels):
                labels.append(text)  # type: ignore[arg-type]
        return Text(codes, labels)

    def objects(self) -> npt.NDArray[Any]:
        """The column as an object array of str and None."""
        table = np.array([*self.labels, None], dtype=object)  # code -1 reads the None at the end
        values: npt.NDArray[Any] = table[self.codes]
        return values
