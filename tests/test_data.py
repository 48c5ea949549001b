"""The shipped data: schema (enforced by the loader), coverage, ranges, and
figures checked by hand against vendor datasheets and providers' own reports."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from estimator.catalog import Catalog
from estimator.errors import AmbiguousNameError, UnknownHardwareError
from estimator.names import norm

HERE = Path(__file__).resolve().parent
REFERENCE = HERE.parent.parent / "shared" / "reference"

# Plausible power per device, by kind (W). A value outside is a unit or copy mistake.
POWER_RANGE_W = {"gpu": (10, 1500), "tpu": (50, 1500), "npu": (10, 1500), "soc": (3, 400), "cpu": (3, 600)}


def read_csv(name: str) -> list[dict[str, str]]:
    with open(HERE / "data" / name, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def read_shipped(name: str) -> list[dict[str, str]]:
    """A shipped CSV in data/, read as plain rows (the region figures live in data/intensity.csv)."""
    with open(HERE.parent / "data" / name, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def latest_lifecycle_g_per_kwh(place: str) -> float:
    """The place's newest Electricity Maps life-cycle figure."""
    rows = [r for r in read_shipped("intensity.csv") if r["place"] == place and r["dataset"] == "electricity-maps"]
    return float(max(rows, key=lambda r: int(r["year"]))["intensity_g_per_kwh"])


def test_coverage(catalog: Catalog) -> None:
    kinds = Counter(d.kind for d in catalog.devices.values())
    assert sum(n for k, n in kinds.items() if k != "cpu") >= 120
    assert kinds["cpu"] >= 300
    assert len(catalog.instances) >= 150
    assert len(catalog.regions) >= 450
    regions = Counter(r.kind for r in catalog.regions.values())
    assert regions["country"] >= 200
    assert regions["world"] == 1
    clouds = Counter(r.provider for r in catalog.regions.values() if r.is_cloud)
    assert clouds["gcp"] >= 40 and clouds["aws"] >= 30 and clouds["azure"] >= 55


@pytest.mark.parametrize("kind", sorted(POWER_RANGE_W))
def test_power_is_plausible_per_kind(catalog: Catalog, kind: str) -> None:
    low, high = POWER_RANGE_W[kind]
    bad = [(d.id, d.tdp_w) for d in catalog.devices.values() if d.kind == kind and not low <= d.tdp_w <= high]
    assert not bad


def test_every_row_is_sourced_and_dated(catalog: Catalog) -> None:
    assert all(len(d.source) >= 8 and 2000 <= d.year <= 2026 for d in catalog.devices.values())
    assert all(len(i.source) >= 8 and 2000 <= i.year <= 2026 for i in catalog.instances.values())
    assert all(len(r["source"]) >= 8 and 2015 <= int(r["year"]) <= 2026 for r in read_shipped("intensity.csv"))
    for p in catalog.providers.values():
        assert p.pue is None or (p.pue_source and p.pue_year)


def test_cpus_have_cores(catalog: Catalog) -> None:
    cpus = [d for d in catalog.devices.values() if d.is_cpu]
    assert all(d.cores and d.threads and d.threads >= d.cores for d in cpus)


def test_names_and_aliases_are_unique(catalog: Catalog) -> None:
    owner: dict[str, str] = {}
    for d in catalog.devices.values():
        for name in {d.id, d.name, *d.aliases}:
            assert owner.setdefault(norm(name), d.id) == d.id, name


@pytest.mark.parametrize("row", read_csv("tdp_verified.csv"), ids=lambda r: r["id"])
def test_tdp_checked_against_vendor_datasheet(catalog: Catalog, row: dict[str, str]) -> None:
    device = catalog.devices[row["id"]]
    assert device.tdp_w == float(row["tdp_w"])


def test_tdp_table_is_large_enough() -> None:
    assert len(read_csv("tdp_verified.csv")) >= 30


def test_known_public_table_mistakes_are_not_inherited(catalog: Catalog) -> None:
    # NVIDIA V100 datasheet: SXM2 300 W, PCIe 250 W (ML CO2 Impact lists the reverse)
    assert catalog.devices["nvidia-v100-sxm2-16gb"].tdp_w == 300
    assert catalog.devices["nvidia-v100-pcie-16gb"].tdp_w == 250
    gtx750 = [d for d in catalog.devices.values() if "gtx 750" in d.name.lower()]
    assert all(d.tdp_w < 100 for d in gtx750)


@pytest.mark.parametrize("row", read_csv("regions_checked.csv"), ids=lambda r: f"{r['place']}-{r['dataset']}")
def test_intensity_checked_against_source(row: dict[str, str]) -> None:
    key = (row["place"], row["year"], row["basis"], row["dataset"])
    found = [
        float(r["intensity_g_per_kwh"])
        for r in read_shipped("intensity.csv")
        if (r["place"], r["year"], r["basis"], r["dataset"]) == key
    ]
    assert found == [float(row["intensity_g_per_kwh"])]


def test_region_table_is_large_enough() -> None:
    assert len(read_csv("regions_checked.csv")) >= 20


