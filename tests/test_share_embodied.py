"""A cloud's share of one GPU (1/6 of an A10) carries that share of the GPU's embodied emissions.

The share rows of data/hardware.yaml name their board (``share_of``) and the
fraction (``share``); the embodied figure per device of a share is that fraction
of the whole board's (its own kg plus its share of a server), wherever the
embodied figure appears: estimate(), the batch, the text and card body, the
CLI, the app and Slurm.

Hand figures (data/embodied.yaml): an A10 has no figure of its own, so it takes
the GPU default, 150 kg, plus 1/8 of the 2,500 kg 8-GPU server = 462.5 kg;
spread over 6 years x 8,760 h x 0.85 = 44,676 h (the high end: 4 years,
29,784 h). Azure NV6ads A10 v5: 1/6 of an A10; its 6 vCPUs of an AMD EPYC
74F3V are inside the 8-GPU server's figure, which leaves out only the GPUs
(before 2026-12-03 they added 1/8 of a 600 kg CPU package and CPU server:
tests/test_embodied_server.py).
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from estimator import estimate, report, slurm
from estimator.batch import estimate_many
from estimator.catalog import Catalog, load_catalog
from estimator.errors import DataError
from estimator.job import Job
from estimator.plan import resolve
from tests.conftest import ROOT, run_cli

NV6 = "azure:Standard_NV6ads_A10_v5"
LIFE_H, LIFE_SHORT_H = 6 * 8760 * 0.85, 4 * 8760 * 0.85  # 44,676 h and 29,784 h
A10_KG = 150 + 2500 / 8  # 462.5 kg: GPU default + 1/8 of the 8-GPU server (its host CPUs inside)
PARTITION_ID = re.compile(r"^(?P<board>.+)-1of(?P<n>[0-9]+)$")

SHARES = sorted(d.id for d in load_catalog().devices.values() if d.share_of is not None)


def test_the_hand_figures_are_the_datas() -> None:
    """The figures this file works by hand are the shipped data's (a change in the data shows here first)."""
    emb = load_catalog().embodied
    assert "nvidia-a10" not in emb.devices and emb.kinds["gpu"].kg == 150
    assert emb.accelerator_server is not None and (emb.accelerator_server.kg, emb.accelerator_server.per) == (2500, 8)
    assert emb.cpu_server is not None and (emb.cpu_server.kg, emb.cpu_server.per) == (1000, 2)
    assert emb.kinds["cpu"].kg == 100 and "amd-epyc-74f3v" not in emb.devices
    assert emb.lifetime is not None
    assert (emb.lifetime.years, emb.lifetime.years_short, emb.lifetime.utilization) == (6, 4, 0.85)
    assert NV6 not in emb.instances  # no CCF host row: its GPU share's part of the server stands for the host


def test_nv6ads_a10_v5_for_10_hours_worked_by_hand() -> None:
    # GPU: 462.5 kg / 6 = 77.083 kg -> 77,083 g x 10 h / 44,676 h = 17.254 g (a whole A10: 103.52 g)
    # CPU: its 6 vCPUs are inside the server part of the 462.5 kg; nothing more (was 1/8 x 600 kg -> 16.788 g)
    gpu_g = A10_KG / 6 * 1000 * 10 / LIFE_H
    assert gpu_g == pytest.approx(17.2539, abs=1e-4)
    e = estimate(instance=NV6, hours=10, region="azure:westeurope")
    assert e.embodied_g == pytest.approx(gpu_g, rel=1e-12) == pytest.approx(17.2539, abs=1e-4)
    high = A10_KG / 6 * 1000 * 10 / LIFE_SHORT_H
    assert e.embodied_high_g == pytest.approx(high, rel=1e-12) == pytest.approx(25.8808, abs=1e-4)
    # before the share was applied the figure was 103.52 g (+ the CPU's): a whole A10 per device-hour
    whole = estimate(hardware="nvidia-a10", hours=10, region="azure:westeurope")
    assert whole.embodied_g == pytest.approx(A10_KG * 1000 * 10 / LIFE_H, rel=1e-12)
    assert e.embodied_g == pytest.approx(whole.embodied_g / 6, rel=1e-12)
    basis = [b for b in e.embodied_basis if b.startswith("NVIDIA A10, 1/6 GPU partition:")]
    assert len(basis) == 1 and "1/6 of a whole NVIDIA A10's 462.5 kg = 77.08 kg" in basis[0]


