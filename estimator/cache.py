"""The on-disk cache of the parsed shipped catalog: JSON, validated, private, per install.

Parsing and indexing the shipped data takes a few hundred milliseconds; reading
this cache takes a few. Why JSON: loading it cannot run code (a pickle can, and
a cache folder may be writable by someone else), the standard library reads it
with a C parser, and nothing else needs installing. Arrow IPC or msgpack would
be as safe but would put pyarrow (tens of milliseconds to import) or a new
dependency on the cold path of every ``co2-estimator estimate``.

The file holds plain values only: each record is the list of its fields in
declaration order, and the field types declared on the record classes say how
to turn each list back into a record (``tuple[str, ...]`` -> tuple, a record
class -> that class, ``Mapping[str, X]`` -> dict, ...). Only the classes the
catalog declares can be built, and only with those values.

Trust nothing: a cache file is used only when it is a regular file of ours
(never followed through a symlink, owned by this user, not writable by group
or others), carries this format number, this package and Python version, this
install's path, the same size and modification time of every data and code
file it was built from, and the same field names for every record class. Any
doubt, and any error while reading it, means a rebuild; the cache is never
needed for a correct answer. It is written to a private temporary file in the
same folder and moved into place atomically (a symlink at the target is
replaced, not followed).

One file per install (its name carries a hash of the package's folder), so two
virtual environments on one machine keep their own caches.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import math
import operator
import os
import re
import stat
import sys
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from estimator.version import __version__

if TYPE_CHECKING:
    from pathlib import Path

    StrPath = str | os.PathLike[str]

FORMAT = 2  # 2: rows and index parts found by byte position; tiers in buckets
MAX_CACHE_BYTES = 64 << 20

Encode = Callable[[Any], Any]
Decode = Callable[[Any], Any]


class Unsupported(TypeError):
    """A field type this codec does not know: the catalog is then not cached (still correct, only slower)."""


# A cold start reads the cache through the str functions (os.path): pathlib, with what it
# imports, is a few milliseconds; the functions that return a Path import it when called.


def cache_folder() -> str | None:
    """:func:`cache_dir` as a str."""
    if os.environ.get("CO2_ESTIMATOR_NO_CACHE"):
        return None
    explicit = os.environ.get("CO2_ESTIMATOR_CACHE_DIR")
    if explicit:
        return explicit
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "co2-estimator")


def cache_dir() -> Path | None:
    """Where the parsed shipped catalog is cached; None when caching is off.

    ``CO2_ESTIMATOR_CACHE_DIR`` sets it, ``CO2_ESTIMATOR_NO_CACHE=1`` turns it off;
    the default follows XDG (``~/.cache/co2-estimator``).
    """
    from pathlib import Path

    folder = cache_folder()
    return None if folder is None else Path(folder)


def install_folder() -> str:
    """:func:`install_dir` as a str."""
    return os.path.dirname(os.path.realpath(__file__))


def install_dir() -> Path:
    """The folder of this installed package (what tells two installs apart)."""
    from pathlib import Path

    return Path(install_folder())


def cache_path(folder: StrPath, install: StrPath | None = None) -> str:
    """:func:`cache_file` as a str."""
    import binascii

    where = os.fspath(install or install_folder())
    key = binascii.crc32(where.encode("utf-8", "surrogateescape"))
    py = f"{sys.version_info.major}{sys.version_info.minor}"
    return os.path.join(folder, f"catalog-{__version__}-py{py}-{key:08x}.json")


def cache_file(folder: StrPath, install: StrPath | None = None) -> Path:
    """This install's cache file in ``folder``: version, Python and a hash of the install's path in its name."""
    from pathlib import Path

    return Path(cache_path(folder, install))


def stamp(paths: Sequence[StrPath]) -> list[list[Any]]:
    """Path, size and modification time (ns) of each file: what the cached value was built from."""
    out: list[list[Any]] = []
    for path in paths:
        info = os.stat(path)
        out.append([os.fspath(path), info.st_size, info.st_mtime_ns])
    return out


# ---------------------------------------------------------------- codecs from declared field types


_TOKEN = re.compile(r"\s*(\.\.\.|[A-Za-z_][A-Za-z_0-9]*|[\[\],|])")
_GENERIC: dict[str, Any] = {
    "tuple": tuple,
    "list": list,
    "dict": dict,
    "set": set,
    "frozenset": frozenset,
    "Mapping": Mapping,
    "Sequence": Sequence,
}
_SIMPLE: dict[str, Any] = {"str": str, "int": int, "float": float, "bool": bool, "None": type(None), "Any": Any}


def annotation(text: str, namespace: Mapping[str, Any]) -> Any:
    """The type an annotation's text names (``"tuple[str, ...] | None"``), built without eval.

    Knows the builtin scalars, ``tuple``/``list``/``dict``/``set``/``frozenset``,
    ``Mapping``/``Sequence``, ``|`` unions and classes of ``namespace``; anything
    else raises Unsupported. ``typing.get_type_hints`` compiles every
    annotation (a dozen milliseconds on each cold start); this reads them.
    """
    tokens = _TOKEN.findall(text)
    if "".join(tokens) != "".join(text.split()):
        raise Unsupported(f"annotation {text!r}")
    at = [0]

    def peek() -> str:
        return str(tokens[at[0]]) if at[0] < len(tokens) else ""

    def take() -> str:
        if at[0] >= len(tokens):
            raise Unsupported(f"annotation {text!r}")
        at[0] += 1
        token: str = tokens[at[0] - 1]
        return token

    def union() -> Any:
        parts = [term()]
        while peek() == "|":
            take()
            parts.append(term())
        return functools.reduce(operator.or_, parts) if len(parts) > 1 else parts[0]

    def term() -> Any:
        name = take()
        if name == "...":
            return Ellipsis
        if peek() == "[":
            take()
            args = [union()]
            while peek() == ",":
                take()
                args.append(union())
            if take() != "]" or name not in _GENERIC:
                raise Unsupported(f"annotation {text!r}")
            return _GENERIC[name][tuple(args) if len(args) > 1 else args[0]]
        if name in _SIMPLE:
            return _SIMPLE[name]
        value = namespace.get(name)
        if isinstance(value, type):
            return value
        raise Unsupported(f"annotation {text!r}: {name!r}")

    result = union()
    if at[0] != len(tokens):
        raise Unsupported(f"annotation {text!r}")
    return result


def _identity(value: Any) -> Any:
    return value


_PLAIN = (str, int, float, bool, type(None))


class _Codecs:
    """Encoders and decoders built from the field types declared on the catalog's classes."""

    def __init__(self, registry: Mapping[str, Callable[..., Any]] | None = None) -> None:
        self._done: dict[Any, tuple[Encode, Decode]] = {}
        self._read: dict[tuple[str, str], Any] = {}  # (module, annotation text) -> type: texts repeat
        self.signature: dict[str, list[str]] = {}
        self._special = dict(registry or {})

    def of(self, hint: Any) -> tuple[Encode, Decode]:
        try:
            return self._done[hint]
        except (KeyError, TypeError):
            pass
        pair = self._build(hint)
        with contextlib.suppress(TypeError):  # an unhashable hint is built again next time
            self._done[hint] = pair
        return pair

    def _build(self, hint: Any) -> tuple[Encode, Decode]:
        if hint in _PLAIN or hint is Any:
            return _identity, _identity
        origin, args = typing.get_origin(hint), typing.get_args(hint)
        if origin in (types.UnionType, typing.Union):
            inner = [a for a in args if a is not type(None)]
            pairs = [self.of(a) for a in inner]
            if all(p == (_identity, _identity) for p in pairs):
                return _identity, _identity
            if len(pairs) != 1:
                raise Unsupported(f"union {hint!r}")
            enc, dec = pairs[0]
            return (lambda v: None if v is None else enc(v)), (lambda v: None if v is None else dec(v))
        if origin is tuple:
            if len(args) == 2 and args[1] is Ellipsis:
                enc, dec = self.of(args[0])
                if enc is _identity and dec is _identity:
                    return list, tuple
                return (lambda v: [enc(x) for x in v]), (lambda v: tuple(dec(x) for x in v))
            parts = [self.of(a) for a in args]
            return (
                (lambda v: [p[0](x) for p, x in zip(parts, v, strict=True)]),
                (lambda v: tuple(p[1](x) for p, x in zip(parts, v, strict=True))),
            )
        if origin in (list, Sequence):
            enc, dec = self.of(args[0]) if args else (_identity, _identity)
            return (lambda v: [enc(x) for x in v]), (lambda v: [dec(x) for x in v])
        if origin in (frozenset, set):
            enc, dec = self.of(args[0]) if args else (_identity, _identity)
            build = frozenset if origin is frozenset else set
            return (lambda v: sorted(enc(x) for x in v)), (lambda v: build(dec(x) for x in v))
        if origin in (dict, Mapping):
            key_hint, value_hint = args if args else (str, Any)
            enc, dec = self.of(value_hint)
            if key_hint is str:
                if enc is _identity and dec is _identity:
                    return dict, dict
                return (lambda v: {k: enc(x) for k, x in v.items()}), (lambda v: {k: dec(x) for k, x in v.items()})
            kenc, kdec = self.of(key_hint)
            return (
                (lambda v: [[kenc(k), enc(x)] for k, x in v.items()]),
                (lambda v: {kdec(k): dec(x) for k, x in v}),
            )
        if isinstance(hint, type):
            if hint.__name__ in self._special:
                return self._special_codec(hint)
            if dataclasses.is_dataclass(hint):
                return self._dataclass(hint)
            if issubclass(hint, tuple) and hasattr(hint, "_fields"):
                return self._namedtuple(hint)
        raise Unsupported(f"field type {hint!r}")

    def _hints(self, cls: type) -> list[tuple[str, Any]]:
        """(field name, declared type) of a record class, read from its annotation text (no eval, no compile)."""
        namespace = vars(sys.modules[cls.__module__])
        if dataclasses.is_dataclass(cls):
            pairs = [(f.name, f.type) for f in dataclasses.fields(cls)]
        else:
            pairs = list(getattr(cls, "__annotations__", {}).items())
        pairs = [(n, t.__forward_arg__ if isinstance(t, typing.ForwardRef) else t) for n, t in pairs]
        self.signature[f"{cls.__module__}.{cls.__qualname__}"] = [f"{n}: {t}" for n, t in pairs]
        return [(n, self._annotation(t, cls.__module__, namespace) if isinstance(t, str) else t) for n, t in pairs]

    def _annotation(self, text: str, module: str, namespace: Mapping[str, Any]) -> Any:
        try:
            return self._read[module, text]
        except KeyError:
            hint = self._read[module, text] = annotation(text, namespace)
            return hint

    def _dataclass(self, cls: type) -> tuple[Encode, Decode]:
        holder: list[list[tuple[str, Encode, Decode]]] = []
        encode_later: Encode = lambda v: [enc(getattr(v, n)) for n, enc, _ in holder[0]]  # noqa: E731
        plain = not hasattr(cls, "__slots__") and not hasattr(cls, "__post_init__")

        def decode(v: Any) -> Any:
            fields = holder[0]
            values = [dec(x) for (_, _, dec), x in zip(fields, v, strict=True)]
            if plain:
                obj: Any = object.__new__(cls)
                obj.__dict__.update(zip([n for n, _, _ in fields], values, strict=True))
                return obj
            return cls(*values)

        self._done[cls] = (encode_later, decode)  # records may refer to themselves
        holder.append([(n, *self.of(h)) for n, h in self._hints(cls)])
        return encode_later, decode

    def _namedtuple(self, cls: type) -> tuple[Encode, Decode]:
        fields = [self.of(h) for _, h in self._hints(cls)]

        def decode(v: Any) -> Any:
            return tuple.__new__(cls, [dec(x) for (_, dec), x in zip(fields, v, strict=True)])

        return (lambda v: [enc(x) for (enc, _), x in zip(fields, v, strict=True)]), decode

    def _special_codec(self, cls: type) -> tuple[Encode, Decode]:
        rebuild = self._special[cls.__name__]
        self.signature[f"{cls.__module__}.{cls.__qualname__}"] = ["to_state"]
        return (lambda v: v.to_state()), rebuild


