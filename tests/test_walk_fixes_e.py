"""Left over from earlier stops, mended: the energy's high end, and cloud region ids spelt with a slash or a space."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from estimator import estimate, estimate_inference, report
from estimator import validation as validation_module
from estimator.errors import InputError
from tests.conftest import run_cli
from tests.test_app import infos, warnings_shown
from tests.test_app import run as run_app


def test_the_energy_high_end_of_a_measured_mean_is_its_measured_maximum() -> None:
    """TPU v4 (90/170/192 W measured): 4 chips, 10 h, PUE 1.2: high 4 × 192 × 10 × 1.2 / 1000 = 9.216 kWh,
    central 4 × 170 × 10 × 1.2 / 1000 = 8.16 kWh."""
    e = estimate(hardware="google-tpu-v4", count=4, hours=10, pue=1.2, intensity=100)
    assert e.energy_high_kwh == pytest.approx(9.216, rel=1e-12)
    assert e.energy_kwh == pytest.approx(8.16, rel=1e-12)
    assert e.co2e_high_g == pytest.approx(921.6, rel=1e-12)  # the high end's energy at the (given) intensity
    assert e.to_dict()["energy_high_kwh"] == e.energy_high_kwh


def test_the_energy_high_end_of_a_tdp_device_is_the_central_figure() -> None:
    """TDP is an upper bound of draw: the high end's energy is the central one, exactly (72 h × 8 × 400 W × PUE)."""
    e = estimate(hardware="nvidia-a100-sxm4-80gb", count=8, hours=72, region="gcp:us-central1")
    assert e.energy_high_kwh == e.energy_kwh
    assert e.energy_kwh == pytest.approx(72 * 8 * 400 * e.pue / 1000, rel=1e-12)
    again = estimate(hardware="nvidia-a100-sxm4-80gb", count=8, hours=36, region="gcp:us-central1")  # the warm path
    assert again.energy_high_kwh == again.energy_kwh == pytest.approx(e.energy_kwh / 2, rel=1e-12)


def test_serving_has_an_energy_high_end_with_its_idle_hours() -> None:
    """2 TPU v4 serving 1,000 requests of 3.6 s (1 h busy) up 24 h a day for 1 day, PUE 1: busy at the high end
    2 × 192 W × 1 h = 0.384 kWh; idle 23 h at the idle fraction of the chip's figure, the same at both ends."""
    r = estimate_inference(
        "google-tpu-v4", "FR", requests=1000, seconds_per_request=3.6, count=2, pue=1.0, hours_per_day=24, days=1
    )
    assert r.idle is not None
    assert r.estimate.energy_high_kwh == pytest.approx(0.384, rel=1e-12)
    assert r.energy_high_kwh == pytest.approx(0.384 + r.idle.energy_high_kwh, rel=1e-12)
    assert r.energy_high_kwh > r.energy_kwh
    assert r.to_dict()["energy_high_kwh"] == r.energy_high_kwh


def test_validation_takes_the_high_end_from_the_estimate() -> None:
    """GLaM on TPU v4: the range now ends at the measured maximum (192 / 170 of the central figure); still below
    what was measured, so the run stays outside."""
    v = validation_module.validate()
    glam = next(c for c in v.checks if c.run.id == "du22-glam-64b64e-280b")
    assert glam.high_kwh == pytest.approx(glam.estimate_kwh * 192 / 170, rel=1e-12)
    assert glam.high_kwh < glam.measured_kwh
    t4 = next(c for c in v.checks if c.run.hardware.startswith("nvidia"))
    assert t4.high_kwh == t4.estimate_kwh  # a TDP device: the central figure is the high end


@pytest.mark.parametrize(
    ("spelt", "region_id"),
    [
        ("aws/us-east-1", "aws:us-east-1"),
        ("AWS us-east-1", "aws:us-east-1"),
        ("gcp / us-central1", "gcp:us-central1"),
        ("Azure/westeurope", "azure:westeurope"),
    ],
)
def test_a_cloud_region_id_spelt_with_a_slash_or_a_space_is_that_id(spelt: str, region_id: str) -> None:
    """Before, 'aws/us-east-1' and 'AWS us-east-1' were ambiguous with aws:us-gov-east-1 (every word matched both)."""
    assert estimate(hardware="nvidia-t4", hours=1, region=spelt).region is not None
    assert estimate(hardware="nvidia-t4", hours=1, region=spelt).region["id"] == region_id  # type: ignore[index]


