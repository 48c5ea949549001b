"""The grid-intensity data itself (data/intensity.csv, data/regions.csv), read as plain CSV.

These tests do not go through the loader: they check the files' schema, the
vocabularies, the links between the two files and every generated figure
against the reference folder beside the checkout (``../shared/reference``).
Without that folder they skip, except in CI (``CI`` set), where they fail.
"""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import re
from collections import defaultdict
from pathlib import Path
from types import ModuleType

import pytest

from tests.conftest import needed

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "data"
REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference"

INTENSITY_COLUMNS = ["place", "year", "basis", "intensity_g_per_kwh", "dataset", "source", "note"]
REGION_COLUMNS = [
    "id", "kind", "name", "country", "subdivision", "provider", "location", "zone", "zone_source",
    "pue", "pue_year", "pue_source", "cfe_pct", "cfe_year", "cfe_source", "aliases", "note",
]  # fmt: skip
BASES = {"lifecycle", "direct", "marginal", "unknown"}
# dataset -> the bases it may carry (docs/data-schema.md lists the same vocabulary)
DATASETS = {
    "electricity-maps": {"lifecycle"},
    "electricity-maps-mlco2": {"lifecycle"},
    "ember": {"lifecycle"},
    "ember-ger": {"lifecycle"},
    "owid-ember": {"lifecycle"},
    "derived": {"lifecycle"},
    "google": {"direct", "lifecycle"},  # Google's 2019-2020 files label their column life-cycle
    "egrid2022": {"direct"},
    "egrid2016": {"direct"},
    "nga": {"direct"},
    "unfccc-ifi": {"marginal"},
    "eco2ai": {"unknown", "direct"},
    "green-algorithms": {"unknown", "direct"},
    "ccf-aws": {"unknown"},
    "ccf-azure": {"unknown"},
    "codecarbon": {"unknown"},
    "mlco2": {"unknown"},
}
GENERATED = {"electricity-maps", "ember", "unfccc-ifi"}  # plus google 2019-2024
# Places with no life-cycle figure at all (no row of their own, no zone): the
# resolver says so. Each is explained in its regions.csv note or zone_source.
NO_LIFECYCLE = {
    "US-AZNM", "US-FRCC", "US-NWPP", "US-SRVC",  # eGRID subregions spanning several balancing authorities
    "RU-NEN",  # isolated grids outside Russia's price zones
    "AD", "AI", "BQ", "IM", "LI", "MC", "MF", "MH", "MP", "NU", "SM", "SX", "TV",  # UNFCCC marginal factor only
}  # fmt: skip
# Figures outside the plausible band, each a published figure checked by hand.
RANGE_EXCEPTIONS = {
    ("ZW", "2021", "marginal", "unfccc-ifi"): "IFI operating margin 1575 g/kWh: old, small coal units at the margin",
}
# Cloud rows in one city that may draw from different zones (none today).
SAME_CITY_EXCEPTIONS: set[str] = set()


def read(name: str) -> tuple[list[str], list[dict[str, str]]]:
    text = (DATA / name).read_text(encoding="utf-8")
    reader = csv.DictReader(io.StringIO(text))
    return list(reader.fieldnames or []), list(reader)


@pytest.fixture(scope="module")
def intensity() -> list[dict[str, str]]:
    return read("intensity.csv")[1]


@pytest.fixture(scope="module")
def regions() -> dict[str, dict[str, str]]:
    return {r["id"]: r for r in read("regions.csv")[1]}


@pytest.fixture(scope="module")
def lifecycle_years(intensity: list[dict[str, str]]) -> dict[str, set[int]]:
    years: dict[str, set[int]] = defaultdict(set)
    for r in intensity:
        if r["basis"] == "lifecycle":
            years[r["place"]].add(int(r["year"]))
    return years


@pytest.fixture(scope="module")
def reference() -> Path:
    if not REFERENCE.is_dir():
        needed(f"the reference folder {REFERENCE} is not beside the checkout")
    return REFERENCE


def test_columns_are_exactly_the_schema() -> None:
    assert read("intensity.csv")[0] == INTENSITY_COLUMNS
    assert read("regions.csv")[0] == REGION_COLUMNS


