"""Load and look up the shipped data and users' own data files.

The shipped files (``data/hardware.yaml``, ``data/regions.csv``,
``data/providers.yaml``) are read once per process and cached. Users' files in
the same schema (docs/data-schema.md) merge over them: a row with an existing
id replaces it. Any bad row stops the load with a ``DataError`` naming the
file, the row and the field; nothing is half-loaded.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from estimator.errors import (
    AmbiguousNameError,
    DataError,
    UnknownHardwareError,
    UnknownInstanceError,
    UnknownProviderError,
    UnknownRegionError,
)
from estimator.names import NameIndex, Resolved, norm
from estimator.records import (
    GRID_KINDS,
    Device,
    Instance,
    IntensityFigure,
    Provider,
    PueFigure,
    Region,
)
from estimator.schema import (
    DEVICE_FIELDS,
    EMBODIED_SECTIONS,
    INSTANCE_FIELDS,
    INTENSITY_COLUMNS,
    PROVIDER_FIELDS,
    REGION_COLUMNS,
    YEAR_RANGE,
    Embodied,
    Row,
    parse_device,
    parse_instance,
    parse_intensity,
    parse_provider,
    parse_region,
    read_embodied,
)

if TYPE_CHECKING:
    from pathlib import Path

DATA_FILES = ("hardware.yaml", "regions.csv", "intensity.csv", "providers.yaml", "embodied.yaml")
MAX_USER_FILE_BYTES = 50_000_000
MAX_SHIPPED_FILE_BYTES = 200_000_000  # a sanity bound only: the shipped files are about 1 MB
_DATA_FILE = "a .yaml, .yml or .csv data file (docs/data-schema.md)"
# Vendor words people leave out ("A100 SXM4 80GB" for "NVIDIA A100 SXM4 80GB").
VENDOR_WORDS = ("nvidia", "tesla", "geforce", "quadro", "amd", "radeon", "instinct", "intel")


def data_folder() -> str:
    """:func:`data_dir` as a str (a cold start leaves pathlib unimported)."""
    here = os.path.dirname(os.path.realpath(__file__))
    for candidate in (os.path.join(here, "data"), os.path.join(os.path.dirname(here), "data")):
        if os.path.isfile(os.path.join(candidate, "hardware.yaml")):
            return candidate
    raise DataError(f"shipped data not found next to {here}; reinstall co2-estimator")


def data_dir() -> Path:
    """The shipped data folder: inside the installed package, else the source tree."""
    from pathlib import Path

    return Path(data_folder())


# ---------------------------------------------------------------- reading files


class _Tables:
    """Rows gathered from files, by id, before cross-checks."""

    def __init__(self) -> None:
        self.devices: dict[str, Device] = {}
        self.instances: dict[str, Instance] = {}
        self.regions: dict[str, Region] = {}
        self.providers: dict[str, Provider] = {}
        self.industry_pue: PueFigure | None = None
        self.origin: dict[tuple[str, str], Path] = {}  # (table, id) -> file
        self.embodied = Embodied()
        self.intensity: dict[tuple[str, int, str, str], IntensityFigure] = {}  # (place, year, basis, dataset)

    def where(self, table: str, ident: str) -> str:
        """Where a row came from, for messages: 'path: devices lab-gpu'."""
        return f"{self.origin.get((table, ident), 'data')}: {table} {ident}"


def _load_yaml(path: Path, text: str) -> Any:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return yaml.load(text, Loader=loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise DataError(f"{path}:{line}: not valid YAML: {problem}") from None


def _read_text(path: Path, user: bool) -> str:
    """A data file's text through ``fileio`` (regular files only, size-limited, UTF-8); a ``DataError`` if not."""
    from estimator import fileio
    from estimator.errors import FileInputError

    limit = MAX_USER_FILE_BYTES if user else MAX_SHIPPED_FILE_BYTES
    try:
        return fileio.read_text(path, what=_DATA_FILE, limit_bytes=limit, noun="data file")
    except FileInputError as exc:
        raise DataError(str(exc)) from None