def test_the_partial_sizes_are_the_whole_size_divided() -> None:
    """NV6ads is 1/6 of NV36ads in GPU and in vCPUs (the host share): so is its embodied figure."""
    for part, whole, n in [
        (NV6, "azure:Standard_NV36ads_A10_v5", 6),
        ("azure:Standard_NV12ads_A10_v5", "azure:Standard_NV36ads_A10_v5", 3),
        ("azure:Standard_NV4ads_V710_v5", "azure:Standard_NV24ads_V710_v5", 6),
        ("azure:Standard_NV4as_v4", "azure:Standard_NV32as_v4", 8),
    ]:
        small = estimate(instance=part, hours=10, region="azure:westeurope")
        big = estimate(instance=whole, hours=10, region="azure:westeurope")
        assert small.embodied_g == pytest.approx(big.embodied_g / n, rel=1e-12), part
        assert small.embodied_high_g == pytest.approx(big.embodied_high_g / n, rel=1e-12), part


# The GPUs of a board that holds several (nvidia-smi and the clouds count each as one): their board's row.
BOARD_GPUS = {
    "nvidia-k80": ("nvidia-k80-board", 2),
    "nvidia-m60": ("nvidia-m60-board", 2),
    "nvidia-a16": ("nvidia-a16-board", 4),
}


def test_every_partition_row_says_its_board_and_share() -> None:
    """Every "<board>-1ofN" row carries share_of: <board>, share: 1/N, and each GPU of a multi-GPU board its
    board and 1/GPUs; no other row carries a share."""
    devices = load_catalog().devices
    by_id = {i: (m["board"], int(m["n"])) for i in devices if (m := PARTITION_ID.match(i))}
    assert set(by_id) | set(BOARD_GPUS) == set(SHARES) and len(SHARES) >= 15
    for ident, (board, n) in {**by_id, **BOARD_GPUS}.items():
        d = devices[ident]
        assert d.share_of == board and d.share == 1 / n, ident
        assert d.share_text == f"1/{n}"
        assert d.tdp_w == pytest.approx(devices[board].tdp_w * d.share, abs=0.01)


def test_a_gpu_of_a_multi_gpu_board_carries_its_share_of_the_board() -> None:
    """One K80 GPU (of two on a board) carried a whole board's 150 kg and 1/8 of the server: 462.5 kg, a board
    counted twice; now 1/2 x (150 + 2500/8) = 231.25 kg. An A16 GPU: 1/4 x 462.5 = 115.625 kg."""
    life_h = 6 * 8760 * 0.85
    for gpu, kg in (("nvidia-k80", 231.25), ("nvidia-m60", 231.25), ("nvidia-a16", 115.625)):
        e = estimate(hardware=gpu, hours=10, intensity=100)
        assert e.embodied_g == pytest.approx(kg * 1000 / life_h * 10, rel=1e-12), gpu
    board = estimate(hardware="nvidia-k80-board", hours=10, intensity=100)
    two = estimate(hardware="nvidia-k80", count=2, hours=10, intensity=100)
    assert board.embodied_g == pytest.approx(two.embodied_g, rel=1e-12)
    assert board.energy_kwh == pytest.approx(two.energy_kwh, rel=1e-12)  # 300 W = 2 x 150 W


@settings(max_examples=60, deadline=None)
@given(
    ident=st.sampled_from(SHARES),
    hours=st.floats(min_value=0.01, max_value=1e5, allow_nan=False, allow_infinity=False),
    count=st.integers(min_value=1, max_value=64),
)
def test_property_a_share_carries_its_share_of_the_boards_embodied(ident: str, hours: float, count: int) -> None:
    catalog = load_catalog()
    d = catalog.devices[ident]
    assert d.share_of is not None and d.share is not None
    part = resolve(Job(hardware=ident, hours=hours, intensity=100), catalog).embodied
    board = resolve(Job(hardware=d.share_of, hours=hours, intensity=100), catalog).embodied
    assert part.per_device_hour_g == pytest.approx(d.share * board.per_device_hour_g, rel=1e-12)
    assert part.per_device_high_hour_g == pytest.approx(d.share * board.per_device_high_hour_g, rel=1e-12)
    assert part.fixed_per_hour_g == board.fixed_per_hour_g == 0
    args: dict[str, Any] = {"hours": hours, "count": count, "intensity": 100, "pue": 1.0}
    e_part, e_board = estimate(hardware=ident, **args), estimate(hardware=d.share_of, **args)
    assert e_part.embodied_g == pytest.approx(d.share * e_board.embodied_g, rel=1e-12)
    assert e_part.embodied_high_g == pytest.approx(d.share * e_board.embodied_high_g, rel=1e-12)


