"""Name resolution shared by every catalog table: ids, aliases, loose names.

Order of precedence for a query:

1. an id, compared case-insensitively;
2. each tier of names (aliases, display names, ...), compared after folding
   case, accents and punctuation (``NVIDIA A100-SXM4-80GB`` = ``nvidia a100 sxm4 80gb``);
3. token matching: every word of the query is a word (or the start of a word,
   for words of two characters or more) of one entry's name, and the query has
   no letters outside a-z/0-9 after folding ("日本語GPU" is not "GPU"). One
   entry found is returned as a loose match, so the caller can say how it read
   the name; several raise ``AmbiguousNameError``;
4. otherwise ``NotFoundError`` with the three closest names, found through a
   trigram index built on the first miss (not a comparison with every name).

A query that is no id or name is worked out once per index: the answer (loose
match, ambiguous, unknown with suggestions) is remembered, so a log repeating a
bad name pays for it once. Messages show at most 60 characters of a value;
a "name" over 200 characters is refused without matching.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple

from estimator.errors import AmbiguousNameError, NotFoundError

_WORD = re.compile(r"[a-z0-9]+")
_PREFIXED = re.compile(r"([A-Za-z]+)\s*(?:/|\s)\s*(\S+)")  # an id 'provider:region' spelt with a slash or a space
MAX_LISTED = 12
MAX_NAME_CHARS = 200  # a longer "name" is not one: refused without matching
MAX_SHOWN_CHARS = 60  # a message shows at most this much of a value
MAX_REMEMBERED_MISSES = 10_000
_GENERATION = [0]  # bumped by forget_misses()


def shown(value: str, limit: int = MAX_SHOWN_CHARS) -> str:
    """``value`` quoted for a message, cut to ``limit`` characters with its length said.

    >>> shown("x" * 100)
    "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'… (100 characters)"
    """
    if len(value) <= limit:
        return repr(value)
    return f"{value[:limit]!r}… ({len(value):,} characters)"


def forget_misses() -> None:
    """Forget the misses every index remembers (benchmarks; data files reloaded)."""
    _GENERATION[0] += 1


def fold(text: str) -> str:
    """Lower-case, strip accents (Montréal -> montreal); keep punctuation."""
    if text.isascii():
        return text.lower().strip()
    import unicodedata  # only for non-ASCII text: a cold start of ASCII names never loads it

    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower().strip()


def norm(text: str) -> str:
    """The comparison key: folded, every non-alphanumeric character removed."""
    return "".join(_WORD.findall(fold(text)))


def one_edit_apart(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` differ by exactly one inserted, deleted or replaced character.

    >>> one_edit_apart("finetuning", "fine-tuning"), one_edit_apart("us-east1", "us-east-1")
    (True, True)
    >>> one_edit_apart("us-east-1", "us-east-1"), one_edit_apart("eu-west-1", "us-west-2")
    (False, False)
    """
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    i = 0
    while i < len(short) and short[i] == long[i]:
        i += 1
    skip = 1 if len(short) == len(long) else 0  # a replaced character, else one inserted in ``long``
    return short[i + skip :] == long[i + 1 :]


def _two_swapped(a: str, b: str) -> bool:
    """Whether ``a`` is ``b`` with two neighbouring characters swapped ('asw' for 'aws')."""
    if len(a) != len(b) or a == b:
        return False
    diff = [i for i in range(len(a)) if a[i] != b[i]]
    return len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]


def listed(items: Sequence[str]) -> str:
    """'a', 'a and b', 'a, b and c': items in a sentence.

    >>> listed(["estimate"]), listed(["estimate", "card"]), listed(["a", "b", "c"])
    ('estimate', 'estimate and card', 'a, b and c')
    """
    return f"{', '.join(items[:-1])} and {items[-1]}" if len(items) > 1 else "".join(items)


def words(text: str) -> tuple[str, ...]:
    return tuple(_WORD.findall(fold(text)))


class Resolved(NamedTuple):
    """The id a query resolved to, and whether it matched loosely (by words)."""

    id: str
    loose: bool = False
    tier: int = -1  # which tier of names matched: -1 an id, 0.. the tiers in order