def test_a_region_spelt_with_a_slash_works_from_the_cli() -> None:
    out = run_cli(
        "estimate", "--hardware", "nvidia-t4", "--hours", "1", "--region", "aws/us-east-1", "--format", "json"
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["region"]["id"] == "aws:us-east-1"


def test_a_name_of_two_words_is_not_read_as_an_id() -> None:
    """'Tesla V100' has the shape 'word word' but no id tesla:v100: it resolves by name, as before."""
    e = estimate(hardware="Tesla V100-SXM2-16GB", hours=1, region="FR")
    assert e.components[0].device_id == "nvidia-v100-sxm2-16gb"
    words = estimate(hardware="nvidia-t4", hours=1, region="aws us-gov")  # no id aws:us-gov: matched by words
    assert words.region is not None and words.region["id"] == "US"  # both GovCloud regions: one grid zone, said
    assert any("aws:us-gov-east-1 or aws:us-gov-west-1, all in grid zone US" in w for w in words.warnings)


# ---------------------------------------------------------------- a third new user's walk


def test_a_csv_whose_lines_end_in_cr_alone_is_read(tmp_path: Path) -> None:
    """Old Mac line endings: was a raw _csv.Error traceback from the header's reader."""
    src = tmp_path / "cr.csv"
    src.write_bytes(b"hardware,hours,region\rnvidia-t4,2,FR\rnvidia-t4,3,DE\r")
    out = run_cli("batch", str(src), "-o", str(tmp_path / "out.csv"))
    assert out.returncode == 0, out.stderr
    rows = pd.read_csv(tmp_path / "out.csv")
    assert len(rows) == 2
    for row in rows.to_dict("records"):
        assert row["co2e_g"] == estimate(hardware="nvidia-t4", hours=row["hours"], region=row["region"]).co2e_g
    src.write_bytes(b"hardware,hours,region\rnvidia-t4,x,FR\r")
    bad = run_cli("batch", str(src), "-o", str(tmp_path / "bad.csv"), "--strict")
    assert bad.returncode == 2
    assert bad.stderr.strip().splitlines() == [
        f"co2-estimator: error: {src}, line 2, column 'hours': hours must be a number (hours > 0, e.g. 72); got 'x'"
    ]


def test_card_and_a_modelcard_print_the_estimates_warnings_on_stderr(tmp_path: Path) -> None:
    """The text output says a bare region was read as a grid zone with the default PUE; a card said nothing."""
    card = tmp_path / "README.md"
    card.write_text("---\nlicense: mit\n---\n# m\n", encoding="utf-8")
    out = run_cli("card", str(card), "--hardware", "nvidia-t4", "--hours", "2", "--region", "us-east-1")
    assert out.returncode == 0, out.stderr
    assert "all in grid zone US-MIDA-PJM: using the zone's figure and the default PUE" in out.stderr
    yaml_out = run_cli(
        "estimate", "--hardware", "nvidia-t4", "--hours", "2", "--region", "FR", "--year", "2019", "--format",
        "modelcard", "--training-type", "fine-tuning",
    )  # fmt: skip
    assert "co2-estimator: note: 2019 asked; 2021 is the earliest year for FR" in yaml_out.stderr
    assert yaml_out.stdout.startswith("co2_eq_emissions:\n") and "note" not in yaml_out.stdout


def test_the_paper_paragraph_and_the_card_say_what_the_power_figure_is() -> None:
    """50 W given by the user is not 'the vendor's TDP'; a utilization is named, so the figure can be reproduced."""
    from estimator.modelcard import card_block

    mine = estimate(hardware="nvidia-t4", hours=2, region="FR", power_w=50)
    assert "(2 device-hours; 50 W, given by the authors)" in report.markdown_paragraph(mine)
    assert "vendor's TDP" not in report.latex_paragraph(mine)
    assert card_block(mine)["source"].startswith("co2-estimator 0.1.0: given power × hours × PUE")
    half = estimate(hardware="nvidia-t4", hours=2, region="FR", utilization=0.5)
    assert "70 W, the vendor's TDP, an upper bound of draw; at 0.5 utilization)" in report.markdown_paragraph(half)
    assert ": TDP × utilization × hours × PUE × grid intensity" in card_block(half)["source"]
    tpu = estimate(hardware="google-tpu-v4", count=4, hours=2, region="FR")
    assert "170 W per device, a measured average draw, not an upper bound)" in report.markdown_paragraph(tpu)
    assert "Power (170 W per device) is a measured average draw" in report.environmental_impact_section(tpu)
    plain = estimate(hardware="nvidia-t4", hours=2, region="FR")
    assert card_block(plain)["source"].startswith("co2-estimator 0.1.0: TDP × hours × PUE × grid intensity")


CARD = (
    "---\n"
    "license: mit\n"
    "co2_eq_emissions:\n"
    "    emissions: 5\n"
    "    # my comment\n"
    '    training_time: "2 h"  # measured\n'
    "    source: >-\n"
    "      an old source\n"
    "      on two lines\n"
    "other: 1\n"
    "---\n"
    "# m\n"
)


def test_card_keeps_the_blocks_other_keys_comments_and_quoting_byte_for_byte(tmp_path: Path) -> None:
    from huggingface_hub.repocard import metadata_load

    from estimator.modelcard import card_block, update_card

    path = tmp_path / "README.md"
    path.write_text(CARD, encoding="utf-8")
    e = estimate(hardware="nvidia-t4", hours=2, region="FR")
    block = card_block(e, "fine-tuning")
    update_card(path, block, write=True)
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    assert lines[3] == f"    emissions: {block['emissions']}"  # set where it stood, at the block's indentation
    assert lines[4:6] == ["    # my comment", '    training_time: "2 h"  # measured']  # untouched
    assert lines[6].startswith("    source: 'co2-estimator") and "an old source" not in text  # the folded value
    added = ["    training_type: fine-tuning", "    geographical_location: France", "    hardware_used: 1 x NVIDIA T4"]
    assert lines[7:10] == added
    assert lines[10:] == ["other: 1", "---", "# m"]
    assert (metadata_load(path) or {})["co2_eq_emissions"] == {**block, "training_time": "2 h"}
    assert not update_card(path, block, write=True).changed  # twice changes nothing


def test_a_flow_style_block_is_written_whole(tmp_path: Path) -> None:
    from huggingface_hub.repocard import metadata_load

    from estimator.modelcard import card_block, update_card

    path = tmp_path / "README.md"
    path.write_text("---\nco2_eq_emissions: {emissions: 5, training_time: 3 h}\n---\n", encoding="utf-8")
    block = card_block(estimate(hardware="nvidia-t4", hours=2, region="FR"), "fine-tuning")
    update_card(path, block, write=True)
    assert (metadata_load(path) or {})["co2_eq_emissions"] == {**block, "training_time": "3 h"}
    assert path.read_text(encoding="utf-8").splitlines()[1] == "co2_eq_emissions:"


def test_a_misspelt_input_column_is_named_not_silently_passed_through(tmp_path: Path) -> None:
    """'utilisation' 0.5 gave a full-TDP figure with no word; 'gpus' and 'Power' likewise."""
    from estimator.batch import estimate_file, estimate_many

    runs = pd.DataFrame(
        {"hardware": ["nvidia-t4"], "hours": [2.0], "region": ["FR"], "utilisation": [0.5], "gpus": [8], "Power": [50]}
    )
    with pytest.warns(UserWarning, match="passed through unread") as caught:
        frame = estimate_many(runs)
    said = [str(w.message) for w in caught]
    assert said == [
        "columns 'utilisation' (did you mean 'utilization'?), 'gpus' (did you mean 'count'?), 'Power' (did you "
        "mean 'power_w'?) passed through unread: input columns are spelt as in the README (rename the column to "
        "have it used)"
    ]
    assert frame["co2e_g"][0] == estimate(hardware="nvidia-t4", hours=2.0, region="FR").co2e_g  # still unread
    runs.to_csv(tmp_path / "runs.csv", index=False)
    assert estimate_file(tmp_path / "runs.csv", tmp_path / "out.csv", progress=False).notes == (said[0],)
    fine = pd.DataFrame({"hardware": ["nvidia-t4"], "hours": [2.0], "region": ["FR"], "team": ["a"]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        estimate_many(fine)  # a column that is no slip: no word


def test_columns_may_be_given_twice_and_not_empty(tmp_path: Path) -> None:
    src = tmp_path / "runs.csv"
    src.write_text("hardware,hours,region\nnvidia-t4,2,FR\n", encoding="utf-8")
    out = run_cli("batch", str(src), "-o", str(tmp_path / "o.csv"), "--columns", "co2e_g", "--columns", "energy_kwh")
    assert out.returncode == 0, out.stderr
    assert pd.read_csv(tmp_path / "o.csv").columns.tolist()[3:] == ["energy_kwh", "co2e_g", "error"]
    empty = run_cli("batch", str(src), "-o", str(tmp_path / "e.csv"), "--columns", " ")
    assert empty.returncode == 2 and len(empty.stderr.strip().splitlines()) == 1
    assert "no result column named: give one or more of energy_kwh, co2e_g" in empty.stderr
    assert not (tmp_path / "e.csv").exists()


def test_an_ambiguous_or_unknown_cpu_is_worded_as_the_cpu() -> None:
    with pytest.raises(LookupError) as info:
        estimate(cpu="epyc 77", hours=1, region="DE")
    assert str(info.value).startswith("cpu 'epyc 77' is ambiguous: it matches 7 entries: amd-epyc-7702")
    assert getattr(info.value, "field", None) == "cpu"
    out = run_cli("estimate", "--cpu", "epyk 7763x", "--hours", "1", "--region", "DE")
    assert out.returncode == 2
    assert out.stderr.startswith("co2-estimator: error: unknown cpu 'epyk 7763x'. Closest matches: amd-epyc-7763")


def test_an_unknown_provider_gets_the_swap_it_likely_is_or_the_whole_short_list() -> None:
    with pytest.raises(LookupError, match=r"^unknown provider 'asw'\. Closest matches: aws \(Amazon Web Services\)\.$"):
        estimate(hardware="nvidia-t4", hours=1, region="FR", provider="asw")
    with pytest.raises(LookupError) as info:
        estimate(hardware="nvidia-t4", hours=1, region="FR", provider="xyz")
    assert str(info.value).startswith("unknown provider 'xyz'. The providers are: alibaba (Alibaba Cloud); aws (")


def test_a_comma_separated_sacct_file_with_alloctres_is_told_to_export_with_pipes(tmp_path: Path) -> None:
    """Before, the advice was --delimiter ',', which then read every job as an error (AllocTRES holds commas)."""
    src = tmp_path / "sacct.csv"
    src.write_text(
        "JobID,JobName,User,Account,Partition,State,Start,End,ElapsedRaw,NCPUS,NNodes,AllocTRES,NodeList\n"
        '1,a,u,acc,gpu,COMPLETED,2025-01-01T00:00:00,2025-01-01T01:00:00,3600,8,1,"cpu=8,mem=64G,gres/gpu=4",n1\n',
        encoding="utf-8",
    )
    out = run_cli("slurm", str(src), "--cluster", str(Path(__file__).parent / "data" / "sacct" / "cluster.yaml"))
    assert out.returncode == 2 and len(out.stderr.strip().splitlines()) == 1
    assert "AllocTRES values hold commas too" in out.stderr and "export again with sacct --parsable2" in out.stderr
    assert "--delimiter ','" not in out.stderr


def test_a_power_w_that_looks_like_a_nodes_total_or_kilowatts_is_named() -> None:
    """power_w is per device: 8 × 3,200 W on A100s (TDP 400 W) is 8 × the figure; 0.4 W is under 0.05 × it."""
    total = estimate(hardware="nvidia-a100-sxm4-80gb", count=8, power_w=3200, hours=1, region="FR")
    assert (
        "power_w 3200 W is per device, 8 × the NVIDIA A100 SXM4 80GB's TDP of 400 W (the total of 8 devices? "
        "give it per device: 400 W)"
    ) in total.warnings
    assert total.draw_w == 8 * 3200  # a warning, not a change: the user's figure is used as given
    kilo = estimate(hardware="nvidia-a100-sxm4-80gb", power_w=0.4, hours=1, region="FR")
    assert any(w.startswith("power_w 0.4 W is under 0.05 × the NVIDIA A100") for w in kilo.warnings)
    bare = estimate(power_w=0.5, hours=1, region="FR")
    assert "power_w 0.5 W per device is under 1 W: is it in kW? (give watts)" in bare.warnings
    fine = estimate(hardware="nvidia-a100-sxm4-80gb", power_w=500, hours=1, region="FR")  # 1.25 × TDP: boards do
    assert not any(w.startswith("power_w") for w in fine.warnings)


def test_an_instance_with_fewer_accelerators_than_it_has_says_the_host_is_counted_whole() -> None:
    e = estimate(instance="aws:p4d.24xlarge", count=2, hours=1, region="aws:us-east-1")
    assert (
        "count 2 of the 8 accelerators of aws:p4d.24xlarge: those 2 and the whole instance's host (its CPU and "
        "memory) are counted; leave count out for the whole instance"
    ) in e.warnings
    whole = estimate(instance="aws:p4d.24xlarge", hours=1, region="aws:us-east-1")
    assert not any("accelerators of" in w for w in whole.warnings)


def test_a_flag_named_as_logs_name_it_suggests_the_input() -> None:
    out = run_cli("estimate", "--hardware", "nvidia-t4", "--hours", "1", "--region", "FR", "--gpus", "8")
    assert out.returncode == 2
    assert out.stderr.strip() == (
        "co2-estimator: error: unrecognized arguments: --gpus 8; did you mean '--count'? (see 'co2-estimator --help')"
    )


def test_counts_of_things_read_with_thousands_separators_and_scale_suffixes() -> None:
    """--params 7B --tokens 2T is 7e9 and 2e12 (6 × 7e9 × 2e12 = 8.4e22 FLOP); --requests 1,000,000 is 1e6."""
    base = ("preflight", "--hardware", "nvidia-h100-sxm5-80gb", "--count", "8", "--region", "FR", "--format", "json")
    short = run_cli(*base, "--params", "7B", "--tokens", "2T")
    plain = run_cli(*base, "--params", "7e9", "--tokens", "2e12")
    assert short.returncode == 0, short.stderr
    assert json.loads(short.stdout) == json.loads(plain.stdout)
    serve = (
        "inference",
        "--hardware",
        "nvidia-l4",
        "--region",
        "FR",
        "--seconds-per-request",
        "0.2",
        "--format",
        "json",
    )
    commas = run_cli(*serve, "--requests", "1,000,000")
    assert commas.returncode == 0, commas.stderr
    assert json.loads(commas.stdout) == json.loads(run_cli(*serve, "--requests", "1e6").stdout)
    bad = run_cli(*serve, "--requests", "1x")
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1
    assert "--requests must be a number, e.g. 1000000 (1,000,000, 7B and 2T read too); got '1x'" in bad.stderr


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: estimate(hardware="nvidia-t4", hours=1, region="FR", basis="lifecycl"),
            "basis must be one of lifecycle, marginal; got 'lifecycl'; did you mean 'lifecycle'?",
        ),
        (lambda: _hardware(kind="GPU"), "kind must be one of gpu, tpu, npu, soc, cpu; got 'GPU'; did you mean 'gpu'?"),
        (
            lambda: _preflight(precision="BF16"),
            "precision must be one of fp32, tf32, bf16, fp16, fp8, int8; got 'BF16'; did you mean 'bf16'?",
        ),
        (
            lambda: estimate(hardware="nvidia-t4", hours=1, region="FR", basis="xyz"),
            "basis must be one of lifecycle, marginal; got 'xyz'",  # nothing close: no guess
        ),
    ],
)
def test_a_choice_that_is_spelt_nearly_right_gets_the_closest(call: Any, message: str) -> None:
    with pytest.raises(InputError) as info:
        call()
    assert str(info.value) == message