def _codecs() -> _Codecs:
    from estimator import errors
    from estimator.names import NameIndex

    kinds = {
        name: value
        for name, value in vars(errors).items()
        if isinstance(value, type) and issubclass(value, errors.NotFoundError)
    }
    return _Codecs({"NameIndex": lambda state: NameIndex.from_state(state, kinds)})


# ---------------------------------------------------------------- reading and writing


def _header(paths: Sequence[StrPath]) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "package": __version__,
        "python": list(sys.version_info[:2]),
        "install": install_folder(),
        "stamp": stamp(paths),
    }


def _read_private(path: StrPath) -> bytes | None:
    """The bytes of ``path`` if it is a regular file of ours that nobody else can write; else None."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_mode & 0o022 or info.st_size > MAX_CACHE_BYTES:
            return None
        if hasattr(os, "getuid") and info.st_uid != os.getuid():
            return None
        chunks = []
        while block := os.read(fd, info.st_size + 1):  # one read of the whole file, as a rule
            chunks.append(block)
            if sum(map(len, chunks)) > MAX_CACHE_BYTES:
                return None
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)
    finally:
        os.close(fd)


class LazyTable(Mapping[str, Any]):
    """A read-only table of records decoded one row at a time, on first access.

    A cold ``co2-estimator estimate`` reads a few entries of the catalog's
    thousands (devices, regions, intensity series by zone); the others stay
    undecoded bytes. The table's line of row positions by id is at ``base +
    at`` in ``raw`` (read on first use); each row is the JSON line at ``base``
    plus its position.
    """

    __slots__ = ("_at", "_base", "_decode", "_pos", "_raw", "_rows")

    def __init__(self, raw: bytes, base: int, at: int, decode: Decode) -> None:
        self._raw, self._base, self._at, self._decode = raw, base, at, decode
        self._pos: dict[str, int] | None = None
        self._rows: dict[str, Any] = {}

    def _positions(self) -> dict[str, int]:
        if self._pos is None:
            self._pos = _line(self._raw, self._base + self._at)
        return self._pos

    def __getitem__(self, key: str) -> Any:
        try:
            return self._rows[key]
        except KeyError:
            pass
        row = self._decode(_line(self._raw, self._base + self._positions()[key]))
        self._rows[key] = row
        return row

    def __contains__(self, key: object) -> bool:
        return key in self._positions()

    def __iter__(self) -> typing.Iterator[str]:
        return iter(self._positions())

    def __len__(self) -> int:
        return len(self._positions())

    def __reduce__(self) -> tuple[Any, ...]:
        return (dict, (dict(self.items()),))


def _line(raw: bytes, at: int) -> Any:
    """The JSON value of the line of ``raw`` starting at byte ``at``."""
    import json

    end = raw.find(b"\n", at)
    return json.loads(raw[at : end if end >= 0 else len(raw)])


def _layout(hint: Any) -> str:
    """How a top-level field is stored: a table of records row by row, a name index in parts, or a value."""
    if isinstance(hint, type) and hint.__name__ == "NameIndex":
        return "index"
    args = typing.get_args(hint)
    if typing.get_origin(hint) in (dict, Mapping) and len(args) == 2 and args[0] is str:
        return "table"  # records by id, intensity figures by zone, ...: each entry decoded when first read
    return "value"


INDEX_EAGER = ("what", "error")  # the rest is read when first used: "exact" by any lookup, the others on a miss
TIER_BUCKETS = 32  # each tier of a name index in this many lines: a name lookup reads one (names.Buckets)


def _fields(codecs: _Codecs, cls: type) -> list[tuple[str, Any, str]]:
    """(name, declared type, layout) of each field of ``cls``, every codec built (so the signature is whole)."""
    out = []
    for name, hint in codecs._hints(cls):
        layout = _layout(hint)
        if layout == "table":
            codecs.of(typing.get_args(hint)[1])
        elif layout == "value":
            codecs.of(hint)
        out.append((name, hint, layout))
    return out


class _Lines:
    """The lines after the main line, each JSON; ``add`` returns where its line starts (bytes after the main line)."""

    def __init__(self) -> None:
        import json

        self.dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
        self.lines: list[bytes] = []
        self.size = 0

    def add(self, data: Any) -> int:
        line = self.dumps(data).encode("utf-8")
        at = self.size
        self.lines.append(line)
        self.size += len(line) + 1
        return at


def _encode_index(state: Mapping[str, Any], lines: _Lines) -> dict[str, Any]:
    """A name index's main-line entry: its name and error class inline, each other part a line (tiers in buckets)."""
    from estimator.names import bucket

    parts: dict[str, Any] = {}
    for part, data in state.items():
        if part == "tiers":
            tiers = []
            for tier in data:
                buckets: list[dict[str, Any]] = [{} for _ in range(TIER_BUCKETS)]
                for key, ids in tier.items():
                    buckets[bucket(key, TIER_BUCKETS)][key] = ids
                tiers.append([lines.add(b) for b in buckets])
            parts[part] = tiers
        elif part not in INDEX_EAGER:
            parts[part] = lines.add(data)
    return {"index": {k: state[k] for k in INDEX_EAGER}, "parts": parts}