def test_vocabularies_and_unique_keys(intensity: list[dict[str, str]]) -> None:
    keys = set()
    for r in intensity:
        assert r["basis"] in BASES, r
        assert r["dataset"] in DATASETS, r
        assert r["basis"] in DATASETS[r["dataset"]], r
        key = (r["place"], r["year"], r["basis"], r["dataset"])
        assert key not in keys, f"duplicate {key}"
        keys.add(key)


def test_every_row_has_a_source_a_year_and_a_plausible_figure(intensity: list[dict[str, str]]) -> None:
    for r in intensity:
        assert len(r["source"]) >= 20, r
        assert re.fullmatch(r"\d{4}", r["year"]) and 2015 <= int(r["year"]) <= 2026, r
        value = float(r["intensity_g_per_kwh"])
        key = (r["place"], r["year"], r["basis"], r["dataset"])
        if key in RANGE_EXCEPTIONS:
            continue
        # a life-cycle figure is never zero (hydro, wind, nuclear all have one); a direct or
        # marginal one is zero where nothing burns (Québec's hydro, an all-hydro margin)
        low_ok = value > 0 if r["basis"] in ("lifecycle", "unknown") else value >= 0
        assert low_ok and value < 1500, r


def test_every_place_exists_in_regions(intensity: list[dict[str, str]], regions: dict[str, dict[str, str]]) -> None:
    assert not sorted({r["place"] for r in intensity} - set(regions))


def test_zone_names_a_row_with_its_own_lifecycle_series(
    regions: dict[str, dict[str, str]], lifecycle_years: dict[str, set[int]]
) -> None:
    for r in regions.values():
        zone = r["zone"]
        assert bool(zone) == bool(r["zone_source"]), f"{r['id']}: zone_source goes with zone"
        if zone:
            assert zone in regions, r["id"]
            assert lifecycle_years.get(zone), f"{r['id']} -> {zone}: no life-cycle rows"
            assert not regions[zone]["zone"], f"{r['id']} -> {zone} -> {regions[zone]['zone']}: one step only"
            assert len(r["zone_source"]) >= 20, r["id"]
    without = {i for i, r in regions.items() if not r["zone"] and not lifecycle_years.get(i)}
    assert without == NO_LIFECYCLE


def test_every_electricity_maps_zone_has_a_row(reference: Path, regions: dict[str, dict[str, str]]) -> None:
    zones = json.loads((reference / "electricity-maps-yearly" / "yearly_2025.json").read_text(encoding="utf-8"))
    assert len(zones) == 352
    assert not sorted(set(zones) - set(regions))
    for zone in zones:
        assert not regions[zone]["zone"], f"{zone} has its own series; zone must be empty"


def test_electricity_maps_rows_equal_the_reference(reference: Path, intensity: list[dict[str, str]]) -> None:
    ours = {
        (r["place"], int(r["year"])): float(r["intensity_g_per_kwh"])
        for r in intensity
        if r["dataset"] == "electricity-maps"
    }
    theirs = {}
    for path in sorted((reference / "electricity-maps-yearly").glob("yearly_*.json")):
        year = int(path.stem.split("_")[1])
        for zone, entry in json.loads(path.read_text(encoding="utf-8")).items():
            theirs[(zone, year)] = float(entry["carbonIntensity"]["value"])
    assert len(theirs) == 352 * 5
    assert ours == theirs


def test_generated_rows_are_what_the_script_builds(reference: Path) -> None:
    spec = importlib.util.spec_from_file_location("build_intensity", REPO / "tools" / "build_intensity.py")
    assert spec and spec.loader
    module: ModuleType = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    text = (DATA / "intensity.csv").read_text(encoding="utf-8")
    rows, _ = module.build(reference, list(csv.DictReader(io.StringIO(text))))
    assert module.render(rows) == text