# What a miss came to: (error class, message, ids) or (None, "", (the loose match,)).
_Miss = tuple[type[NotFoundError] | type[AmbiguousNameError] | None, str, tuple[str, ...]]


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
        self._pending: dict[str, Callable[[], Any]] = {}
        self._labels = dict(labels)
        self._error = error
        self._exact: dict[str, str] = {i.lower(): i for i in ids}
        self._bare: dict[str, set[str]] = {}
        for name, ident in exact_tiers:
            self._bare.setdefault(fold(name), set()).add(ident)
        self._tiers: list[Mapping[str, set[str]]] = []
        self._names: dict[str, list[str]] = {i: [i] for i in self._exact.values()}
        for tier in tiers:
            keys: dict[str, set[str]] = {}
            for name, ident in tier:
                key = norm(name)
                if key:
                    keys.setdefault(key, set()).add(ident)
                self._names.setdefault(ident, []).append(name)
            self._tiers.append(keys)
        self._lazy_reset()

    def _lazy_reset(self) -> None:
        """Indexes built on the first miss only (a cold lookup by id never pays for them)."""
        self._words: _WordIndex | None = None
        self._grams: _GramIndex | None = None
        self._forget()

    def _forget(self) -> None:
        """Forget the remembered misses (the word and trigram indexes stay: they depend on the names only)."""
        self._misses: dict[tuple[str, frozenset[str] | None], _Miss] = {}
        self._generation = _GENERATION[0]

    # ------------------------------------------------------------ the state a cache may store

    def to_state(self) -> dict[str, Any]:
        """Plain data (str, list, dict) to rebuild this index with :meth:`from_state`; no code."""
        return {
            "what": self.what,
            "labels": self._labels,
            "error": self._error.__name__,
            "exact": self._exact,
            "bare": {k: sorted(v) for k, v in self._bare.items()},
            "tiers": [{k: sorted(v) for k, v in tier.items()} for tier in self._tiers],
            "names": self._names,
        }

    @classmethod
    def from_state(
        cls,
        state: Mapping[str, Any],
        errors: Mapping[str, type[NotFoundError]],
        later: Mapping[str, Callable[[], Any]] | None = None,
    ) -> NameIndex:
        """The index :meth:`to_state` described; ``errors`` maps the error class's name to the class.

        ``later``: parts of the state ("exact", "bare", "tiers", "labels",
        "names") to read only when first needed (a lookup by id needs only "exact").
        """
        index = cls.__new__(cls)
        index.what = str(state["what"])
        index._error = errors[state["error"]]
        index._pending = dict(later or {})
        for part, build in _PARTS.items():
            if part in state:
                setattr(index, f"_{part}", build(state[part]))
            elif part not in index._pending:
                raise KeyError(part)
        index._lazy_reset()
        return index

    def __getattr__(self, name: str) -> Any:
        """A part of the state left for later (see :meth:`from_state`), read on first use."""
        pending = self.__dict__.get("_pending") or {}
        part = name[1:]
        if part in pending and part in _PARTS:
            value = _PARTS[part](pending.pop(part)())
            setattr(self, name, value)
            return value
        raise AttributeError(name)

    # ------------------------------------------------------------ lookups

    def resolve(self, query: str, allowed: Collection[str] | None = None) -> Resolved:
        """The id ``query`` names, restricted to ``allowed`` ids when given."""
        text = query.strip()
        if not text:
            raise self._error(f"{self.what} name is empty; give an id or a name")
        if ": " in text or " :" in text:  # 'aws: us-east-1' is the id aws:us-east-1
            text = ":".join(part.strip() for part in text.split(":"))
        hit = self._exact.get(text.lower())
        if hit is None and (spelt := _PREFIXED.fullmatch(text)):  # 'aws/us-east-1', 'AWS us-east-1'
            hit = self._exact.get(f"{spelt[1]}:{spelt[2]}".lower())
        if hit is not None and (allowed is None or hit in allowed):
            return Resolved(hit)
        key = norm(text) if len(text) <= MAX_NAME_CHARS else ""
        if key:
            for index, tier_hit in enumerate((self._bare.get(fold(text)), *(tier.get(key) for tier in self._tiers))):
                found = tier_hit & set(allowed) if tier_hit and allowed is not None else tier_hit
                if found:
                    if len(found) == 1:
                        return Resolved(next(iter(found)), tier=index - 1)
                    raise self._ambiguous(text, found)
        if self._generation != _GENERATION[0]:
            self._forget()
        memo_key = (text, allowed if isinstance(allowed, frozenset) else None)
        memo = self._misses.get(memo_key) if allowed is None or isinstance(allowed, frozenset) else None
        if memo is None:
            memo = self._miss(text, allowed)
            if allowed is None or isinstance(allowed, frozenset):
                if len(self._misses) >= MAX_REMEMBERED_MISSES:
                    self._misses.clear()
                self._misses[memo_key] = memo
        kind, message, choices = memo
        if kind is None:
            return Resolved(choices[0], loose=True, tier=len(self._tiers))
        raise kind(message, choices)

    def _miss(self, text: str, allowed: Collection[str] | None) -> _Miss:
        """What a query that is no id or name comes to: one loose match, ambiguous, or unknown."""
        if len(text) > MAX_NAME_CHARS:
            return (self._error, f"unknown {self.what} {shown(text)}: too long to be a name.", ())
        loose = self._by_words(text, allowed)
        if len(loose) == 1:
            return (None, "", (loose[0],))
        if loose:
            exc = self._ambiguous(text, loose)
            return (AmbiguousNameError, str(exc), exc.candidates)
        picked = self._closest(text, allowed)
        short = not picked and len(self._exact) <= MAX_LISTED  # a short list (providers): a letter swap, or all of it
        ids = sorted(i for i in self._exact.values() if allowed is None or i in allowed) if short else []
        if short:
            swapped = tuple(i for i in ids if _two_swapped(text.lower(), i.lower()) or one_edit_apart(text.lower(), i))
            listed_all = "; ".join(self._labels.get(i, i) for i in ids)
            if not swapped:
                return (self._error, f"unknown {self.what} {shown(text)}. The {self.what}s are: {listed_all}.", ())
            picked = swapped
        listed = "; ".join(self._labels.get(i, i) for i in picked)
        hint = f" Closest matches: {listed}." if picked else " No close match."
        return (self._error, f"unknown {self.what} {shown(text)}.{hint}", picked)

    def _by_words(self, text: str, allowed: Collection[str] | None) -> list[str]:
        """Entries one of whose names has every word of ``text`` as a word (or, failing that, a word start).

        Nothing matches when part of the query is letters this matching cannot
        read ("日本語GPU" is not "GPU"), and a one-letter word must be a whole
        word ("a b" is not "Arc B580").
        """
        folded = fold(text)
        query = tuple(dict.fromkeys(_WORD.findall(folded)))
        if not query or any(c.isalnum() for c in _WORD.sub("", folded)):
            return []
        if self._words is None:
            self._words = _WordIndex(self._names)
        return self._words.match(query, allowed)

    def _closest(self, text: str, allowed: Collection[str] | None) -> tuple[str, ...]:
        """Up to three ids whose names are nearest ``text`` (trigram similarity, from a prebuilt index)."""
        if self._grams is None:
            choices: dict[str, set[str]] = {}
            for tier in self._tiers:
                for key, ids in tier.items():
                    choices.setdefault(key, set()).update(ids)
            for lowered, ident in self._exact.items():
                choices.setdefault(norm(lowered), set()).add(ident)
            self._grams = _GramIndex(choices)
        return self._grams.closest(norm(text), allowed, 3)

    def _ambiguous(self, text: str, ids: Iterable[str]) -> AmbiguousNameError:
        ordered = sorted(ids)
        listed = [self._labels.get(i, i) for i in ordered[:MAX_LISTED]]
        more = f" and {len(ordered) - MAX_LISTED} more" if len(ordered) > MAX_LISTED else ""
        return AmbiguousNameError(
            f"{self.what} {shown(text)} is ambiguous: it matches {len(ordered)} entries: "
            f"{'; '.join(listed)}{more}. Give one of these ids or a more precise name.",
            tuple(ordered),
        )