def _hardware(**kw: Any) -> Any:
    from estimator import hardware

    return hardware(**kw)


def _preflight(**kw: Any) -> Any:
    from estimator.preflight import preflight

    return preflight(params=7e9, tokens=2e12, hardware="nvidia-t4", region="FR", **kw)


def test_a_data_file_choice_spelt_nearly_right_gets_the_closest(tmp_path: Path) -> None:
    mine = tmp_path / "mine.yaml"
    mine.write_text(
        "devices:\n  - id: my-gpu\n    name: My GPU\n    kind: gpu\n    vendor: me\n    tdp_w: 300\n"
        "    power_basis: measurd\n    source: my own measurement\n    year: 2025\n",
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match=r"'measurd' is not one of .*; did you mean 'measured'\?"):
        estimate(hardware="my-gpu", hours=1, region="FR", data_files=[mine])


# ---------------------------------------------------------------- the review of the day's change


def _merged(tmp_path: Path, text: str, newline: str = "\n") -> tuple[str, dict[str, Any]]:
    from estimator.modelcard import card_block, update_card

    path = tmp_path / "README.md"
    path.write_bytes(text.replace("\n", newline).encode("utf-8"))
    block = card_block(estimate(hardware="nvidia-t4", hours=2, region="FR"), "fine-tuning")
    update_card(path, block, write=True)
    return path.read_bytes().decode("utf-8"), block