def test_ember_and_unfccc_rows_follow_the_reference(reference: Path, intensity: list[dict[str, str]]) -> None:
    ember = json.loads((reference / "ember-yearly" / "average-intensities.json").read_text(encoding="utf-8"))
    ours = {r["place"]: r for r in intensity if r["dataset"] == "ember"}
    assert ours["world"]["year"] == str(ember["World"]["year"])
    assert float(ours["world"]["intensity_g_per_kwh"]) == ember["World"]["emissions_intensity_gco2_per_kwh"]
    assert float(ours["FR"]["intensity_g_per_kwh"]) == ember["FRA"]["emissions_intensity_gco2_per_kwh"]
    assert "CF" not in ours  # Ember's 0 g/kWh is a data error (regions.csv note)
    marginal = {r["place"]: float(r["intensity_g_per_kwh"]) for r in intensity if r["dataset"] == "unfccc-ifi"}
    unfccc = json.loads((reference / "unfccc-marginal" / "marginal-intensities-2021.json").read_text(encoding="utf-8"))
    assert marginal["FR"] == float(unfccc["France"]["Operating Margin Grid Emission"])
    assert marginal["KY"] == float(unfccc["Cayman Islands"]["Operating Margin Grid Emission"])  # co2.js codes it CY
    assert marginal["CY"] == float(unfccc["Cyprus"]["Operating Margin Grid Emission"])


# Read by hand from the reference files (electricity-maps-yearly/yearly_YYYY.json,
# ember-yearly/average-intensities.json, unfccc-marginal/, google-region-carbon/2024.csv).
HAND_CHECKED = [
    ("DE", 2022, "lifecycle", "electricity-maps", 475),
    ("DE", 2025, "lifecycle", "electricity-maps", 342),
    ("US-MIDA-PJM", 2024, "lifecycle", "electricity-maps", 403),
    ("FR", 2023, "lifecycle", "electricity-maps", 49),
    ("SE-SE3", 2025, "lifecycle", "electricity-maps", 20),
    ("NO-NO1", 2024, "lifecycle", "electricity-maps", 27),
    ("JP-TK", 2021, "lifecycle", "electricity-maps", 549),
    ("IN-WE", 2024, "lifecycle", "electricity-maps", 657),
    ("US-TEX-ERCO", 2025, "lifecycle", "electricity-maps", 363),
    ("CA-QC", 2024, "lifecycle", "electricity-maps", 35),
    ("PL", 2022, "lifecycle", "electricity-maps", 876),
    ("CF", 2024, "lifecycle", "electricity-maps", 24),
    ("DE", 2024, "lifecycle", "ember", 342.06),
    ("FR", 2021, "marginal", "unfccc-ifi", 158),
    ("gcp:europe-west3", 2024, "direct", "google", 275.82),
    ("gcp:us-east1", 2024, "direct", "google", 575.77),
]


@pytest.mark.parametrize(("place", "year", "basis", "dataset", "value"), HAND_CHECKED)
def test_figures_checked_by_hand(
    intensity: list[dict[str, str]], place: str, year: int, basis: str, dataset: str, value: float
) -> None:
    found = [
        float(r["intensity_g_per_kwh"])
        for r in intensity
        if (r["place"], r["year"], r["basis"], r["dataset"]) == (place, str(year), basis, dataset)
    ]
    assert found == [value]


def test_big_cloud_regions_have_a_recent_lifecycle_figure(
    regions: dict[str, dict[str, str]], lifecycle_years: dict[str, set[int]]
) -> None:
    clouds = [r for r in regions.values() if r["kind"] == "cloud"]
    assert all(r["zone"] for r in clouds)
    for r in clouds:
        if r["provider"] in ("aws", "gcp", "azure"):
            assert max(lifecycle_years[r["zone"]]) >= 2024, r["id"]


