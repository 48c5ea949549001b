"""The grid carbon intensity of a place in a year: one basis, the other figures beside.

The rule (docs/methodology.md, "Grid intensity"):

- The reported figure is **location-based, life-cycle, yearly average**, taken
  from the place's grid zone (``Region.zone``, else the place itself): the
  Electricity Maps yearly series where the zone has one, else Ember's, else
  another life-cycle figure. Two places in the same zone get the same figure
  for the same year, whichever provider runs them.
- The year is the run's year when given, else the latest in the series; a year
  outside the series uses the nearest one and says so.
- Every other figure for the place or its zone (a provider's own direct
  figure, eGRID, older tables) is kept beside, the one nearest the year from
  each dataset, with its basis named; together they make the intensity range.
  A provider's renewable purchases are never subtracted.
- ``basis="marginal"`` asks another question (what would one more kWh there
  emit?) and takes the UNFCCC operating margin of the country instead.

References
----------
Electricity Maps, yearly carbon intensity averages 2021-2025 (ODbL 1.0).
Ember, yearly electricity data (CC BY-SA 4.0).
UNFCCC, IFI harmonised default grid emission factors 2021 v3.1 (CC BY-SA 4.0).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from estimator.errors import InputError
from estimator.records import IntensityFigure, Region

if TYPE_CHECKING:
    from estimator.catalog import Catalog

LIFECYCLE_PREFERENCE = ("electricity-maps", "ember")  # then other life-cycle datasets, by name
BASIS_WORDS = {
    "lifecycle": "location-based life-cycle yearly average",
    "marginal": "marginal (UNFCCC operating margin: what one more kWh there emits)",
    "direct": "direct (combustion/operational) emissions only",
    "unknown": "basis not stated by the source",
}


@dataclass(frozen=True)
class IntensityChoice:
    """The intensity used for a place and year, where it came from, and what else is known.

    ``value_g_per_kwh`` is the central figure; ``low_g_per_kwh`` and
    ``high_g_per_kwh`` span it and every figure in ``beside``.
    """

    value_g_per_kwh: float
    year: int
    basis: str
    dataset: str
    zone: str
    source: str
    beside: tuple[IntensityFigure, ...]
    low_g_per_kwh: float
    high_g_per_kwh: float
    notes: tuple[str, ...] = ()

    def facts(self) -> dict[str, Any]:
        """JSON-ready facts for ``Estimate.region``."""
        return {
            "zone": self.zone,
            "basis": self.basis,
            "intensity_year": self.year,
            "dataset": self.dataset,
            "intensity_g_per_kwh": self.value_g_per_kwh,
            "source": self.source,
            "beside": [f._asdict() for f in self.beside],
        }


def _preference(dataset: str) -> tuple[int, str]:
    rank = LIFECYCLE_PREFERENCE.index(dataset) if dataset in LIFECYCLE_PREFERENCE else len(LIFECYCLE_PREFERENCE)
    return rank, dataset


def _nearest(figures: list[IntensityFigure], year: int) -> IntensityFigure:
    """The figure whose year is nearest ``year`` (the later one on a tie)."""
    return min(figures, key=lambda f: (abs(f.year - year), -f.year))


def central_series(catalog: Catalog, region: Region, basis: str = "lifecycle") -> tuple[IntensityFigure, ...]:
    """The series the central figure comes from for ``region``, by year (oldest first).

    Parameters
    ----------
    catalog : Catalog
    region : Region
    basis : {"lifecycle", "marginal"}

    Returns
    -------
    tuple of IntensityFigure
        One dataset's figures on one basis for the place's zone; empty when the
        place has no figure on that basis.
    """
    if basis == "marginal":
        country = region.country or region.id
        own = [f for f in catalog.intensity.get(country, ()) if f.basis == "marginal"]
        return tuple(sorted(own, key=lambda f: f.year))
    figures = [f for f in catalog.intensity.get(region.grid_id, ()) if f.basis == "lifecycle"]
    if not figures:
        return ()
    dataset = min({f.dataset for f in figures}, key=_preference)
    return tuple(sorted((f for f in figures if f.dataset == dataset), key=lambda f: f.year))


def choose(catalog: Catalog, region: Region, year: int | None = None, basis: str = "lifecycle") -> IntensityChoice:
    """The intensity of ``region`` in ``year`` on ``basis``, with the figures beside it.

    Parameters
    ----------
    catalog : Catalog
    region : Region
        Any place; a cloud region or subdivision uses its zone's series.
    year : int, optional
        The year the job ran; default the latest in the series.
    basis : {"lifecycle", "marginal"}

    Returns
    -------
    IntensityChoice
        Central figure [gCO2e/kWh] with its year, basis, dataset and source,
        the other figures beside it, the range they make and notes.
    """
    notes: list[str] = []
    series = central_series(catalog, region, basis)
    if not series and basis == "marginal":
        raise InputError(
            f"no marginal (UNFCCC operating margin) figure for {region.id} ({region.name}); "
            "use basis='lifecycle', or give intensity",
            field="basis",
        )
    if not series:  # no life-cycle figure at all: the best other figure, said plainly
        places = dict.fromkeys((region.grid_id, region.id))  # one place when it has no zone of its own
        others = [f for p in places for f in catalog.intensity.get(p, ()) if f.basis != "marginal"]
        if not others:
            if any(f.basis == "marginal" for p in places for f in catalog.intensity.get(p, ())):
                raise InputError(
                    f"no life-cycle intensity figure for {region.id} ({region.name}); basis='marginal' uses its "
                    "UNFCCC operating-margin figure, or give intensity in gCO2e/kWh",
                    field="region",
                )
            raise InputError(f"no intensity figure for {region.id}; give intensity in gCO2e/kWh", field="region")
        latest = max(f.year for f in others)
        series = tuple(sorted((f for f in others if f.year == latest), key=lambda f: f.dataset))[:1]
        notes.append(
            f"no life-cycle figure for {region.id}: using a {series[0].basis} figure ({series[0].dataset}), "
            "not comparable with life-cycle places"
        )
    chosen = series[-1] if year is None else _nearest(list(series), year)
    if year is not None and chosen.year != year:
        edge = "earliest" if year < chosen.year else "latest"
        notes.append(f"{year} asked; {chosen.year} is the {edge} year for {chosen.place} ({chosen.dataset})")
    beside = _beside(catalog, region, chosen) if basis != "marginal" else ()
    values = [chosen.intensity_g_per_kwh, *(f.intensity_g_per_kwh for f in beside)]
    via = ""
    if chosen.place != region.id:  # UNFCCC's operating margins are per country, not per grid zone
        via = f", the {'country figure for' if chosen.basis == 'marginal' else 'grid zone of'} {region.id}"
    source = (
        f"{chosen.place}{via}: {chosen.intensity_g_per_kwh:g} gCO2e/kWh, {chosen.year}, "
        f"{BASIS_WORDS[chosen.basis]} ({chosen.source})"
    )
    return IntensityChoice(
        value_g_per_kwh=chosen.intensity_g_per_kwh,
        year=chosen.year,
        basis=chosen.basis,
        dataset=chosen.dataset,
        zone=chosen.place,
        source=source,
        beside=beside,
        low_g_per_kwh=min(values),
        high_g_per_kwh=max(values),
        notes=tuple(notes),
    )


def _beside(catalog: Catalog, region: Region, chosen: IntensityFigure) -> tuple[IntensityFigure, ...]:
    """From each other dataset and basis for the place and its zone, the figure nearest the year used."""
    groups: dict[tuple[str, str, str], list[IntensityFigure]] = {}
    for place in dict.fromkeys((region.grid_id, region.id)):
        for f in catalog.intensity.get(place, ()):
            if f.basis == "marginal" or (f.place, f.basis, f.dataset) == (chosen.place, chosen.basis, chosen.dataset):
                continue
            groups.setdefault((f.place, f.basis, f.dataset), []).append(f)
    return tuple(_nearest(figs, chosen.year) for figs in groups.values())


def describe_beside(choice: IntensityChoice) -> str:
    """The figures beside the central one, in words: 'gcp:europe-west3 direct 2024 (google) 276; ...'.

    A figure of unstated basis (an undated aggregator table) is named with its table's year.
    """
    return "; ".join(_beside_words(f) for f in choice.beside)


def _beside_words(f: IntensityFigure) -> str:
    if f.basis == "unknown":  # undated tables carry the year of their snapshot, not of the figure
        return f"{f.place} {f.intensity_g_per_kwh:g} ({f.dataset} table of {f.year}, basis and year not stated)"
    return f"{f.place} {f.basis} {f.year} ({f.dataset}) {f.intensity_g_per_kwh:g}"