def _keys(text: str) -> list[str]:
    """The keys of the co2_eq_emissions block, as lines say them (a key twice shows twice)."""
    inside = text.split("co2_eq_emissions:", 1)[1].split("---", 1)[0]
    return [line.split(":")[0].strip() for line in inside.splitlines() if line.startswith("  ") and ":" in line]


def test_a_value_shorter_than_before_above_other_keys_leaves_no_key_twice(tmp_path: Path) -> None:
    """A two-line folded source replaced by one line moved the lines below it: the edit below overwrote a comment
    and left 'emissions' twice (YAML reads the last, so the check passed)."""
    card = (
        "---\nco2_eq_emissions:\n  source: >-\n    Measured with CodeCarbon\n  emissions: 5\n  # grams\n"
        "  geographical_location: x\n  hardware_used: y\n---\n"
    )
    text, block = _merged(tmp_path, card)
    assert _keys(text) == ["source", "emissions", "geographical_location", "hardware_used", "training_type"]
    assert "  # grams\n" in text
    assert text.splitlines()[3] == f"  emissions: {block['emissions']}"


def test_a_crlf_card_whose_key_has_its_value_on_the_next_lines_is_set_in_place(tmp_path: Path) -> None:
    card = "---\nco2_eq_emissions:\n  emissions: 5\n  hardware_used:\n    - A100\n  source: x\n---\n"
    text, block = _merged(tmp_path, card, "\r\n")
    assert "\n" not in text.replace("\r\n", "")  # every line break stays CRLF
    assert _keys(text.replace("\r\n", "\n")) == [
        "emissions", "hardware_used", "source", "training_type", "geographical_location",
    ]  # fmt: skip
    assert "- A100" not in text and f"  hardware_used: {block['hardware_used']}\r\n" in text


