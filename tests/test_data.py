"""The shipped data: schema (enforced by the loader), coverage, ranges, and
figures checked by hand against vendor datasheets and providers' own reports."""

from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path
from urllib.parse import urlparse

import pytest

from estimator import estimate
from estimator.catalog import Catalog, load_catalog
from estimator.errors import AmbiguousNameError, DataError, UnknownHardwareError
from estimator.names import norm

HERE = Path(__file__).resolve().parent
REFERENCE = HERE.parent.parent / "shared" / "reference"

# Plausible power per device, by kind (W). A value outside is a unit or copy mistake.
# Partition rows (a cloud's 1/N share of one GPU, id "<gpu>-1ofN") are checked against their GPU instead.
POWER_RANGE_W = {"gpu": (10, 1500), "tpu": (50, 1500), "npu": (10, 1500), "soc": (3, 400), "cpu": (3, 600)}
PARTITION = re.compile(r"^(?P<base>.+)-1of(?P<n>[0-9]+)$")
URL = re.compile(r"https?://[^\s,;()'\"]+")
LOCALE = re.compile(r"^[a-z]{2}(-[a-z]{2})?$")
# Family overview pages that list many modules: not a source for one row's figure.
GENERIC_PAGES = {"developer.nvidia.com/embedded/jetson-modules", "ark.intel.com"}
# Rows whose only public source is a press report with no stable page (kept, low confidence, named here so a
# new row without a URL fails).
SOURCE_WITHOUT_URL = {"huawei-ascend-910b"}
# Accelerator instances whose provider publishes no host CPU model (Google's TPU VMs): the note must say so, and a
# new accelerator instance without a cpu fails.
HOST_CPU_NOT_PUBLISHED = {
    "gcp:v2-8",
    "gcp:v3-8",
    "gcp:v4-8",
    "gcp:v5litepod-1",
    "gcp:v5litepod-4",
    "gcp:v5litepod-8",
    "gcp:v5p-8",
    "gcp:v6e-1",
    "gcp:v6e-4",
    "gcp:v6e-8",
    "gcp:tpu7x-standard-4t",
}


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
    devices = [d for d in catalog.devices.values() if d.kind == kind and not PARTITION.match(d.id)]
    bad = [(d.id, d.tdp_w) for d in devices if not low <= d.tdp_w <= high]
    assert devices and not bad


def test_partitions_are_their_gpus_share(catalog: Catalog) -> None:
    """A 1/N partition draws the GPU's TDP / N (to the centiwatt) and has at most its memory."""
    parts = [(d, m) for d in catalog.devices.values() if (m := PARTITION.match(d.id))]
    assert len(parts) >= 12
    for d, m in parts:
        base = catalog.devices[m["base"]]
        n = int(m["n"])
        assert d.tdp_w == round(base.tdp_w / n, 2), d.id
        assert d.kind == base.kind and d.power_basis == base.power_basis, d.id
        assert d.memory_gb is not None and base.memory_gb is not None and d.memory_gb <= base.memory_gb / n + 1, d.id
    used = {i.accelerator for i in catalog.instances.values()}
    assert {d.id for d, _ in parts} <= used  # no partition row without the instance that sells it


def test_estimated_power_bounds_contain_the_figure(catalog: Catalog) -> None:
    bounded = [d for d in catalog.devices.values() if d.tdp_high_w is not None]
    assert {"google-tpu-v7", "huawei-ascend-910c", "microsoft-maia-100"} <= {d.id for d in bounded}
    assert all(d.tdp_high_w is not None and d.tdp_high_w >= d.tdp_w for d in bounded)
    # TPU v7: Google's ~10 MW for a 9,216-chip pod, hosts and network included
    assert catalog.devices["google-tpu-v7"].tdp_high_w == round(10e6 / 9216)


def test_upper_bound_widens_only_the_high_end() -> None:
    # TPU v7, 1 h, PUE 1, 100 g/kWh: central 0.486 kWh -> 48.6 g; low 0.25 x 48.6 = 12.15 g; high 1.085 kWh -> 108.5 g
    e = estimate(hardware="google-tpu-v7", hours=1, pue=1.0, intensity=100)
    assert (e.co2e_g, e.co2e_low_g, e.co2e_high_g) == pytest.approx((48.6, 12.15, 108.5))
    assert any("1085 W" in b for b in e.range_basis)
    # a device without a bound keeps TDP as the high end: A100 SXM4 400 W -> 40 g both
    a100 = estimate(hardware="nvidia-a100-sxm4-80gb", hours=1, pue=1.0, intensity=100)
    assert a100.co2e_high_g == pytest.approx(a100.co2e_g) == pytest.approx(40.0)
    # the user's own power_w is not widened by the catalog's bound
    mine = estimate(hardware="google-tpu-v7", hours=1, pue=1.0, intensity=100, power_w=500)
    assert mine.co2e_high_g == pytest.approx(50.0)


