"""Loading users' own data files: merged over the shipped data, or refused whole
with the file, row and field named."""

from __future__ import annotations

from pathlib import Path

import pytest

import estimator
from estimator.catalog import load_catalog
from estimator.errors import DataError
from estimator.schema import INTENSITY_COLUMNS, REGION_COLUMNS

DEVICE = """
devices:
  - id: lab-gpu
    name: Lab GPU 9000
    vendor: lab
    kind: gpu
    tdp_w: {tdp}
    power_basis: tdp
    memory_gb: 48
    released: 2025
    year: 2025
    source: vendor datasheet, 2025
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_user_device_merges_and_replaces(tmp_path: Path) -> None:
    mine = write(tmp_path, "mine.yaml", DEVICE.format(tdp=275))
    cat = load_catalog([mine])
    assert cat.devices["lab-gpu"].tdp_w == 275
    assert "lab-gpu" not in load_catalog().devices  # the shipped catalog is untouched
    override = write(tmp_path, "override.yaml", DEVICE.format(tdp=275).replace("lab-gpu", "nvidia-t4"))
    assert load_catalog([override]).devices["nvidia-t4"].name == "Lab GPU 9000"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (DEVICE.format(tdp=-5), "devices row 1 (id lab-gpu): field 'tdp_w'"),
        (DEVICE.format(tdp="lots"), "expected a number"),
        (DEVICE.format(tdp=100).replace("kind: gpu", "kind: fpga"), "'fpga' is not one of"),
        (DEVICE.format(tdp=100).replace("    source: vendor datasheet, 2025\n", ""), "field 'source': missing"),
        (DEVICE.format(tdp=100).replace("tdp_w:", "tdp:"), "unknown field 'tdp' (did you mean 'tdp_w'?)"),
        (DEVICE.format(tdp=100).replace("Lab GPU 9000", "Tesla T4"), "already names device 'nvidia-t4'"),
        ("devices: [1, 2]", "expected a mapping of fields"),
        ("gpus: []", "unknown top-level key 'gpus'"),
        ("devices:\n  - id: [unclosed\n", "not valid YAML"),
        ("", "the file is empty"),
        (
            "instances:\n  - {id: 'aws:x1', provider: aws, name: x1, accelerator: nvidia-t5, accelerator_count: 1,"
            " vcpus: 4, memory_gb: 16, year: 2024, source: aws docs 2024}\n",
            "'nvidia-t5' is not an accelerator device id",
        ),
    ],
)
def test_bad_yaml_rows_are_refused(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, "mine.yaml", text)
    with pytest.raises(DataError) as info:
        load_catalog([path])
    assert message in str(info.value)
    assert str(path) in str(info.value)


def region_csv(*rows: str) -> str:
    return ",".join(REGION_COLUMNS) + "\n" + "".join(r + "\n" for r in rows)


def intensity_csv(*rows: str) -> str:
    return ",".join(INTENSITY_COLUMNS) + "\n" + "".join(r + "\n" for r in rows)


def test_user_regions_csv(tmp_path: Path) -> None:
    sites = write(tmp_path, "sites.csv", region_csv("lab-site,zone,Lab site,FR,,,,,,,,,,,,,"))
    figures = write(tmp_path, "figures.csv", intensity_csv("lab-site,2025,lifecycle,12.5,utility,our utility 2025,"))
    e = estimator.estimate(hardware="nvidia-t4", hours=10, region="Lab site", pue=1.0, data_files=[sites, figures])
    # 70 W × 10 h = 0.7 kWh × 12.5 g/kWh = 8.75 g
    assert e.co2e_g == pytest.approx(8.75)
    assert e.intensity_year == 2025 and e.region is not None and e.region["dataset"] == "utility"


def test_user_site_in_a_shipped_zone(tmp_path: Path) -> None:
    # a lab in Lyon with no figure of its own takes the French grid's series
    sites = write(tmp_path, "sites.csv", region_csv("lab-lyon,zone,Lab Lyon,FR,,,,FR,our map,,,,,,,,"))
    e = estimator.estimate(hardware="nvidia-t4", hours=10, region="lab-lyon", year=2023, data_files=[sites])
    france = estimator.estimate(hardware="nvidia-t4", hours=10, region="FR", year=2023)
    assert e.intensity_g_per_kwh == france.intensity_g_per_kwh and e.region is not None
    assert e.region["zone"] == "FR"


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("lab,zone,Lab,XX,,,,,,,,,,,,,", "'XX' is not a country row"),
        ("lab,zone,Lab,FR,,,,,,1.2,,,,,,,", "give all three or none"),
        ("lab,zone,Lab,FR,,,,,,,,,,,,,,,,extra", "more fields than the header"),
        ("x:lab,cloud,Lab,FR,,x,Paris,FR,,,,,,,,,", "'x' is not in providers.yaml"),
        ("lab,zone,Lab,FR,,,,NOPE,,,,,,,,,", "'NOPE' is not a world, country"),
        ("lab,zone,Lab,FR,,,,,,,,,,,,,", "no intensity figure for lab"),
        ("lab,zone,Lab,FR,,,,gcp:europe-west1,,,,,,,,,", "is not a world, country"),
    ],
)
def test_bad_region_rows_are_refused(tmp_path: Path, row: str, message: str) -> None:
    good = "ok-site,zone,OK,FR,,,,FR,,,,,,,,,"
    path = write(tmp_path, "sites.csv", region_csv(good, row))
    with pytest.raises(DataError, match=r"sites\.csv") as info:
        load_catalog([path])
    assert message in str(info.value)
    # nothing half-loaded: the good row of the refused file is nowhere
    assert "ok-site" not in load_catalog().regions


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("FR,2024,lifecycle,5000,x,x source,", "line 3: field 'intensity_g_per_kwh'"),
        ("FR,1890,lifecycle,50,x,x source,", "field 'year'"),
        ("FR,2024,average,50,x,x source,", "field 'basis': 'average' is not one of lifecycle, direct"),
        ("Atlantis,2024,lifecycle,50,x,x source,", "place 'Atlantis' is not a region id"),
        ("FR,2024,lifecycle,50,x,,", "field 'source': missing"),
        ("FR,2024,lifecycle,50,mine,x source,", "FR 2024 lifecycle mine appears twice"),
    ],
)
def test_bad_intensity_rows_are_refused(tmp_path: Path, row: str, message: str) -> None:
    path = write(tmp_path, "figures.csv", intensity_csv("FR,2024,lifecycle,50,mine,x source,", row))
    with pytest.raises(DataError, match=r"figures\.csv") as info:
        load_catalog([path])
    assert message in str(info.value)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.yaml", None, "no such data file"),
        ("notes.txt", "hello", "unknown data file type '.txt'"),
        ("binary.yaml", b"\xff\xfe\x00\x01", "not UTF-8"),
    ],
)
def test_unreadable_files(tmp_path: Path, name: str, content: str | bytes | None, message: str) -> None:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(DataError, match=message):
        load_catalog([path])


def test_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="is a folder"):
        load_catalog([tmp_path])


def test_changed_file_is_reloaded(tmp_path: Path) -> None:
    path = write(tmp_path, "mine.yaml", DEVICE.format(tdp=100))
    assert load_catalog([path]).devices["lab-gpu"].tdp_w == 100
    path.write_text(DEVICE.format(tdp=120) + "\n# edited\n", encoding="utf-8")
    assert load_catalog([path]).devices["lab-gpu"].tdp_w == 120


def test_listing_api() -> None:
    gpus = estimator.hardware(kind="gpu")
    assert gpus and all(d.kind == "gpu" for d in gpus)
    assert all({"id", "name", "kind", "tdp_w", "source"} <= set(d.to_dict()) for d in gpus)
    aws = estimator.instances("aws")
    assert aws and all(i.provider == "aws" for i in aws)
    gcp = estimator.regions(provider="Google Cloud")
    assert gcp and all(r.provider == "gcp" for r in gcp)
    clean = estimator.cleanest_regions("gcp", n=3)
    assert len(clean) == 3
    figures = [choice.value_g_per_kwh for _, choice in clean]
    assert figures == sorted(figures)
    every = [estimator.region_intensity(r.id).value_g_per_kwh for r in gcp]
    assert figures[0] == min(every)
    with pytest.raises(estimator.InputError, match="kind must be one of"):
        estimator.hardware(kind="fpga")
    with pytest.raises(estimator.InputError):
        estimator.cleanest_regions("gcp", n=0)


def test_cache_round_trip_and_corrupt_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from estimator import catalog as cat_mod

    monkeypatch.setenv("CO2_ESTIMATOR_CACHE_DIR", str(tmp_path))
    shipped = [cat_mod.data_dir() / n for n in cat_mod.DATA_FILES]
    built = cat_mod._shipped_catalog(shipped)
    files = list(tmp_path.glob("catalog-*.json"))
    assert len(files) == 1
    cached = cat_mod._shipped_catalog(shipped)
    assert cached is not built
    assert cached.devices == built.devices and cached.regions == built.regions
    assert cached.data_version == built.data_version
    assert cached.device("NVIDIA A100-SXM4-80GB")[0].id == "nvidia-a100-sxm4-80gb"
    files[0].write_bytes(b"not the cache")
    rebuilt = cat_mod._shipped_catalog(shipped)
    assert rebuilt.devices == built.devices


def test_cache_off_and_unwritable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from estimator import catalog as cat_mod

    shipped = [cat_mod.data_dir() / n for n in cat_mod.DATA_FILES]
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    monkeypatch.setenv("CO2_ESTIMATOR_CACHE_DIR", str(blocker / "sub"))  # cannot be created
    assert cat_mod._shipped_catalog(shipped).devices
    monkeypatch.setenv("CO2_ESTIMATOR_NO_CACHE", "1")
    assert cat_mod.cache_dir() is None