def test_a_block_naming_a_key_twice_is_written_whole_with_each_key_once(tmp_path: Path) -> None:
    text, _ = _merged(tmp_path, "---\nco2_eq_emissions:\n  emissions: 1\n  emissions: 2\n---\n")
    assert _keys(text) == ["emissions", "source", "training_type", "geographical_location", "hardware_used"]


@pytest.mark.parametrize("given", ["7,5B", "1,5M", "1,2", "12,34"])
def test_a_decimal_comma_is_refused_not_read_as_thousands(given: str) -> None:
    """'7,5B' read as 75B gave ten times the compute; a comma now reads only between groups of three digits."""
    out = run_cli("preflight", "--params", given, "--tokens", "2T", "--hardware", "nvidia-h100-sxm5-80gb")
    assert out.returncode == 2
    assert (
        f"--params reads a comma only between thousands (1,000,000): write decimals with a point (7.5B); got {given!r}"
        in out.stderr
    )


@pytest.mark.parametrize(
    ("job", "term", "words"),
    [
        ({"cpu": "amd-epyc-74f3v"}, "estimated power", "240 W, an estimate (no vendor TDP published))"),
        ({"instance": "aws:c5.24xlarge"}, "estimated power / vCPUs", "a vCPU's share of an estimate (no vendor"),
        ({"memory_gb": 64}, "memory power per GB", "a per-GB figure for memory)"),
        ({"cpu": "amd-epyc-7763", "cpu_cores": 8}, "TDP / cores", "a core's share of the vendor's TDP, an upper"),
        ({"instance": "aws:g4ad.xlarge"}, "estimated power", "225 W, an estimate (no vendor TDP published))"),
    ],
)
def test_the_power_is_worded_from_the_main_components_own_basis(job: dict[str, Any], term: str, words: str) -> None:
    """An estimated CPU or instance figure, memory alone or a per-core share was called "the vendor's TDP"."""
    from estimator.modelcard import card_block

    e = estimate(hours=10, region="FR", **job)
    assert card_block(e)["source"].startswith(f"co2-estimator 0.1.0: {term} × hours × PUE")
    assert words in report.markdown_paragraph(e)


def test_columns_with_another_unit_or_an_id_are_not_taken_for_an_input() -> None:
    from estimator.runs import unread_columns_note

    ordinary = ["user", "job_id", "name", "start_time", "device_id", "power_kw", "instance_id", "energy_wh"]
    assert unread_columns_note(["hardware", "hours", "region", *ordinary]) is None
    assert unread_columns_note(["hardware", "hours", "region", "gpu_utilization", "cpus"]) == (
        "columns 'gpu_utilization' (did you mean 'utilization'?), 'cpus' (did you mean 'cpu_count'?) passed "
        "through unread: input columns are spelt as in the README (rename the column to have it used)"
    )


def test_a_flag_logs_use_is_suggested_where_another_command_has_it(tmp_path: Path) -> None:
    src = tmp_path / "runs.csv"
    src.write_text("hardware,hours,region\nnvidia-t4,2,FR\n", encoding="utf-8")
    out = run_cli("batch", str(src), "--gpus", "8")
    assert out.returncode == 2
    assert "unrecognized arguments: --gpus 8; did you mean '--count'? (estimate, inference, preflight and card" in (
        out.stderr
    )