def test_instances_with_a_share_take_the_share_per_device() -> None:
    catalog = load_catalog()
    sold = [i for i in catalog.instances.values() if i.accelerator in SHARES]
    assert {i.accelerator for i in sold} == set(SHARES) - {"nvidia-a16"}  # no instance of the data sells A16s
    for inst in sold:
        d = catalog.devices[str(inst.accelerator)]
        assert d.share is not None and d.share_of is not None
        if inst.id in catalog.embodied.instances:  # its own row (CCF's p2, g3): the host as CCF counts it
            continue
        part = resolve(Job(instance=inst.id, hours=1, intensity=100), catalog).embodied
        board = resolve(Job(hardware=d.share_of, hours=1, intensity=100), catalog).embodied
        assert part.per_device_hour_g == pytest.approx(d.share * board.per_device_hour_g, rel=1e-12), inst.id


def test_batch_equals_estimate_for_share_rows() -> None:
    instances = sorted(i.id for i in load_catalog().instances.values() if i.accelerator in SHARES)
    runs = pd.DataFrame(
        {
            "instance": [*instances, *([None] * len(SHARES))],
            "hardware": [*([None] * len(instances)), *SHARES],
            "count": [*([None] * len(instances)), *range(1, len(SHARES) + 1)],
            "hours": [10.0 + k for k in range(len(instances) + len(SHARES))],
            "region": "NL",  # a grid zone: the instances are of every provider
        }
    )
    out = estimate_many(runs)
    assert out["error"].isna().all()
    for (_, row), got in zip(runs.iterrows(), out["embodied_g"], strict=True):
        given = {str(k): v for k, v in row.items() if v is not None and not (isinstance(v, float) and math.isnan(v))}
        if "count" in given:
            given["count"] = int(given["count"])
        assert got == estimate(**given).embodied_g  # bit for bit
    at = instances.index(NV6)  # 10 + at hours of 1/6 of an A10 (its vCPUs inside the server part)
    hand = A10_KG / 6 * 1000 * (10 + at) / LIFE_H
    assert out["embodied_g"].iloc[at] == pytest.approx(hand, rel=1e-12)


def test_text_paragraph_and_card_body_show_the_share_figure() -> None:
    e = estimate(instance=NV6, hours=10, region="azure:westeurope")
    shown = report.mass(e.embodied_g)
    assert shown == "17.25 g CO2e"
    assert f"embodied (manufacturing, shown beside, not added): {shown}" in report.text(e)
    assert shown in report.markdown_paragraph(e)
    assert shown in report.environmental_impact_section(e)


def test_cli_shows_the_share_figure() -> None:
    out = run_cli("estimate", "--instance", NV6, "--hours", "10", "--region", "azure:westeurope")
    assert out.returncode == 0, out.stderr
    assert "embodied (manufacturing, shown beside, not added): 17.25 g CO2e (up to 25.88 g CO2e" in out.stdout
    assert "1/6 of a whole NVIDIA A10's 462.5 kg = 77.08 kg" in out.stdout
    js = run_cli("estimate", "--hardware", "nvidia-a10-1of6", "--hours", "10", "--region", "FR", "--format", "json")
    assert js.returncode == 0, js.stderr
    # the JSON rounds to 12 significant digits
    assert json.loads(js.stdout)["embodied_g"] == pytest.approx(A10_KG / 6 * 1000 * 10 / LIFE_H, rel=1e-11)