def test_a_measured_mean_has_its_measured_range_not_a_tdp_fraction() -> None:
    """TPU v4: Google measured min/mean/max 90/170/192 W a chip. 4 chips, 10 h, PUE 1, 100 g/kWh:
    central 4 × 170 × 10 / 1000 = 6.8 kWh -> 680 g; low 4 × 90 × 10 / 1000 = 3.6 kWh -> 360 g (not 0.25 × 680);
    high 4 × 192 × 10 / 1000 = 7.68 kWh -> 768 g (a mean is no upper bound)."""
    e = estimate(hardware="google-tpu-v4", count=4, hours=10, pue=1.0, intensity=100)
    assert (e.energy_kwh, e.energy_low_kwh) == pytest.approx((6.8, 3.6), rel=1e-12)
    assert (e.co2e_g, e.co2e_low_g, e.co2e_high_g) == pytest.approx((680.0, 360.0, 768.0), rel=1e-12)
    assert "Google TPU v4: measured 90 to 192 W (mean 170 W; see its note)" in e.range_basis
    assert not any("× TDP" in b for b in e.range_basis)
    # a utilization says the draw: no range from the device, as for a TDP device
    half = estimate(hardware="google-tpu-v4", count=4, hours=10, pue=1.0, intensity=100, utilization=0.5)
    assert half.co2e_low_g == half.co2e_g == half.co2e_high_g == pytest.approx(340.0, rel=1e-12)
    # with a TDP device beside it, each keeps its own: an A100 (400 W) at 0.25 to 1 × TDP
    both = estimate(hardware="google-tpu-v4", count=4, hours=10, pue=1.0, intensity=100, cpu="amd-epyc-7742")
    assert both.co2e_low_g == pytest.approx(360.0 + 0.25 * 225 * 10 / 1000 * 100, rel=1e-12)


@pytest.mark.parametrize(
    ("fields", "said"),
    [
        (
            "tdp_w: 170, power_low_w: 90, power_basis: tdp",
            "the lowest measured power goes with power_basis measured, not tdp",
        ),
        ("tdp_w: 170, power_low_w: 200, power_basis: measured", "200 W is above tdp_w 170 W"),
    ],
)
def test_power_low_w_is_a_measured_lower_bound(tmp_path: Path, fields: str, said: str) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        f"devices:\n- {{id: my-chip, name: My Chip, vendor: me, kind: npu, {fields},\n"
        "   memory_gb: 16, released: 2025, year: 2025, source: https://example.org/my-chip}\n",
        encoding="utf-8",
    )
    with pytest.raises(DataError, match=said):
        load_catalog(bad)


def test_upper_bound_below_the_figure_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "devices:\n- {id: my-chip, name: My Chip, vendor: me, kind: npu, tdp_w: 500, tdp_high_w: 400,\n"
        "   power_basis: estimate, memory_gb: 16, released: 2025, year: 2025, source: https://example.org/my-chip}\n",
        encoding="utf-8",
    )
    with pytest.raises(DataError, match="tdp_high_w"):
        load_catalog(bad)


def test_every_device_source_is_a_specific_page(catalog: Catalog) -> None:
    """A URL to a product page, datasheet or paper: not a bare domain, not a site's home page."""
    missing, home = [], []
    for d in catalog.devices.values():
        urls = URL.findall(d.source)
        if not urls:
            missing.append(d.id)
            continue
        for url in urls:
            segments = [s for s in urlparse(url.rstrip(".")).path.split("/") if s and not LOCALE.match(s)]

            parsed = urlparse(url.rstrip("./"))
            if (not segments and not parsed.query) or f"{parsed.netloc}{parsed.path}" in GENERIC_PAGES:
                home.append((d.id, url))
    assert set(missing) == SOURCE_WITHOUT_URL
    assert not home
    for ident in SOURCE_WITHOUT_URL:
        assert "low confidence" in catalog.devices[ident].note.lower()


def test_every_accelerator_instance_has_a_host_cpu(catalog: Catalog) -> None:
    without = {i.id for i in catalog.instances.values() if i.accelerator and not i.cpu}
    assert without == HOST_CPU_NOT_PUBLISHED
    for ident in without:
        assert "host CPU model not published" in catalog.instances[ident].note
    # the host share is counted: p5en's 192 vCPUs of a 96-thread, 350 W (estimated) Xeon 8488C = 700 W
    p5en = estimate(instance="aws:p5en.48xlarge", hours=1, pue=1.0, intensity=100)
    cpu = [c for c in p5en.components if c.kind == "cpu"]
    assert len(cpu) == 1 and cpu[0].draw_w == pytest.approx(192 * 350 / 96)