def test_typed_hours_that_look_like_seconds_are_named_where_they_are_typed() -> None:
    """86,400 'hours' is 9.86 years for one run, or 24 h if they are seconds: said by the CLI's text, its card's
    notes and the web form; not by serving for years, whose hours are long on purpose."""
    note = (
        "hours 86400 is 9.86 years of wall-clock time for one run: if these are seconds, that is 24 h; if "
        "device-hours, give hours per run (count multiplies them)"
    )
    args = ("estimate", "--hardware", "nvidia-t4", "--hours", "86400", "--region", "FR")
    assert f"  - {note}" in run_cli(*args).stdout.splitlines()
    card = run_cli(*args, "--format", "modelcard", "--training-type", "fine-tuning")
    assert f"co2-estimator: note: {note}" in card.stderr.splitlines()
    assert (
        "wall-clock" not in run_cli("estimate", "--hardware", "nvidia-t4", "--hours", "17000", "--region", "FR").stdout
    )
    assert "wall-clock" not in run_cli(*args[:4], "--hours", "40000", "--trials", "3", "--region", "FR").stdout
    serving = run_cli(
        "inference", "--hardware", "nvidia-l4", "--region", "FR", "--requests", "1e6", "--seconds-per-request", "0.2",
        "--always-on", "--days", "1000",
    )  # fmt: skip
    assert serving.returncode == 0 and "wall-clock" not in serving.stdout + serving.stderr

    at = run_app()
    at.number_input(key="hours").set_value(86400.0).run()
    assert not at.exception
    assert note in infos(at)  # as plain text
    at.number_input(key="count").set_value(8).run()
    at.radio(key="duration").set_value("device_hours").run()
    at.number_input(key="device_hours").set_value(200_000.0).run()  # 25,000 h each: typed as device-hours, no note
    assert not any("wall-clock time for one run" in text for text in infos(at))
    at.radio(key="what").set_value("instance").run()
    at.number_input(key="hours").set_value(20_000.0).run()  # an instance's help asks for total instance-hours
    assert not any("wall-clock time for one run" in text for text in infos(at))


# ---------------------------------------------------------------- a fourth walk: the API in a notebook, the app


def test_a_link_with_a_region_several_providers_spell_alike_opens_on_its_grid_zone() -> None:
    """'us-east-1' (aws and alibaba, one grid) crashed the web form with a traceback on every rerun; estimate()
    reads it as the zone US-MIDA-PJM, and so do the link and the look-ups now."""
    from estimator import default_pue, region_intensity

    at = run_app({"hardware": "nvidia-a100-sxm4-80gb", "hours": "10", "region": "us-east-1"})
    assert not at.exception
    e = estimate(hardware="nvidia-a100-sxm4-80gb", hours=10, region="us-east-1")
    assert e.region is not None and e.region["id"] == "US-MIDA-PJM"
    assert at.selectbox(key="region").value == "US-MIDA-PJM"
    assert any(m.value == report.mass(e.co2e_g) for m in at.metric)
    assert region_intensity("us-east-1").value_g_per_kwh == e.intensity_g_per_kwh
    assert default_pue("us-east-1").pue == e.pue


def test_lint_says_more_when_the_hub_reads_more(tmp_path: Path) -> None:
    """'1e-3' g read by the Hub as 1 g is 1,000 times more, not '0.001 times less'."""
    small, large = tmp_path / "a.md", tmp_path / "b.md"
    small.write_text("---\nco2_eq_emissions:\n  emissions: 1e-3\n---\n# m\n", encoding="utf-8")
    large.write_text("---\nco2_eq_emissions:\n  emissions: 2.5 kg\n---\n# m\n", encoding="utf-8")
    out = run_cli("lint", str(small), str(large)).stdout
    assert "means 0.001 g but the Hub's emissions filter reads 1 g (1,000 times more)" in out
    assert "means 2,500 g but the Hub's emissions filter reads 2.5 g (1,000 times less)" in out


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"trials": 2.5}, "trials must be a whole number of runs, 1 or more; got 2.5"),
        ({"cpu": "amd-epyc-7763", "cpu_count": 1.5}, "cpu_count must be a whole number of CPUs, 1 or more; got 1.5"),
        ({"intensity_range": 400}, "intensity_range must be (low, high) in gCO2e/kWh, e.g. (300, 450); got 400"),
        (
            {"intensity_range": "300-400"},
            "intensity_range must be (low, high) in gCO2e/kWh, e.g. (300, 450); got '300-400'",
        ),
    ],
)
def test_counts_and_ranges_are_worded_as_what_they_count(given: dict[str, Any], message: str) -> None:
    with pytest.raises(InputError) as info:
        estimate(hardware="nvidia-t4", hours=1, region="FR", **given)
    assert str(info.value) == message


def test_cleaner_regions_skip_places_without_a_figure_and_keep_an_instance_on_its_provider() -> None:
    """On the marginal basis the whole list failed on the first region without a country margin; an instance
    with scope='all' failed on the first region of another provider."""
    from estimator import alternatives

    marginal = estimate(hardware="nvidia-a100-sxm4-80gb", hours=72, count=8, region="gcp:us-east1", basis="marginal")
    found = alternatives(marginal, n=3)
    assert len(found) == 3
    assert all(a.estimate.intensity_basis == "marginal" and a.estimate.co2e_g < marginal.co2e_g for a in found)
    assert [a.estimate.co2e_g for a in found] == sorted(a.estimate.co2e_g for a in found)
    p4d = estimate(instance="aws:p4d.24xlarge", hours=10, region="aws:us-east-1")
    anywhere = alternatives(p4d, scope="all", n=5)
    assert anywhere and all(a.label.startswith("aws:") for a in anywhere)