_PARTS: dict[str, Callable[[Any], Any]] = {
    "exact": dict,
    "labels": dict,
    "bare": lambda v: {k: set(ids) for k, ids in v.items()},
    "tiers": lambda v: [t if isinstance(t, Buckets) else {k: set(ids) for k, ids in t.items()} for t in v],
    "names": lambda v: {k: list(names) for k, names in v.items()},
}


def bucket(key: str, count: int) -> int:
    """Which of ``count`` buckets holds ``key`` (CRC-32 of its UTF-8: the same in every process)."""
    import binascii

    return binascii.crc32(key.encode("utf-8", "surrogatepass")) % count


class Buckets(Mapping[str, set[str]]):
    """One tier of names (key -> ids) stored in buckets by :func:`bucket`, each read on first use.

    A cold lookup of one name reads one bucket of the tier, not the whole
    tier (thousands of names). ``parts[n]()`` returns bucket n as
    ``{key: [ids]}``; iterating or measuring the tier reads every bucket.
    """

    def __init__(self, parts: Sequence[Callable[[], Mapping[str, Sequence[str]]]]) -> None:
        self._parts = list(parts)
        self._read: list[dict[str, set[str]] | None] = [None] * len(self._parts)

    def _bucket(self, n: int) -> dict[str, set[str]]:
        read = self._read[n]
        if read is None:
            read = self._read[n] = {k: set(ids) for k, ids in self._parts[n]().items()}
        return read

    def __getitem__(self, key: str) -> set[str]:
        if not isinstance(key, str) or not self._parts:
            raise KeyError(key)
        return self._bucket(bucket(key, len(self._parts)))[key]

    def get(self, key: str, default: Any = None) -> Any:
        """The ids of ``key``, or ``default``: one bucket read, no KeyError raised for a miss."""
        if not isinstance(key, str) or not self._parts:
            return default
        return self._bucket(bucket(key, len(self._parts))).get(key, default)

    def __iter__(self) -> Iterator[str]:
        for n in range(len(self._parts)):
            yield from self._bucket(n)

    def __len__(self) -> int:
        return sum(len(self._bucket(n)) for n in range(len(self._parts)))