def test_partial_gpu_instance_counts_its_share() -> None:
    # Azure NV6ads A10 v5: 1/6 of a 150 W A10 = 25 W for the GPU, not 150 W
    e = estimate(instance="azure:Standard_NV6ads_A10_v5", hours=1, pue=1.0, intensity=100)
    gpu = [c for c in e.components if c.kind == "accelerator"]
    assert len(gpu) == 1 and gpu[0].draw_w == pytest.approx(25.0)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("NVIDIA B300 SXM6 AC", "nvidia-b300"),
        ("Trainium3", "aws-trainium3"),
        ("Ascend 910C", "huawei-ascend-910c"),
        ("Maia 100", "microsoft-maia-100"),
        ("MTIA v1", "meta-mtia-v1"),
        ("MTIA v2", "meta-mtia-v2"),
        ("MTIA 300", "meta-mtia-300"),
        ("GeForce RTX 5050", "nvidia-rtx-5050"),
        ("M2 Pro", "apple-m2-pro"),
        ("Radeon PRO V710", "amd-radeon-pro-v710"),
        ("Xeon Platinum 8559C", "intel-xeon-platinum-8559c"),
    ],
)
def test_new_devices_resolve(catalog: Catalog, query: str, expected: str) -> None:
    assert catalog.device(query)[0].id == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("aws:p6-b300.48xlarge", "aws:p6-b300.48xlarge"),
        ("p6e-gb200.36xlarge", "aws:p6e-gb200.36xlarge"),
        ("g6f.large", "aws:g6f.large"),
        ("gr6f.4xlarge", "aws:gr6f.4xlarge"),
        ("ct5p-hightpu-4t", "gcp:v5p-8"),
        ("gcp:ct5p-hightpu-4t", "gcp:v5p-8"),
        ("ct6e-standard-1t", "gcp:v6e-1"),
        ("ct6e-standard-4t", "gcp:v6e-4"),
        ("gcp:ct6e-standard-8t", "gcp:v6e-8"),
        ("ct5lp-hightpu-1t", "gcp:v5litepod-1"),
        ("ct5lp-hightpu-4t", "gcp:v5litepod-4"),
        ("gcp:ct5lp-hightpu-8t", "gcp:v5litepod-8"),
        ("ct4p-hightpu-4t", "gcp:v4-8"),
        ("azure:Standard_ND128isr_GB300_v6", "azure:Standard_ND128isr_GB300_v6"),
        ("NCC H100 v5", "azure:Standard_NCC40ads_H100_v5"),
        ("Standard_NV6ads_A10_v5", "azure:Standard_NV6ads_A10_v5"),
        ("NV4as v4", "azure:Standard_NV4as_v4"),
        ("Standard_NV4ads_V710_v5", "azure:Standard_NV4ads_V710_v5"),
    ],
)
def test_new_instances_resolve(catalog: Catalog, query: str, expected: str) -> None:
    assert catalog.instance(query)[0].id == expected


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


def test_gh100_is_no_alias_of_the_grace_cpu(catalog: Catalog) -> None:
    # GH100 is the Hopper GPU's die (H100); a Grace CPU answering to it turned a GPU job into a CPU one
    with pytest.raises(UnknownHardwareError):
        catalog.device("GH100")
    assert not any("GH100" in a for a in catalog.devices["nvidia-grace-cpu-superchip"].aliases)


def test_a_source_that_names_its_year_is_not_given_it_twice(tmp_path: Path) -> None:
    # "(our wall-meter measurement, 2024, 2024)" read as a typo; other sources keep their year
    mine = tmp_path / "mine.yaml"
    mine.write_text(
        "devices:\n  - {id: lab-fpga, name: Lab FPGA Board, vendor: lab, kind: npu, tdp_w: 75,\n"
        "     power_basis: measured, memory_gb: 8, released: 2024, year: 2024,\n"
        '     source: "our wall-meter measurement, 2024"}\n',
        encoding="utf-8",
    )
    e = estimate(hardware="Lab FPGA Board", hours=10, region="FR", data_files=str(mine))
    assert e.provenance["power"] == ["Lab FPGA Board: measured average power 75 W (our wall-meter measurement, 2024)"]
    t4 = estimate(hardware="T4", hours=1, region="FR")
    assert t4.provenance["power"][0].endswith(", 2019)")