def _grams(text: str) -> float:
    number, unit = text.split()[:2]
    return float(number.replace(",", "")) * {"mg": 1e-3, "g": 1.0, "kg": 1e3, "t": 1e6}[unit]


def test_the_forms_other_tabs_follow_the_sidebars_year_and_basis() -> None:
    """'Before you train' and the serving figures stayed at the latest lifecycle year while the sidebar said 2022
    or marginal, so 'Whole life' added a 2022 training to a 2025 serving."""
    at = run_app({"hardware": "nvidia-a100-sxm4-80gb", "region": "DE", "hours": "10", "count": "8"})

    def figures() -> dict[str, float]:
        wanted = ("Emissions", "Expected emissions", "Per 1,000 requests")
        return {m.label: _grams(m.value) for m in at.metric if m.label in wanted}

    latest = figures()
    at.selectbox(key="year").set_value(2022).run()
    older = figures()
    at.radio(key="basis").set_value("marginal").run()
    marginal = figures()
    assert not at.exception and len(latest) == 3
    for then in (older, marginal):
        scale = then["Emissions"] / latest["Emissions"]  # the grid figure's change, the same for every tab
        assert scale != pytest.approx(1.0, abs=0.05)
        for label in ("Expected emissions", "Per 1,000 requests"):
            assert then[label] / latest[label] == pytest.approx(scale, rel=2e-3)


def test_inputs_a_choice_hides_keep_their_values_when_shown_again() -> None:
    """Hours 10 came back as 24 after a look at device-hours; count 4 came back as 1 after a look at instances."""
    at = run_app({"hardware": "nvidia-a100-sxm4-80gb", "region": "FR", "hours": "10", "count": "4"})
    first = at.code[0].value
    at.radio(key="duration").set_value("device_hours").run()
    at.radio(key="duration").set_value("hours").run()
    assert at.number_input(key="hours").value == 10.0 and at.code[0].value == first
    at.radio(key="what").set_value("instance").run()
    at.radio(key="what").set_value("device").run()
    assert at.number_input(key="count").value == 4 and at.selectbox(key="hardware").value == "nvidia-a100-sxm4-80gb"
    assert not at.exception


def test_lookups_name_the_region_argument_and_a_missing_series_is_said() -> None:
    """intensity_series('world', basis='marginal') returned [] while region_intensity refused it; lookup errors
    carried no field."""
    from estimator import intensity_series, region_intensity

    with pytest.raises(InputError, match=r"^no marginal \(UNFCCC operating margin\) figure for world"):
        intensity_series("world", basis="marginal")
    with pytest.raises(LookupError) as info:
        region_intensity("Frankfurtt")
    assert getattr(info.value, "field", None) == "region"
    assert [r["year"] for r in intensity_series("FR")] == sorted(r["year"] for r in intensity_series("FR"))


def test_a_link_parameter_named_as_logs_name_an_input_suggests_it() -> None:
    from app_pages import state

    said = state.unknown_params(["gpus"])["gpus"]
    assert said.startswith("unknown link parameter 'gpus' (did you mean 'count'?); ignored.")


def test_a_place_name_another_grid_shares_with_a_qualifier_is_said() -> None:
    """'Georgia' is the country GE; the US state is US-GA ('Georgia (US state)'): said, and not for the id."""
    e = estimate(hardware="nvidia-t4", hours=1, region="Georgia")
    assert e.region is not None and e.region["id"] == "GE"
    assert "region 'Georgia' read as GE (Georgia); US-GA is Georgia (US state): give its id if you meant it" in (
        e.warnings
    )
    assert not any("read as" in w for w in estimate(hardware="nvidia-t4", hours=1, region="GE").warnings)
    assert not any("read as" in w for w in estimate(hardware="nvidia-t4", hours=1, region="Canada").warnings)


def test_a_default_year_follows_the_place_and_a_chosen_one_stays() -> None:
    """The default page's 2025 stayed (and was pinned in the link) on moving to 'world', whose data ends earlier."""
    from estimator import intensity_series

    at = run_app()
    world_latest = max(r["year"] for r in intensity_series("world"))
    fr_latest = max(r["year"] for r in intensity_series("FR"))
    assert world_latest != fr_latest  # else this test shows nothing
    at.selectbox(key="provider").set_value("onprem").run()
    at.selectbox(key="region").set_value("world").run()
    assert at.selectbox(key="year").value == world_latest and "year" not in at.query_params
    at.selectbox(key="region").set_value("FR").run()
    assert at.selectbox(key="year").value == fr_latest
    at.selectbox(key="year").set_value(2022).run()
    at.selectbox(key="region").set_value("DE").run()
    assert at.selectbox(key="year").value == 2022 and at.query_params["year"] == "2022"
    assert not at.exception