def encode(cls: type, value: Any, paths: Sequence[StrPath]) -> bytes:
    """The cache file's bytes for ``value`` (an instance of the dataclass ``cls``).

    Line 1: the header (what the value was built from, a CRC-32 of the rest,
    the record classes' field names); line 2: the fields, with tables and
    name-index parts as byte positions (counted from the start of line 3);
    then one line per table row, a line per table of its rows' positions by
    id, and the index parts (each tier of names in ``TIER_BUCKETS`` lines).
    Raises Unsupported for a field type the codecs do not know.
    """
    import binascii

    codecs = _codecs()
    lines = _Lines()
    main: list[Any] = []
    for name, hint, layout in _fields(codecs, cls):
        item = getattr(value, name)
        if layout == "table":
            enc, _ = codecs.of(typing.get_args(hint)[1])
            rows = {str(k): lines.add(enc(item[k])) for k in item}
            main.append({"table": lines.add(rows)})
        elif layout == "index":
            main.append(_encode_index(item.to_state(), lines))
        else:
            main.append({"value": codecs.of(hint)[0](item)})
    body = b"\n".join([lines.dumps(main).encode("utf-8"), *lines.lines])
    head = {"header": _header(paths), "crc32": binascii.crc32(body), "signature": codecs.signature}
    return lines.dumps(head).encode("utf-8") + b"\n" + body