class _WordIndex:
    """Word -> the names holding it, and the sorted words for prefix ranges."""

    def __init__(self, names: Mapping[str, list[str]]) -> None:
        self.owner: list[str] = []
        self.by_word: dict[str, set[int]] = {}
        for ident, texts in names.items():
            for name in texts:
                entry = len(self.owner)
                self.owner.append(ident)
                for word in words(name):
                    self.by_word.setdefault(word, set()).add(entry)
        self.sorted_words = sorted(self.by_word)

    def _starting(self, prefix: str) -> set[int]:
        import bisect

        found: set[int] = set()
        at = bisect.bisect_left(self.sorted_words, prefix)
        while at < len(self.sorted_words) and self.sorted_words[at].startswith(prefix):
            found |= self.by_word[self.sorted_words[at]]
            at += 1
        return found

    def _ids(self, entries: set[int], allowed: Collection[str] | None) -> list[str]:
        ids = {self.owner[e] for e in entries}
        if allowed is not None:
            ids &= set(allowed)
        return sorted(ids)

    def match(self, query: tuple[str, ...], allowed: Collection[str] | None) -> list[str]:
        exact: set[int] | None = None
        for q in query:
            exact = set(self.by_word.get(q, ())) if exact is None else exact & self.by_word.get(q, set())
            if not exact:
                break
        if exact and (ids := self._ids(exact, allowed)):
            return ids
        loose: set[int] | None = None
        for q in sorted(query, key=len, reverse=True):
            hits = self._starting(q) if len(q) >= 2 else set(self.by_word.get(q, ()))
            loose = hits if loose is None else loose & hits
            if not loose:
                return []
        return self._ids(loose or set(), allowed)


def _grams(key: str) -> set[str]:
    padded = f"$${key}$"
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