def test_cloud_rows_in_one_zone_share_its_series() -> None:
    # Frankfurt: AWS, GCP and Azure name the same zone, hence the same life-cycle series
    zones = {r["id"]: r["zone"] for r in read_shipped("regions.csv")}
    assert zones["aws:eu-central-1"] == zones["gcp:europe-west3"] == zones["azure:germanywestcentral"] == "DE"
    assert zones["DE"] == ""  # DE has its own series
    assert all(zones[i] for i in zones if ":" in i)


def test_google_own_figures_are_kept_beside() -> None:
    gcp = {r["id"] for r in read_shipped("regions.csv") if r["provider"] == "gcp"}
    google = {r["place"] for r in read_shipped("intensity.csv") if r["dataset"] == "google"}
    assert gcp == google


@pytest.mark.skipif(not REFERENCE.is_dir(), reason="shared/reference is beside the checkout only in CI")
def test_eco2ai_country_figures_are_kept_beside() -> None:
    with open(REFERENCE / "eco2ai" / "carbon_index.csv", encoding="utf-8") as fh:
        eco = {
            r["alpha_2_code"]: float(r["Emission intensity, kg/MWh"])
            for r in csv.DictReader(fh)
            if r["region"] == "Whole country" and r["Emission intensity, kg/MWh"]
        }
    ours = {
        r["place"]: float(r["intensity_g_per_kwh"]) for r in read_shipped("intensity.csv") if r["dataset"] == "eco2ai"
    }
    places = {r["id"] for r in read_shipped("regions.csv")}
    for code, other in eco.items():
        if code in places and code != "CF":  # CF's 0 g/kWh is left out as a data error
            assert ours[code] == pytest.approx(other, abs=0.051), code


def test_every_instance_resolves_to_catalog_devices(catalog: Catalog) -> None:
    for inst in catalog.instances.values():
        if inst.accelerator:
            assert not catalog.devices[inst.accelerator].is_cpu
        if inst.cpu:
            assert catalog.devices[inst.cpu].is_cpu


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("NVIDIA H100 80GB HBM3", "nvidia-h100-sxm5-80gb"),
        ("Tesla V100-SXM2-32GB", "nvidia-v100-sxm2-32gb"),
        ("NVIDIA A100-SXM4-40GB", "nvidia-a100-sxm4-40gb"),
        ("Tesla P100-PCIE-16GB", "nvidia-p100-pcie-16gb"),
        ("Tesla T4", "nvidia-t4"),
        ("H100 SXM", "nvidia-h100-sxm5-80gb"),
        ("A100 80GB SXM", "nvidia-a100-sxm4-80gb"),
    ],
)
def test_names_tools_print(catalog: Catalog, query: str, expected: str) -> None:
    assert catalog.device(query)[0].id == expected


@pytest.mark.parametrize("query", ["A100 80G", "A100"])
def test_near_misses_list_the_variants(catalog: Catalog, query: str) -> None:
    with pytest.raises(AmbiguousNameError) as info:
        catalog.device(query)
    assert "nvidia-a100-sxm4-80gb" in info.value.candidates


def test_did_you_mean(catalog: Catalog) -> None:
    assert catalog.device("h100sxm")[0].id == "nvidia-h100-sxm5-80gb"  # punctuation-insensitive alias
    with pytest.raises(UnknownHardwareError) as info:
        catalog.device("H100 SMX5")
    assert "nvidia-h100-sxm5-80gb" in info.value.suggestions


@pytest.mark.parametrize(
    ("query", "provider", "expected"),
    [
        ("Iowa", None, "US-IA"),
        ("Iowa", "gcp", "gcp:us-central1"),
        ("Montréal", "gcp", "gcp:northamerica-northeast1"),
        ("Montreal", "aws", "aws:ca-central-1"),
        ("Frankfurt", "aws", "aws:eu-central-1"),
        ("East US", None, "azure:eastus"),
        ("Europe (Frankfurt)", None, "aws:eu-central-1"),
        ("West Europe", None, "azure:westeurope"),
        ("us-central1", None, "gcp:us-central1"),
        ("eastus", None, "azure:eastus"),
        ("google:europe-west4", None, "gcp:europe-west4"),
        ("québec", None, "CA-QC"),
        ("CA-QC", None, "CA-QC"),
        ("se-se3", None, "SE-SE3"),
        ("Czech Republic", None, "CZ"),
    ],
)
def test_region_lookup_by_name(catalog: Catalog, query: str, provider: str | None, expected: str) -> None:
    assert catalog.region(query, provider)[0].id == expected


def test_city_shared_by_providers_is_ambiguous(catalog: Catalog) -> None:
    with pytest.raises(AmbiguousNameError) as info:
        catalog.region("Frankfurt")
    assert {"aws:eu-central-1", "gcp:europe-west3", "azure:germanywestcentral"} <= set(info.value.candidates)


def test_grid_spread_is_real() -> None:
    # Québec's hydro grid against Poland's coal: the factor the tool exists to show
    assert latest_lifecycle_g_per_kwh("CA-QC") < 50
    assert latest_lifecycle_g_per_kwh("PL") > 500