def _decode_index(entry: Mapping[str, Any], raw: bytes, base: int, kinds: Mapping[str, Any]) -> Any:
    from estimator.names import Buckets, NameIndex

    later: dict[str, Callable[[], Any]] = {}
    for part, at in entry["parts"].items():
        if part == "tiers":
            tiers = [Buckets([functools.partial(_line, raw, base + int(b)) for b in tier]) for tier in at]
            later[part] = functools.partial(list, tiers)
        else:
            later[part] = functools.partial(_line, raw, base + int(at))
    return NameIndex.from_state(entry["index"], kinds, later)


def decode(cls: type, raw: bytes, paths: Sequence[StrPath]) -> Any | None:
    """The value :func:`encode` wrote, or None when anything about it is off.

    The whole file's CRC-32 is checked here, before anything is used; rows
    and index parts are then decoded from ``raw`` when first read.
    """
    import binascii
    import json

    first = raw.index(b"\n")
    head = json.loads(raw[:first])
    if not isinstance(head, dict) or head.get("header") != _header(paths):
        return None
    if head.get("crc32") != binascii.crc32(memoryview(raw)[first + 1 :]):
        return None
    codecs = _codecs()
    fields = _fields(codecs, cls)
    if head.get("signature") != codecs.signature:
        return None
    from estimator import errors

    kinds = {n: v for n, v in vars(errors).items() if isinstance(v, type) and issubclass(v, errors.NotFoundError)}
    end = raw.find(b"\n", first + 1)
    end = end if end >= 0 else len(raw)
    main = json.loads(raw[first + 1 : end])
    base = end + 1  # where the lines after the main line start: positions count from here
    if not isinstance(main, list) or len(main) != len(fields):
        return None
    values: dict[str, Any] = {}
    for (name, hint, layout), entry in zip(fields, main, strict=True):
        if layout == "table":
            values[name] = LazyTable(raw, base, int(entry["table"]), codecs.of(typing.get_args(hint)[1])[1])
        elif layout == "index":
            values[name] = _decode_index(entry, raw, base, kinds)
        else:
            values[name] = codecs.of(hint)[1](entry["value"])
    obj: Any = object.__new__(cls)
    obj.__dict__.update(values)
    return obj