class _GramIndex:
    """Trigram -> names, to find the names nearest a misspelt one without comparing it to every name.

    Similarity is the Dice coefficient of the two names' trigram sets (padded,
    so a name's start counts): 2 |A ∩ B| / (|A| + |B|). Every name sharing a
    trigram with the query is scored exactly, by one of two routes to the same
    ranking: where numpy is already imported (batch, Spark, a notebook), one
    ``bincount`` over the query's postings counts |A ∩ B| for all names at once
    (about 20 µs for the 3,500 device names: a log of a thousand misspelt
    names); otherwise (a typo on the command line) a Counter does, in well
    under a millisecond, without importing numpy for one message.
    """

    CUTOFF = 0.3  # judgement: below it, suggestions read as noise ("Lab Toaster" is no GPU)
    SORTED = 24  # names put in order when any id may do (ties at the last score included); 3 are asked for

    def __init__(self, choices: Mapping[str, set[str]]) -> None:
        self.keys = sorted(choices)  # a name's place in keys breaks ties: never hash order
        self.ids = [choices[k] for k in self.keys]
        self.postings: dict[str, list[int]] = {}
        self.sizes: list[int] = []  # |B| of each name [trigrams]
        for n, key in enumerate(self.keys):
            grams = _grams(key)
            self.sizes.append(len(grams))
            for gram in grams:
                self.postings.setdefault(gram, []).append(n)
        self._arrays: tuple[dict[str, Any], Any] | None = None  # the postings and sizes as numpy arrays

    def closest(self, key: str, allowed: Collection[str] | None, limit: int) -> tuple[str, ...]:
        """Up to ``limit`` ids (of ``allowed``) of the names with the highest Dice score, at least CUTOFF.

        Names are taken in order of score, ties by name; a name's ids in sorted order.
        """
        if not key:
            return ()
        query = _grams(key)
        if "numpy" not in sys.modules:
            return self._picked(self._ranked(query), allowed, limit)
        ranked, complete = self._ranked_numpy(query, self.SORTED if allowed is None else None)
        picked = self._picked(ranked, allowed, limit)
        if len(picked) < limit and not complete:  # the best few were names of fewer than ``limit`` ids
            picked = self._picked(self._ranked_numpy(query, None)[0], allowed, limit)
        return picked

    def _picked(self, ranked: list[tuple[float, int]], allowed: Collection[str] | None, limit: int) -> tuple[str, ...]:
        """The first ``limit`` distinct ids (of ``allowed``) of the ranked names."""
        picked: list[str] = []
        for _, n in ranked:
            for ident in sorted(self.ids[n]):
                if ident not in picked and (allowed is None or ident in allowed):
                    picked.append(ident)
            if len(picked) >= limit:
                break
        return tuple(picked[:limit])

    def _ranked(self, query: set[str]) -> list[tuple[float, int]]:
        """(-score, name) of every name scoring at least CUTOFF, best first; a trigram no name has is shared by none."""
        from collections import Counter

        shared: Counter[int] = Counter()
        for gram in query:
            shared.update(self.postings.get(gram, ()))
        size = len(query)
        return sorted((-s, n) for n, k in shared.items() if (s := 2 * k / (size + self.sizes[n])) >= self.CUTOFF)

    def _ranked_numpy(self, query: set[str], best_of: int | None) -> tuple[list[tuple[float, int]], bool]:
        """:meth:`_ranked` on arrays, and whether it is complete: with ``best_of``, only that many of the
        best names (and their ties) are put in order, which is all a suggestion needs but rarely."""
        import numpy as np

        if self._arrays is None:
            arrays = {gram: np.array(names, dtype=np.intp) for gram, names in self.postings.items()}
            self._arrays = arrays, np.array(self.sizes, dtype=np.float64)
        arrays, sizes = self._arrays
        lists = [a for gram in query if (a := arrays.get(gram)) is not None]
        if not lists:
            return [], True
        shared = np.bincount(np.concatenate(lists), minlength=len(self.keys))  # |A ∩ B| per name
        score = shared * 2.0 / (len(query) + sizes)  # the same division as Python's, so the same ranking
        best = np.flatnonzero(score >= self.CUTOFF)
        complete = best_of is None or len(best) <= best_of
        if best_of is not None and not complete:  # every name scoring at least the best_of-th best
            kept = score[best]
            best = best[kept >= np.partition(kept, len(kept) - best_of)[len(kept) - best_of]]
        return sorted(zip((-score[best]).tolist(), best.tolist(), strict=True)), complete


def matches(query: str, texts: Iterable[str]) -> bool:
    """Whether every word of ``query`` starts a word of one of ``texts`` (list filters)."""
    wanted = words(query)
    have = [w for t in texts for w in words(t)]
    joined = norm(" ".join(texts))
    return all(any(w.startswith(q) for w in have) or q in joined for q in wanted)
