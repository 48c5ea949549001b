"""Name resolution shared by every catalog table: ids, aliases, loose names.

Order of precedence for a query:

1. an id, compared case-insensitively;
2. each tier of names (aliases, display names, ...), compared after folding
   case, accents and punctuation (``NVIDIA A100-SXM4-80GB`` = ``nvidia a100 sxm4 80gb``);
3. token matching: every word of the query is a word (or the start of a word)
   of one entry's name. One entry found is returned as a loose match, so the
   caller can say how it read the name; several raise ``AmbiguousNameError``;
4. otherwise ``NotFoundError`` with the three closest names (difflib).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import NamedTuple

from estimator.errors import AmbiguousNameError, NotFoundError

_WORD = re.compile(r"[a-z0-9]+")
MAX_LISTED = 12


def fold(text: str) -> str:
    """Lower-case, strip accents (Montréal -> montreal); keep punctuation."""
    if text.isascii():
        return text.lower().strip()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower().strip()


def norm(text: str) -> str:
    """The comparison key: folded, every non-alphanumeric character removed."""
    return "".join(_WORD.findall(fold(text)))


def words(text: str) -> tuple[str, ...]:
    return tuple(_WORD.findall(fold(text)))


class Resolved(NamedTuple):
    """The id a query resolved to, and whether it matched loosely (by words)."""

    id: str
    loose: bool = False
    tier: int = -1  # which tier of names matched: -1 an id, 0.. the tiers in order


class NameIndex:
    """Resolves free-text names to entry ids for one table (devices, regions, ...)."""

    def __init__(
        self,
        what: str,
        ids: Iterable[str],
        tiers: Sequence[Iterable[tuple[str, str]]],
        labels: Mapping[str, str],
        error: type[NotFoundError] = NotFoundError,
        exact_tiers: Iterable[tuple[str, str]] = (),
    ) -> None:
        """``tiers``: for each tier, (name, id) pairs; earlier tiers win.

        ``exact_tiers``: (name, id) pairs tried before the tiers, compared by
        case only (``us-east-1`` must not match ``us-east1``).

        ``what`` names the table in messages ("hardware", "region");
        ``labels`` maps an id to what a message shows ("id (Display Name)");
        ``error`` is the ``NotFoundError`` subclass raised on a miss.
        """
        self.what = what
        self._labels = dict(labels)
        self._error = error
        self._exact: dict[str, str] = {i.lower(): i for i in ids}
        self._bare: dict[str, set[str]] = {}
        for name, ident in exact_tiers:
            self._bare.setdefault(fold(name), set()).add(ident)
        self._tiers: list[dict[str, set[str]]] = []
        self._names: dict[str, list[str]] = {i: [i] for i in self._exact.values()}
        self._words: dict[str, list[tuple[str, ...]]] | None = None  # built on first loose lookup
        for tier in tiers:
            keys: dict[str, set[str]] = {}
            for name, ident in tier:
                key = norm(name)
                if key:
                    keys.setdefault(key, set()).add(ident)
                self._names.setdefault(ident, []).append(name)
            self._tiers.append(keys)

    def resolve(self, query: str, allowed: Collection[str] | None = None) -> Resolved:
        """The id ``query`` names, restricted to ``allowed`` ids when given."""
        text = query.strip()
        if not text:
            raise self._error(f"{self.what} name is empty; give an id or a name")
        hit = self._exact.get(text.lower())
        if hit is not None and (allowed is None or hit in allowed):
            return Resolved(hit)
        key = norm(text)
        for index, tier_hit in enumerate((self._bare.get(fold(text)), *(tier.get(key) for tier in self._tiers))):
            found = tier_hit & set(allowed) if tier_hit and allowed is not None else tier_hit
            if found:
                if len(found) == 1:
                    return Resolved(next(iter(found)), tier=index - 1)
                raise self._ambiguous(text, found)
        loose = self._by_words(words(text), allowed)
        if len(loose) == 1:
            return Resolved(loose[0], loose=True, tier=len(self._tiers))
        if loose:
            raise self._ambiguous(text, loose)
        raise self._not_found(text, allowed)

    def _by_words(self, query: tuple[str, ...], allowed: Collection[str] | None) -> list[str]:
        if not query:
            return []
        if self._words is None:
            self._words = {i: [words(n) for n in names] for i, names in self._names.items()}
        pool = self._words if allowed is None else {i: self._words[i] for i in allowed if i in self._words}
        exact = [i for i, names in pool.items() if any(set(query) <= set(n) for n in names)]
        if exact:
            return sorted(exact)
        return sorted(
            i for i, names in pool.items() if any(all(any(w.startswith(q) for w in n) for q in query) for n in names)
        )

    def _ambiguous(self, text: str, ids: Iterable[str]) -> AmbiguousNameError:
        ordered = sorted(ids)
        shown = [self._labels.get(i, i) for i in ordered[:MAX_LISTED]]
        more = f" and {len(ordered) - MAX_LISTED} more" if len(ordered) > MAX_LISTED else ""
        return AmbiguousNameError(
            f"{self.what} {text!r} is ambiguous: it matches {len(ordered)} entries: "
            f"{'; '.join(shown)}{more}. Give one of these ids or a more precise name.",
            tuple(ordered),
        )

    def _not_found(self, text: str, allowed: Collection[str] | None) -> NotFoundError:
        choices: dict[str, str] = {}
        for tier in self._tiers:
            for key, ids in tier.items():
                pick = ids if allowed is None else ids & set(allowed)
                if len(pick) == 1:
                    choices.setdefault(key, next(iter(pick)))
        for lowered, ident in self._exact.items():
            if allowed is None or ident in allowed:
                choices.setdefault(norm(lowered), ident)
        import difflib  # only on a miss: keeps a cold start light

        close = difflib.get_close_matches(norm(text), list(choices), n=12, cutoff=0.5)
        picked: list[str] = []
        for key in close:
            if choices[key] not in picked:
                picked.append(choices[key])
        picked = picked[:3]
        shown = "; ".join(self._labels.get(i, i) for i in picked)
        hint = f" Closest matches: {shown}." if picked else " No close match."
        return self._error(f"unknown {self.what} {text!r}.{hint}", tuple(picked))


def matches(query: str, texts: Iterable[str]) -> bool:
    """Whether every word of ``query`` starts a word of one of ``texts`` (list filters)."""
    wanted = words(query)
    have = [w for t in texts for w in words(t)]
    joined = norm(" ".join(texts))
    return all(any(w.startswith(q) for w in have) or q in joined for q in wanted)