def test_slurm_partition_of_shares(tmp_path: Path) -> None:
    """A Slurm partition whose GPUs are 1/6 shares of an A10: each job carries 1/6 of an A10 per GPU-hour."""
    cluster_file = tmp_path / "cluster.yaml"
    cluster_file.write_text(
        "name: vGPU cluster\nsite: {region: FR, pue: 1.2}\n"
        "partitions:\n  vgpu: {accelerator: nvidia-a10-1of6, gpus_per_node: 6}\n",
        encoding="utf-8",
    )
    sacct = (
        "JobID|JobName|User|Account|Partition|State|Start|End|ElapsedRaw|NCPUS|NNodes|AllocTRES|NodeList\n"
        "7|render|ann|viz|vgpu|COMPLETED|2025-03-01T10:00:00|2025-03-01T20:00:00|36000|2|1|"
        "cpu=2,gres/gpu=2,mem=8G,node=1|v001\n"
    )
    cluster = slurm.load_cluster(cluster_file)
    jobs = slurm.estimate_jobs(slurm.read_sacct(sacct), cluster)
    assert len(jobs) == 1
    job = jobs.iloc[0]
    # 2 shares x 10 h x 462.5 kg / 6 / 44,676 h = 34.508 g
    assert job["embodied_g"] == pytest.approx(2 * A10_KG / 6 * 1000 * 10 / LIFE_H, rel=1e-12)
    assert job["embodied_g"] == estimate(**slurm.job_arguments(job.to_dict(), cluster)).embodied_g


def test_app_shows_the_share_figure() -> None:
    testing = pytest.importorskip("streamlit.testing.v1")
    at = testing.AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    for key, value in {"instance": NV6, "hours": "10", "region": "azure:westeurope"}.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, at.exception
    values = [m.value for m in at.metric if m.label == "Embodied (manufacturing)"]
    assert values == ["17.25 g CO2e"]


# ---------------------------------------------------------------- the schema and its checks


def _device(extra: str, ident: str = "lab-a10-half", tdp: str = "75") -> str:
    return (
        f"devices:\n- {{id: {ident}, name: Lab A10 half, vendor: nvidia, kind: gpu, tdp_w: {tdp}, power_basis: tdp,"
        f" memory_gb: 12, released: 2022, year: 2022, source: https://example.org/lab{extra}}}\n"
    )


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (", share: 1/2", "'share': given without share_of"),
        (", share_of: nvidia-a10", "'share': missing; a share_of row gives its fraction"),
        (", share_of: nvidia-a10, share: 3/2", "'share': expected a fraction of one board between 0 and 1"),
        (", share_of: nvidia-a10, share: half", "e.g. 1/6 or 0.5; got 'half'"),
        (", share_of: nvidia-a10, share: 0", "between 0 and 1"),
        (
            ", share_of: nvida-a10, share: 1/2",
            "'nvida-a10' is not the id of a whole gpu device (did you mean 'nvidia-a10'?)",
        ),
        (", share_of: nvidia-a10-1of2, share: 1/2", "is not the id of a whole gpu device"),
        (", share_of: intel-xeon-platinum-8480plus, share: 1/2", "is not the id of a whole gpu device"),
        (", share_of: nvidia-a10, share: 1/3", "a 1/3 share of nvidia-a10 (150 W, tdp) draws 50 W (tdp); got 75 W"),
    ],
)
def test_bad_share_rows_are_refused(tmp_path: Path, extra: str, message: str) -> None:
    board = "- {id: nvidia-a10, name: NVIDIA A10, vendor: nvidia, kind: gpu, tdp_w: 150, power_basis: tdp,"
    board += " memory_gb: 24, released: 2021, year: 2021, source: https://example.org/a10}\n"
    bad = tmp_path / "bad.yaml"
    bad.write_text(_device(extra) + board, encoding="utf-8")  # the board in the same file: the power is checked
    with pytest.raises(DataError, match=re.escape(message)):
        load_catalog(bad)


def test_a_cpu_cannot_be_a_share(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "devices:\n- {id: my-cpu-half, name: My CPU half, vendor: me, kind: cpu, tdp_w: 100, power_basis: tdp,"
        " cores: 8, threads: 16, released: 2022, year: 2022, source: https://example.org/cpu,"
        " share_of: amd-epyc-74f3v, share: 1/2}\n",
        encoding="utf-8",
    )
    with pytest.raises(DataError, match="a CPU is shared by vCPUs"):
        load_catalog(bad)


def test_an_embodied_figure_for_a_share_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "embodied_devices:\n- {id: nvidia-a10-1of6, embodied_kg: 150, year: 2022, source: https://example.org/x}\n",
        encoding="utf-8",
    )
    with pytest.raises(DataError, match=r"'nvidia-a10-1of6' is a 1/6 share of 'nvidia-a10'.*give the figure for"):
        load_catalog(bad)