def load(cls: type, target: StrPath, paths: Sequence[StrPath]) -> Any | None:
    """The cached value of type ``cls`` at ``target`` if it passes every check, else None."""
    raw = _read_private(target)
    if raw is None:
        return None
    try:
        value = decode(cls, raw, paths)
    except (Unsupported, ValueError, TypeError, KeyError, IndexError, AttributeError, RecursionError):
        return None
    return value if isinstance(value, cls) else None


def store(cls: type, target: StrPath, paths: Sequence[StrPath], value: Any) -> bool:
    """Write ``value`` to ``target`` if it reads back :func:`equal` to itself; True when written.

    The folder is created private (0700); the file is written to a private
    temporary file beside it and moved into place. Other installs' files are
    left alone; this install's files of other versions are removed.
    """
    import tempfile
    from pathlib import Path

    target = Path(target)
    try:
        raw = encode(cls, value, paths)
        if not equal(value, decode(cls, raw, paths)):
            return False
    except (Unsupported, ValueError, TypeError, KeyError, IndexError, AttributeError, RecursionError):
        return False
    folder = target.parent
    tmp: str | None = None
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = folder.stat()
        if hasattr(os, "getuid") and info.st_uid != os.getuid():
            return False  # someone else's folder: no cache rather than a file they control
        fd, tmp = tempfile.mkstemp(prefix=".catalog-", suffix=".tmp", dir=folder)  # 0600, O_EXCL
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
        os.replace(tmp, target)
        tmp = None
        suffix = target.name.rsplit("-", 1)[-1]
        for old in folder.glob(f"catalog-*-{suffix}"):
            if old.name != target.name and old.is_file() and not old.is_symlink() and old.stat().st_uid == info.st_uid:
                old.unlink(missing_ok=True)
    except OSError:
        return False
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
    return True


def equal(a: Any, b: Any) -> bool:
    """Deep equality of two decoded values: same types throughout, NaN equal to NaN, indexes by their state."""
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return a.keys() == b.keys() and all(equal(a[k], b[k]) for k in a)
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if isinstance(a, str | int | bool | type(None)):
        return bool(a == b)
    if isinstance(a, frozenset | set):
        return bool(a == b)
    if isinstance(a, tuple | list):
        return len(a) == len(b) and all(equal(x, y) for x, y in zip(a, b, strict=True))
    if dataclasses.is_dataclass(a):
        return all(equal(getattr(a, f.name), getattr(b, f.name)) for f in dataclasses.fields(a))
    if hasattr(a, "to_state"):
        return equal(a.to_state(), b.to_state())
    if isinstance(a, type):
        return a is b
    return bool(a == b)