def test_a_links_provider_with_a_place_not_its_region_is_said_not_dropped_silently() -> None:
    at = run_app({"hardware": "nvidia-a100-sxm4-80gb", "hours": "10", "region": "FR", "provider": "aws"})
    said = warnings_shown(at)
    assert (
        "From the link: provider aws with region FR: the form takes a provider with one of its regions "
        "(aws:eu-west-3 is on its grid); provider ignored, so the figure is FR's with its default PUE"
    ) in said
    e = estimate(hardware="nvidia-a100-sxm4-80gb", hours=10, region="FR")
    assert any(m.value == report.mass(e.co2e_g) for m in at.metric) and not at.exception


def test_a_days_requests_that_take_more_than_a_day_name_the_time_per_request() -> None:
    """1,000,000 requests a day at 0.2 s is 55.6 h: the message named days=1, which the form has no field for."""
    from estimator import estimate_inference, lifecycle

    training = estimate(hardware="nvidia-a100-sxm4-80gb", hours=10, region="FR")
    serving = estimate_inference("nvidia-l4", "FR", requests=1_000_000, seconds_per_request=0.2)
    with pytest.raises(InputError) as info:
        lifecycle(training, serving, period_days=365)
    assert str(info.value).endswith(
        "; if 1,000,000 requests are one day's, check the time per request (with batching or several replicas "
        "serving at once, it is the serving time divided by their number)"
    )


def test_a_cpu_is_looked_up_among_the_cpus() -> None:
    """cpu='a100' was 'ambiguous' among four GPUs; a GPU's name as cpu says to give it as hardware."""
    with pytest.raises(InputError) as info:
        estimate(cpu="a100", hours=1, region="FR")
    assert str(info.value) == (
        "cpu 'a100' names gpus (nvidia-a100-pcie-40gb, nvidia-a100-pcie-80gb and nvidia-a100-sxm4-40gb, ...), "
        "not a CPU; pass it as hardware instead"
    )
    with pytest.raises(InputError, match=r"^cpu 'nvidia-t4' is NVIDIA T4, a gpu, not a CPU; pass it as hardware"):
        estimate(cpu="nvidia-t4", hours=1, region="FR")
    assert estimate(cpu="EPYC 7763", hours=1, region="FR").components[0].device_id == "amd-epyc-7763"


def test_a_custom_intensity_after_a_chosen_year_gives_a_figure_not_a_dead_end() -> None:
    """Year 2022 then a custom 300 g/kWh said 'leave out year' about a greyed-out box."""
    at = run_app({"hardware": "nvidia-a100-sxm4-80gb", "hours": "10", "region": "DE"})
    at.selectbox(key="year").set_value(2022).run()
    at.radio(key="basis").set_value("marginal").run()
    at.checkbox(key="custom_intensity").check().run()
    at.number_input(key="intensity").set_value(300.0).run()
    assert not at.exception and not at.error
    e = estimate(hardware="nvidia-a100-sxm4-80gb", hours=10, region="DE", intensity=300)
    assert any(m.value == report.mass(e.co2e_g) for m in at.metric)
    assert "year" not in at.query_params and "basis" not in at.query_params


def test_a_custom_intensity_and_a_serving_speed_come_back_as_set() -> None:
    at = run_app()
    at.checkbox(key="custom_intensity").check().run()
    at.number_input(key="intensity").set_value(300.0).run()
    at.checkbox(key="custom_intensity").uncheck().run()
    at.checkbox(key="custom_intensity").check().run()
    assert at.number_input(key="intensity").value == 300.0
    at.number_input(key="seconds_per_request").set_value(0.5).run()
    at.radio(key="rate_by").set_value("throughput").run()
    at.radio(key="rate_by").set_value("latency").run()
    assert at.number_input(key="seconds_per_request").value == 0.5 and not at.exception


@pytest.mark.parametrize(
    "link",
    [
        {"region": "FR", "provider": "onprem"},
        {"provider": "aws"},
        {"region": "aws:us-east-1", "provider": "gcp"},
        {"region": "eu-west-3", "provider": "azure"},
    ],
    ids=repr,
)
def test_a_link_whose_provider_is_refused_shows_its_error_and_the_form_works(link: dict[str, str]) -> None:
    """Each crashed the form at every run (KeyError: None): a refused provider was seeded empty."""
    at = run_app({"hardware": "nvidia-a100-sxm4-80gb", "hours": "10", **link})
    assert not at.exception
    assert any("From the link" in e.value for e in at.error)
    at.number_input(key="hours").set_value(12.0).run()  # and it keeps working
    assert not at.exception


def test_an_instance_link_with_a_country_shows_its_providers_region_on_that_grid_and_says_so() -> None:
    """instance=aws:p4d.24xlarge&region=FR moved the job to aws:us-east-1 (19.6 kg) without a word; estimate()
    gives FR's grid (1.45 kg): the form now shows aws:eu-west-3, on FR's grid, and says why."""
    at = run_app({"instance": "aws:p4d.24xlarge", "hours": "10", "region": "FR"})
    assert not at.exception and at.selectbox(key="region").value == "aws:eu-west-3"
    said = warnings_shown(at)
    assert (
        "From the link: region FR with instance aws:p4d.24xlarge: the form takes one of aws's regions for an "
        "instance, so it shows aws:eu-west-3, on FR's grid; estimate() takes the place itself"
    ) in said
    api = estimate(instance="aws:p4d.24xlarge", hours=10, region="FR")
    shown = estimate(instance="aws:p4d.24xlarge", hours=10, region="aws:eu-west-3")
    assert api.intensity_g_per_kwh == shown.intensity_g_per_kwh
    assert any(m.value == report.mass(shown.co2e_g) for m in at.metric)