def test_a_users_share_and_a_users_board_figure(tmp_path: Path) -> None:
    """A user's own share row (in their file, of a shipped board) and a user's figure for the board both count."""
    mine = tmp_path / "mine.yaml"
    mine.write_text(
        _device(", share_of: nvidia-a10, share: 0.5")
        + "embodied_devices:\n- {id: nvidia-a10, embodied_kg: 200, year: 2024, source: https://example.org/a10-lca}\n",
        encoding="utf-8",
    )
    catalog: Catalog = load_catalog(mine)
    assert catalog.devices["lab-a10-half"].share_text == "1/2"
    e = estimate(hardware="lab-a10-half", hours=10, intensity=100, data_files=[mine])
    # (200 + 312.5 kg) / 2 = 256.25 kg x 1000 x 10 h / 44,676 h
    assert e.embodied_g == pytest.approx(256.25 * 1000 * 10 / LIFE_H, rel=1e-12)
    shipped = estimate(hardware="nvidia-a10-1of6", hours=10, intensity=100, data_files=[mine])
    assert shipped.embodied_g == pytest.approx(512.5 / 6 * 1000 * 10 / LIFE_H, rel=1e-12)


def test_a_user_board_with_other_power_keeps_the_shipped_shares(tmp_path: Path) -> None:
    """Replacing the board in a user's file leaves the shipped shares' power as shipped (checked in their file)."""
    mine = tmp_path / "mine.yaml"
    mine.write_text(_device("", ident="nvidia-a10", tdp="140"), encoding="utf-8")
    catalog = load_catalog(mine)
    assert catalog.devices["nvidia-a10"].tdp_w == 140 and catalog.devices["nvidia-a10-1of6"].tdp_w == 25


# ---------------------------------------------------------------- the catalog cache


def test_the_cache_keeps_shares_and_refuses_a_cache_from_before_them(tmp_path: Path) -> None:
    from estimator import cache
    from estimator import catalog as cat_mod

    data = [cat_mod.data_dir() / name for name in cat_mod.DATA_FILES]
    target = cache.cache_file(tmp_path / "c")
    assert cache.store(Catalog, target, data, cat_mod._build(data, []))
    loaded = cache.load(Catalog, target, data)
    assert loaded is not None
    d = loaded.devices["nvidia-a10-1of6"]
    assert (d.share_of, d.share, d.share_text) == ("nvidia-a10", 1 / 6, "1/6")
    # a cache written by the code before share_of/share: its Device signature lacks them, so it is rebuilt
    head, body = target.read_bytes().split(b"\n", 1)
    header = json.loads(head)
    target.write_bytes(json.dumps(header, separators=(",", ":")).encode("utf-8") + b"\n" + body)
    assert cache.load(Catalog, target, data) is not None  # rewriting the header as it was keeps the cache
    device = header["signature"]["estimator.records.Device"]
    header["signature"]["estimator.records.Device"] = [f for f in device if not f.startswith(("share_of:", "share:"))]
    assert header["signature"]["estimator.records.Device"] != device
    target.write_bytes(json.dumps(header, separators=(",", ":")).encode("utf-8") + b"\n" + body)
    assert cache.load(Catalog, target, data) is None


@pytest.mark.parametrize(
    ("share", "tdp", "text", "value"),
    [("1/2", "75", "1/2", 0.5), ("'0.5'", "75", "1/2", 0.5), ("0.123", "18.45", "0.123", 0.123)],
)
def test_a_share_is_read_as_a_fraction_or_a_number(
    tmp_path: Path, share: str, tdp: str, text: str, value: float
) -> None:
    mine = tmp_path / "mine.yaml"
    mine.write_text(_device(f", share_of: nvidia-a10, share: {share}", tdp=tdp), encoding="utf-8")
    d = load_catalog(mine).devices["lab-a10-half"]
    assert (d.share, d.share_text) == (value, text)
    e = estimate(hardware="lab-a10-half", hours=10, intensity=100, data_files=[mine])
    assert e.embodied_g == pytest.approx(value * A10_KG * 1000 * 10 / LIFE_H, rel=1e-12)
    assert any(b.startswith(f"Lab A10 half: {text} of a whole NVIDIA A10's 462.5 kg") for b in e.embodied_basis)