def _yaml_rows(rows: Any, path: Path, section: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Each row of a YAML section with where it is (for messages); a section that is no list of mappings is refused."""
    if not isinstance(rows, list):
        raise DataError(f"{path}: {section!r} must be a list of rows, got {type(rows).__name__}")
    for n, raw in enumerate(rows, start=1):
        where = f"{path}: {section} row {n}"
        if not isinstance(raw, Mapping):
            raise DataError(f"{where}: expected a mapping of fields, got {raw!r}")
        yield where, raw


def _add(
    tables: _Tables,
    table: dict[str, Any],
    rows: Any,
    path: Path,
    section: str,
    allowed: Sequence[str],
    build: Callable[[Row], Any],
) -> None:
    seen: set[str] = set()
    for row_at, raw in _yaml_rows(rows, path, section):
        where = f"{row_at} (id {raw['id']})" if raw.get("id") else row_at
        record = build(Row(where, raw, allowed))
        if record.id in seen:
            raise DataError(f"{where}: field 'id': {record.id!r} appears twice in this file")
        seen.add(record.id)
        table[record.id] = record
        tables.origin[(section, record.id)] = path


def _read_csv(tables: _Tables, path: Path, text: str) -> None:
    """A regions CSV (header starting ``id``) or an intensity CSV (header with ``place``)."""
    import csv  # only when the catalog is built, not when it comes from the cache
    import io

    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = reader.fieldnames or []
    intensity = "place" in header
    columns = INTENSITY_COLUMNS if intensity else REGION_COLUMNS
    need = ("place", "year", "basis", "intensity_g_per_kwh") if intensity else ("id", "kind", "name")
    missing = [c for c in need if c not in header]
    if missing:
        raise DataError(
            f"{path}: line 1: header lacks column {missing[0]!r}; a regions file has columns "
            f"{','.join(REGION_COLUMNS)}; an intensity file has {','.join(INTENSITY_COLUMNS)}"
        )
    seen: set[Any] = set()
    for raw in reader:
        where = f"{path}: line {reader.line_num}"
        if None in raw:
            raise DataError(f"{where}: more fields than the header's {len(header)} columns")
        if intensity:
            _add_intensity(tables, parse_intensity(Row(where, raw, columns)), where, seen, path)
            continue
        if raw.get("id"):
            where += f" (id {raw['id']})"
        region = parse_region(Row(where, raw, columns))
        if region.id in seen:
            raise DataError(f"{where}: field 'id': {region.id!r} appears twice in this file")
        seen.add(region.id)
        tables.regions[region.id] = region
        tables.origin[("regions", region.id)] = path


def _add_intensity(tables: _Tables, fig: IntensityFigure, where: str, seen: set[Any], path: Path) -> None:
    key = (fig.place, fig.year, fig.basis, fig.dataset)
    if key in seen:
        raise DataError(f"{where}: {fig.place} {fig.year} {fig.basis} {fig.dataset} appears twice in this file")
    seen.add(key)
    tables.intensity[key] = fig  # a user's row replaces the shipped one with the same key
    tables.origin[("intensity", fig.place)] = path


def _read_yaml(tables: _Tables, path: Path, text: str) -> None:
    doc = _load_yaml(path, text)
    if doc is None:
        raise DataError(f"{path}: the file is empty")
    sections = (
        "devices",
        "instances",
        "regions",
        "intensity",
        "providers",
        "industry_average_pue",
        *EMBODIED_SECTIONS,
    )
    if not isinstance(doc, Mapping):
        raise DataError(f"{path}: expected a mapping with keys {', '.join(sections)}")
    for key in doc:
        if key not in sections:
            raise DataError(f"{path}: unknown top-level key {key!r}; allowed: {', '.join(sections)}")
    _add(tables, tables.devices, doc.get("devices", []), path, "devices", DEVICE_FIELDS, parse_device)
    _add(tables, tables.instances, doc.get("instances", []), path, "instances", INSTANCE_FIELDS, parse_instance)
    _add(tables, tables.regions, doc.get("regions", []), path, "regions", REGION_COLUMNS, parse_region)
    _add(tables, tables.providers, doc.get("providers", []), path, "providers", PROVIDER_FIELDS, parse_provider)
    seen: set[Any] = set()
    for where, raw in _yaml_rows(doc.get("intensity", []), path, "intensity"):
        _add_intensity(tables, parse_intensity(Row(where, raw, INTENSITY_COLUMNS)), where, seen, path)
    read_embodied(tables.embodied, doc, path)
    if "industry_average_pue" in doc:
        raw = doc["industry_average_pue"]
        where = f"{path}: industry_average_pue"
        if not isinstance(raw, Mapping):
            raise DataError(f"{where}: expected a mapping with pue, year, source")
        row = Row(where, raw, ("pue", "year", "source"))
        tables.industry_pue = PueFigure(
            pue=float(row.number("pue", 1.0, 3.0) or 0),
            year=int(row.integer("year", *YEAR_RANGE) or 0),
            source=row.text("source"),
        )


def _read_file(tables: _Tables, path: Path, user: bool) -> bytes:
    text = _read_text(path, user)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        _read_csv(tables, path, text)
    elif suffix in (".yaml", ".yml"):
        _read_yaml(tables, path, text)
    else:
        raise DataError(f"{path}: unknown data file type {suffix!r}; use .yaml, .yml or .csv")
    return text.encode("utf-8")


# ---------------------------------------------------------------- the catalog


@dataclass(frozen=True, eq=False, repr=False)  # identity and a short repr: it holds thousands of rows
class Catalog:
    """Validated tables with their name indexes. Build with ``load_catalog``."""

    devices: Mapping[str, Device]
    instances: Mapping[str, Instance]
    regions: Mapping[str, Region]
    providers: Mapping[str, Provider]
    industry_pue: PueFigure
    data_version: str
    device_index: NameIndex
    instance_index: NameIndex
    region_index: NameIndex
    provider_index: NameIndex
    provider_regions: Mapping[str, frozenset[str]]
    embodied: Embodied
    intensity: Mapping[str, tuple[IntensityFigure, ...]]  # by place, sorted by basis, dataset, year

    def device(self, query: str) -> tuple[Device, Resolved]:
        """The device ``query`` names (id, alias, nvidia-smi name, loose name)."""
        hit = self.device_index.resolve(query)
        return self.devices[hit.id], hit

    def instance(self, query: str) -> tuple[Instance, Resolved]:
        """The instance type ``query`` names (``aws:p4d.24xlarge`` or ``p4d.24xlarge``)."""
        hit = self.instance_index.resolve(query)
        return self.instances[hit.id], hit

    def provider(self, query: str) -> Provider:
        return self.providers[self.provider_index.resolve(query).id]

    def region(self, query: str, provider: str | None = None) -> tuple[Region, Resolved]:
        """The region ``query`` names; with ``provider``, that provider's regions are tried first.

        Within the provider only a firm match counts (an id or a name, not a
        loose word match), so "FR" stays France when the provider is AWS.
        """
        if provider:
            pid = self.provider(provider).id
            try:
                hit = self.region_index.resolve(query, self.provider_regions.get(pid, frozenset()))
                if not hit.loose:
                    return self.regions[hit.id], hit
            except (UnknownRegionError, AmbiguousNameError):
                pass
        hit = self.region_index.resolve(query)
        if hit.tier == CLOUD_NAME_TIER:
            # a city or display name of one cloud region, with no provider given: say how it was read
            hit = hit._replace(loose=True)
        return self.regions[hit.id], hit

    def region_place(self, region: Region) -> str:
        """Human-readable place: 'Council Bluffs, Iowa, USA', 'California, USA', 'France'."""
        if region.location:
            return region.location
        if region.kind in ("world", "country") or region.country not in self.regions:
            return region.name
        return f"{region.name}, {self.regions[region.country].name}"


def _device_index(devices: Mapping[str, Device]) -> NameIndex:
    names = [(alias, d.id) for d in devices.values() for alias in (d.name, *d.aliases)]
    stripped = []
    for alias, ident in names:
        words = alias.split()
        while words and norm(words[0]) in VENDOR_WORDS:
            words = words[1:]
        if words:
            stripped.append((" ".join(words), ident))
    return NameIndex(
        "hardware",
        devices,
        [names, stripped],
        {i: f"{i} ({d.name})" for i, d in devices.items()},
        UnknownHardwareError,
    )


def _check_device_names(tables: _Tables) -> None:
    owner: dict[str, str] = {}
    for d in tables.devices.values():
        for name in {d.id, d.name, *d.aliases}:
            other = owner.setdefault(norm(name), d.id)
            if other != d.id:
                raise DataError(
                    f"{tables.where('devices', d.id)}: name or alias {name!r} already names device {other!r} "
                    f"({tables.where('devices', other)}); an alias may point to one device only "
                    "(to replace a shipped device, reuse its id)"
                )


CLOUD_NAME_TIER = 1  # _region_index's tiers: grid names and aliases first, then cloud names and aliases


def _region_index(regions: Mapping[str, Region], providers: Mapping[str, Provider]) -> NameIndex:
    grid = [(n, r.id) for r in regions.values() if not r.is_cloud for n in (r.name, *r.aliases)]
    bare = [(r.id.split(":", 1)[1], r.id) for r in regions.values() if r.is_cloud]
    for r in regions.values():
        if r.is_cloud and r.provider in providers:
            for alias in providers[r.provider].aliases:
                bare.append((f"{alias}:{r.id.split(':', 1)[1]}", r.id))
    cloud = [(n, r.id) for r in regions.values() if r.is_cloud for n in (r.name, *r.aliases)]
    return NameIndex(
        "region",
        regions,
        [grid, cloud],
        {i: f"{i} ({r.name})" for i, r in regions.items()},
        UnknownRegionError,
        exact_tiers=bare,
    )


def _link_regions(tables: _Tables) -> dict[str, tuple[IntensityFigure, ...]]:
    """Cross-check region rows and their zones; group the intensity rows by place."""
    regions, providers = tables.regions, tables.providers
    by_place: dict[str, list[IntensityFigure]] = {}
    for fig in tables.intensity.values():
        if fig.place not in regions:
            raise DataError(f"{tables.where('intensity', fig.place)}: place {fig.place!r} is not a region id")
        by_place.setdefault(fig.place, []).append(fig)
    for r in regions.values():
        where = tables.where("regions", r.id)
        if r.kind != "world" and (r.country not in regions or regions[r.country].kind != "country"):
            raise DataError(f"{where}: field 'country': {r.country!r} is not a country row")
        if r.is_cloud and r.provider not in providers:
            raise DataError(
                f"{where}: field 'provider': {r.provider!r} is not in providers.yaml "
                f"(known: {', '.join(sorted(providers))})"
            )
        if r.zone:
            target = regions.get(r.zone)
            if target is None or target.kind not in GRID_KINDS:
                raise DataError(f"{where}: field 'zone': {r.zone!r} is not a world, country, subdivision or zone row")
            if target.zone:
                raise DataError(f"{where}: field 'zone': {r.zone!r} points on to {target.zone!r}; name that instead")
        if r.grid_id not in by_place and r.id not in by_place:
            raise DataError(f"{where}: no intensity figure for {r.id} or its zone in intensity.csv")
    return {place: tuple(sorted(figs, key=lambda f: (f.basis, f.dataset, f.year))) for place, figs in by_place.items()}


def _check_instances(tables: _Tables) -> None:
    for inst in tables.instances.values():
        where = tables.where("instances", inst.id)
        if inst.provider not in tables.providers:
            raise DataError(f"{where}: field 'provider': {inst.provider!r} is not in providers.yaml")
        acc = tables.devices.get(inst.accelerator or "")
        if inst.accelerator and (acc is None or acc.is_cpu):
            raise DataError(f"{where}: field 'accelerator': {inst.accelerator!r} is not an accelerator device id")
        cpu = tables.devices.get(inst.cpu or "")
        if inst.cpu and (cpu is None or not cpu.is_cpu):
            raise DataError(f"{where}: field 'cpu': {inst.cpu!r} is not a CPU device id")


SHARE_POWER_TOLERANCE_W = 0.01  # a share's tdp_w is the board's x share, written to the centiwatt


def _check_shares(tables: _Tables) -> None:
    """A share row names a whole board of its kind; within one file its power is that share of the board's.

    A user's file that replaces the board (same id) keeps the shipped shares' own power figures, so
    the power is checked only when the share and its board come from the same file.
    """
    for d in tables.devices.values():
        if d.share_of is None or d.share is None:
            continue
        where = tables.where("devices", d.id)
        board = tables.devices.get(d.share_of)
        if board is None or board.share_of is not None or board.kind != d.kind:
            import difflib

            whole = sorted(i for i, b in tables.devices.items() if b.kind == d.kind and b.share_of is None)
            close = difflib.get_close_matches(d.share_of, whole, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise DataError(
                f"{where}: field 'share_of': {d.share_of!r} is not the id of a whole {d.kind} device{hint}; "
                "a share names the board it is a share of"
            )
        if tables.origin.get(("devices", d.id)) != tables.origin.get(("devices", board.id)):
            continue
        expected_w = board.tdp_w * d.share
        if abs(d.tdp_w - expected_w) > SHARE_POWER_TOLERANCE_W or d.power_basis != board.power_basis:
            raise DataError(
                f"{where}: field 'tdp_w': a {d.share_text} share of {board.id} ({board.tdp_w:g} W, "
                f"{board.power_basis}) draws {round(expected_w, 2):g} W ({board.power_basis}); "
                f"got {d.tdp_w:g} W ({d.power_basis})"
            )


def _check_embodied(tables: _Tables) -> None:
    for ident in tables.embodied.devices:
        if ident not in tables.devices:
            raise DataError(f"embodied_devices: {ident!r} is not a device id")
        device = tables.devices[ident]
        if device.share_of is not None:
            raise DataError(
                f"embodied_devices: {ident!r} is a {device.share_text} share of {device.share_of!r}, which "
                f"carries that share of the board's figure; give the figure for {device.share_of!r} instead"
            )
    for ident in tables.embodied.instances:
        if ident not in tables.instances:
            raise DataError(f"embodied_instances: {ident!r} is not an instance id")


def _build(paths: Sequence[Path], user_paths: Sequence[Path]) -> Catalog:
    tables = _Tables()
    import hashlib

    digest = hashlib.sha256()
    for path in paths:
        digest.update(_read_file(tables, path, user=False))
    version = digest.hexdigest()[:12]
    if user_paths:
        user = hashlib.sha256()
        for path in user_paths:
            user.update(_read_file(tables, path, user=True))
        version += f"+user.{user.hexdigest()[:8]}"
    if tables.industry_pue is None:
        raise DataError("providers.yaml: industry_average_pue is missing")
    _check_device_names(tables)
    _check_shares(tables)
    _check_instances(tables)
    _check_embodied(tables)
    intensity = _link_regions(tables)
    providers = tables.providers
    return Catalog(
        devices=tables.devices,
        instances=tables.instances,
        regions=tables.regions,
        providers=providers,
        industry_pue=tables.industry_pue,
        data_version=version,
        device_index=_device_index(tables.devices),
        instance_index=NameIndex(
            "instance type",
            tables.instances,
            [[(a, i.id) for i in tables.instances.values() for a in i.aliases]],
            {},
            UnknownInstanceError,
            exact_tiers=[(i.name, i.id) for i in tables.instances.values()],
        ),
        region_index=_region_index(tables.regions, providers),
        provider_index=NameIndex(
            "provider",
            providers,
            [[(n, p.id) for p in providers.values() for n in (p.name, *p.aliases)]],
            {i: f"{i} ({p.name})" for i, p in providers.items()},
            UnknownProviderError,
        ),
        embodied=tables.embodied,
        intensity=intensity,
        provider_regions={
            pid: frozenset(r.id for r in tables.regions.values() if r.provider == pid) for pid in providers
        },
    )


def cache_dir() -> Path | None:
    """Where the parsed shipped catalog is cached; None when caching is off (see :mod:`estimator.cache`)."""
    from estimator import cache

    return cache.cache_dir()


def _shipped_catalog(paths: Sequence[str | os.PathLike[str]]) -> Catalog:
    """The shipped catalog, from this install's JSON cache when the files are unchanged.

    The cache (:mod:`estimator.cache`) is keyed by the install's folder, the
    package and Python versions, and the size and modification time of the
    data files and of the modules that build the catalog; it is validated
    before use and rebuilt on any doubt. It is never needed for a correct answer.
    """
    from estimator import cache

    folder = cache.cache_folder()
    if folder is None:
        return _build(_as_paths(paths), [])
    here = os.path.dirname(os.path.realpath(__file__))
    code = ("catalog.py", "schema.py", "records.py", "names.py", "cache.py")
    sources = [*paths, *(os.path.join(here, m) for m in code)]
    target = cache.cache_path(folder)
    try:
        cached = cache.load(Catalog, target, sources)
    except OSError:  # a data file vanished between the two looks: build, which says which
        cached = None
    if cached is not None:
        return cast(Catalog, cached)
    catalog = _build(_as_paths(paths), [])
    cache.store(Catalog, target, sources, catalog)
    return catalog


def _as_paths(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    from pathlib import Path  # only to build: a cold start served from the cache leaves pathlib unimported

    return [Path(p) for p in paths]


@functools.lru_cache(maxsize=16)
def _cached(user_files: tuple[tuple[str, float, int], ...]) -> Catalog:
    shipped = [os.path.join(data_folder(), name) for name in DATA_FILES]
    if not user_files:
        return _shipped_catalog(shipped)
    return _build(_as_paths(shipped), _as_paths(p for p, _, _ in user_files))


def load_catalog(data_files: str | os.PathLike[str] | Iterable[str | os.PathLike[str]] | None = None) -> Catalog:
    """The shipped catalog merged with ``data_files`` (cached per files and mtimes)."""
    if data_files is None:  # the shipped catalog alone (warm estimate() asks for it on every call)
        return _cached(())
    if isinstance(data_files, str | os.PathLike):
        data_files = [data_files]  # one file, not its characters
    key: list[tuple[str, float, int]] = []
    for entry in data_files or ():
        from pathlib import Path

        path = Path(entry).expanduser()
        try:
            stat = path.stat()
            key.append((str(path.resolve()), stat.st_mtime, stat.st_size))
        except OSError:
            key.append((str(path), 0.0, -1))  # the build reports the missing file
    return _cached(tuple(key))