def test_issue_13_regions_and_zones(regions: dict[str, dict[str, str]]) -> None:
    expected = {
        "aws:us-east-1": "US-MIDA-PJM",
        "aws:us-east-2": "US-MIDA-PJM",
        "aws:us-west-1": "US-CAL-CISO",
        "aws:us-west-2": "US-NW-BPAT",
        "gcp:us-central1": "US-MIDW-MISO",
        "gcp:us-west1": "US-NW-BPAT",
        "gcp:us-south1": "US-TEX-ERCO",
        "azure:westeurope": "NL",
        "gcp:europe-north1": "FI",
        "aws:eu-north-1": "SE-SE3",
        "azure:norwayeast": "NO-NO1",
        "aws:eu-south-1": "IT-NO",
        "aws:ap-northeast-1": "JP-TK",
        "aws:ap-southeast-2": "AU-NSW",
        "aws:ap-south-1": "IN-WE",
        "aws:ca-central-1": "CA-QC",
        "aws:sa-east-1": "BR-CS",
        "aws:eusc-de-east-1": "DE",
        "azure:taiwannorth": "TW",
        "azure:taiwannorthwest": "TW",
        "azure:israelnorthwest": "IL",
        "azure:malaysiasouth": "MY-WM",
        "US-CA": "US-CAL-CISO",
        "US-TX": "US-TEX-ERCO",
        "US-NY": "US-NY-NYIS",
        "US-MA": "US-NE-ISNE",
        "US-VA": "US-MIDA-PJM",
        "IN-DL": "IN-NO",
        "RU-MOW": "RU-1",
        "AU-ACT": "AU-NSW",
    }
    assert {k: regions[k]["zone"] for k in expected} == expected
    for own in ("DE", "US-MIDA-PJM", "CA-QC", "AU-NSW", "SE-SE3"):
        assert regions[own]["zone"] == ""


def test_same_city_same_zone_whichever_provider(regions: dict[str, dict[str, str]]) -> None:
    def city(location: str) -> str:
        first = re.sub(r"\(.*?\)", "", location.split(",", maxsplit=1)[0])
        first = re.sub(r"\b(area|metro|state|region)\b", "", first, flags=re.IGNORECASE)
        return " ".join(first.lower().split())

    zones: dict[tuple[str, str], set[str]] = defaultdict(set)
    providers: dict[tuple[str, str], set[str]] = defaultdict(set)
    for r in regions.values():
        if r["kind"] == "cloud" and r["id"] not in SAME_CITY_EXCEPTIONS:
            key = (r["country"], city(r["location"]))
            zones[key].add(r["zone"])
            providers[key].add(r["provider"])
    shared = [k for k, p in providers.items() if len(p) > 1]
    assert len(shared) >= 30  # London, Frankfurt, Paris, Tokyo, Sydney, São Paulo ...
    assert {k: z for k, z in zones.items() if len(z) > 1} == {}


def test_nothing_of_the_old_region_columns_is_lost(intensity: list[dict[str, str]]) -> None:
    # the figures the old regions.csv carried, checked by hand then (tests/data/regions_checked.csv)
    with open(REPO / "tests" / "data" / "regions_checked.csv", encoding="utf-8", newline="") as fh:
        checked = list(csv.DictReader(fh))
    assert len(checked) >= 40
    index = {(r["place"], r["year"], r["basis"], r["dataset"]): float(r["intensity_g_per_kwh"]) for r in intensity}
    for row in checked:
        key = (row["place"], row["year"], row["basis"], row["dataset"])
        assert index.get(key) == float(row["intensity_g_per_kwh"]), key


def test_flagged_places_are_fixed(
    intensity: list[dict[str, str]], regions: dict[str, dict[str, str]], lifecycle_years: dict[str, set[int]]
) -> None:
    # the Nordic zones no longer share one placeholder as their life-cycle series
    latest = {}
    for r in intensity:
        if r["dataset"] == "electricity-maps" and r["year"] == "2025":
            latest[r["place"]] = float(r["intensity_g_per_kwh"])
    nordic = [
        latest[z] for z in ("SE-SE1", "SE-SE2", "SE-SE3", "SE-SE4", "NO-NO1", "NO-NO2", "NO-NO3", "NO-NO4", "NO-NO5")
    ]
    assert len(set(nordic)) > 3
    # no zero or impossible life-cycle figure for the Central African Republic, Uzbekistan, Bahrain
    for place in ("CF", "UZ", "BH", "TM"):
        figures = [
            float(r["intensity_g_per_kwh"]) for r in intensity if r["place"] == place and r["basis"] == "lifecycle"
        ]
        assert figures and all(100 < f < 900 or (place == "CF" and 10 < f < 100) for f in figures), place
        assert "data error" in regions[place]["note"]
    assert 2025 in lifecycle_years["CF"]
