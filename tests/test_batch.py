"""estimate_many and `co2-estimator batch`: per-row equality with estimate(), bad rows, strict, files, Dask."""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from estimator import estimate
from estimator.batch import OUTPUT_COLUMNS, BatchRowError, estimate_file, estimate_many
from estimator.errors import EstimatorError, InputError
from tests.conftest import import_needed, run_cli

ROWS: list[dict[str, Any]] = [
    {"hardware": "A100 SXM4 80GB", "hours": 72, "count": 8, "region": "gcp:us-central1"},
    {"hardware": "NVIDIA A100-SXM4-80GB", "hours": 1.5, "region": "FR"},
    {"instance": "aws:p4d.24xlarge", "hours": 10, "region": "aws:us-east-1"},
    {"hardware": "Tesla V100-SXM2-16GB", "hours": 3, "count": 2, "region": "US-CA", "utilization": 0.7},
    {"hardware": "nvidia-t4", "hours": 0.25, "region": "NA", "pue": 1.2},  # NA is Namibia
    {"hardware": "nvidia-h100-sxm5-80gb", "hours": 2, "count": 4, "intensity": 20.5},
    {"hardware": "my lab board", "power_w": 75, "hours": 5, "region": "DE"},
    {"hardware": "nvidia-a100-sxm4-80gb", "power_w": 310, "hours": 5, "count": 2, "region": "SE", "pue": 1.05},
    {"cpu": "amd-epyc-7742", "cpu_cores": 16, "hours": 4, "region": "world", "memory_gb": 64},
    {
        "hardware": "nvidia-l4",
        "cpu": "amd-epyc-7742",
        "cpu_count": 2,
        "hours": 4,
        "region": "Frankfurt",
        "provider": "gcp",
    },
]


def _frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame(rows)


def _kwargs(row: pd.Series[Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in row.items():
        if k in ("run",) or v is None or (isinstance(v, float) and math.isnan(v)):
            continue
        value = v.item() if isinstance(v, np.generic) else v
        out[str(k)] = int(value) if k in ("count", "cpu_count") and float(value).is_integer() else value
    return out


def test_every_row_equals_estimate_exactly() -> None:
    runs = _frame(ROWS)
    out = estimate_many(runs)
    assert list(out.columns) == [*runs.columns, *OUTPUT_COLUMNS]
    for i, row in runs.iterrows():
        e = estimate(**_kwargs(row))
        got: Any = out.loc[i]  # type: ignore[call-overload]
        assert got["error"] is None
        assert got["energy_kwh"] == e.energy_kwh  # bit for bit, not approx
        assert got["co2e_g"] == e.co2e_g
        assert got["draw_w"] == e.draw_w
        assert got["pue_used"] == e.pue and got["pue_basis"] == e.pue_basis
        assert got["intensity_g_per_kwh"] == e.intensity_g_per_kwh
        assert got["intensity_basis"] == e.intensity_basis
        assert got["hardware_id"] == (e.hardware or {}).get("id")
        assert got["region_id"] == (e.region or {}).get("id")


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.fixed_dictionaries(
            {
                "hardware": st.sampled_from(["nvidia-a100-sxm4-80gb", "Tesla T4", "H100 SXM", "A100", "nope-gpu"]),
                "hours": st.one_of(st.floats(-1, 1e4), st.just(float("nan")), st.integers(-2, 500)),
                "count": st.one_of(st.none(), st.integers(-1, 16), st.floats(0, 9)),
                "region": st.sampled_from(["FR", "gcp:us-central1", "aws:us-east-1", "Atlantis", "world"]),
                "utilization": st.one_of(st.none(), st.floats(-0.5, 1.5)),
                "pue": st.one_of(st.none(), st.floats(0.5, 3.5)),
                "power_w": st.one_of(st.none(), st.floats(-10, 2000)),
            }
        ),
        min_size=1,
        max_size=12,
    )
)
def test_property_rows_match_estimate_or_its_error(rows: list[dict[str, Any]]) -> None:
    runs = pd.DataFrame(rows).astype({"count": float, "utilization": float, "pue": float, "power_w": float})
    out = estimate_many(runs)
    assert len(out) == len(runs)
    for i in range(len(runs)):
        kwargs = _kwargs(runs.iloc[i])
        message: str | None = None
        try:
            e = estimate(**kwargs)
        except EstimatorError as exc:
            message = " ".join(str(exc).split())
        if message is not None:
            assert out["error"].iat[i] == message
            assert np.isnan(out["co2e_g"].to_numpy()[i])
            continue
        assert out["error"].iat[i] is None
        assert out["co2e_g"].iat[i] == e.co2e_g
        assert out["energy_kwh"].iat[i] == e.energy_kwh


def test_bad_rows_get_messages_and_are_never_dropped() -> None:
    runs = pd.DataFrame(
        {
            "job": ["ok", "typo", "neg", "text", "blank", "ambiguous", "nowhere", "ok2"],
            "hardware": [
                "nvidia-t4",
                "Quantum Toaster",
                "nvidia-t4",
                "nvidia-t4",
                "nvidia-t4",
                "A100",
                "nvidia-t4",
                "",
            ],
            "hours": [1, 1, -3, "abc", None, 1, 1, 2],
            "region": ["FR", "FR", "FR", "FR", "FR", "FR", "Atlantis", "FR"],
        },
        index=[10, 11, 12, 13, 14, 15, 16, 17],
    )
    out = estimate_many(runs)
    assert list(out.index) == list(runs.index) and list(out["job"]) == list(runs["job"])
    errors: dict[str, Any] = dict(zip(out["job"], out["error"], strict=True))
    assert errors["ok"] is None
    assert "unknown hardware 'Quantum Toaster'" in errors["typo"]
    assert "hours must be greater than 0" in errors["neg"]
    assert "hours must be a number" in errors["text"] and "'abc'" in errors["text"]
    assert "hours is required" in errors["blank"]
    assert "ambiguous" in errors["ambiguous"]
    assert "unknown region 'Atlantis'" in errors["nowhere"]
    assert "nothing to estimate" in errors["ok2"]  # blank hardware is "not given"
    bad = out["error"].notna()
    assert out.loc[bad, "co2e_g"].isna().all() and out.loc[~bad, "co2e_g"].notna().all()


def test_same_bad_name_in_many_combinations_gets_the_same_message() -> None:
    runs = pd.DataFrame(
        {
            "hardware": ["Quantum Toaster"] * 3 + ["nvidia-t4"],
            "hours": 1,
            "region": ["FR", "DE", "Atlantis", "Atlantis"],
        }
    )
    out = estimate_many(runs)
    errors: list[Any] = list(out["error"])
    assert errors[0] == errors[1] == errors[2]
    assert "unknown region" in errors[3]


def test_strict_raises_at_first_bad_row_naming_row_and_column() -> None:
    runs = pd.DataFrame({"hardware": ["nvidia-t4", "nvidia-t4", "nope"], "hours": [1, -1, 1], "region": "FR"})
    with pytest.raises(BatchRowError, match=r"row 1 \(index 1\), column 'hours': hours must be greater than 0") as info:
        estimate_many(runs, strict=True)
    assert info.value.column == "hours" and info.value.position == 1
    assert isinstance(info.value, InputError)


@pytest.mark.parametrize(
    ("columns", "message"),
    [
        ({"hardware": ["nvidia-t4"], "region": ["FR"]}, "missing column 'hours'"),
        ({"Hours": [1], "hardware": ["nvidia-t4"], "region": ["FR"]}, "found 'Hours'"),
        ({"gpu": ["nvidia-t4"], "hours": [1], "region": ["FR"]}, "missing column 'hardware' or 'instance'"),
        ({"hardware": ["nvidia-t4"], "hours": [1]}, "missing column 'region'"),
    ],
)
def test_missing_columns_are_named(columns: dict[str, list[Any]], message: str) -> None:
    with pytest.raises(InputError, match=message):
        estimate_many(pd.DataFrame(columns))


def test_not_a_dataframe() -> None:
    with pytest.raises(InputError, match="pandas DataFrame"):
        estimate_many([{"hours": 1}])  # type: ignore[arg-type]


def test_empty_frame_keeps_dtypes() -> None:
    empty = estimate_many(pd.DataFrame({"hardware": pd.Series([], dtype=object), "hours": [], "region": []}))
    full = estimate_many(pd.DataFrame({"hardware": ["nvidia-t4"], "hours": [1.0], "region": ["FR"]}))
    assert len(empty) == 0
    assert dict(empty.dtypes[list(OUTPUT_COLUMNS)]) == dict(full.dtypes[list(OUTPUT_COLUMNS)])


def test_partitions_give_the_same_answer_as_the_whole() -> None:
    runs = _frame(ROWS * 3)
    whole = estimate_many(runs)
    parts = pd.concat([estimate_many(runs.iloc[i : i + 7]) for i in range(0, len(runs), 7)])
    pd.testing.assert_frame_equal(whole, parts)


def test_dask_map_partitions_on_a_local_scheduler() -> None:
    dd = import_needed("dask.dataframe")
    runs = _frame(ROWS * 4).reset_index(names="run")
    runs.loc[5, "hardware"] = "Quantum Toaster"
    ddf = dd.from_pandas(runs, npartitions=3)
    meta = estimate_many(runs.iloc[:0])
    result = ddf.map_partitions(estimate_many, meta=meta).compute(scheduler="processes", num_workers=2)
    expected = estimate_many(runs)
    pd.testing.assert_frame_equal(
        result.sort_values("run").reset_index(drop=True), expected.reset_index(drop=True), check_dtype=False
    )
    assert result["error"].notna().sum() == 1


# ---------------------------------------------------------------- files and the CLI


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


CSV = (
    "job,hardware,instance,hours,count,region,note\n"
    'a,A100 SXM4 80GB,,72,8,gcp:us-central1,"hello, world"\n'
    "b,NVIDIA A100-SXM4-80GB,,1.5,,FR,\n"
    "c,,aws:p4d.24xlarge,10,,aws:us-east-1,x\n"
    "\n"
    "d,Quantum Toaster,,3,1,FR,y\n"
    "e,nvidia-t4,,abc,1,NA,z\n"
)


def test_csv_file_round_trip_keeps_rows_order_and_passthrough(tmp_path: Path) -> None:
    src = _write(tmp_path / "runs.csv", CSV)
    summary = estimate_file(src, tmp_path / "out.csv", progress=False)
    assert (summary.rows, summary.errors) == (5, 2)
    out = pd.read_csv(tmp_path / "out.csv", keep_default_na=False, na_values={"co2e_g": [""]})
    assert list(out["job"]) == ["a", "b", "c", "d", "e"]
    assert out["note"].iloc[0] == "hello, world"
    assert out["region"].iloc[4] == "NA"
    e = estimate(hardware="A100 SXM4 80GB", hours=72, count=8, region="gcp:us-central1")
    assert out["co2e_g"].iloc[0] == e.co2e_g  # shortest repr round-trips exactly
    assert "unknown hardware" in out["error"].iloc[3]
    assert summary.co2e_g == pytest.approx(out["co2e_g"].sum())
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp file left


def test_parquet_round_trip(tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    runs = _frame(ROWS)
    runs["run"] = [f"r{i}" for i in range(len(runs))]
    runs.to_parquet(tmp_path / "runs.parquet")
    estimate_file(tmp_path / "runs.parquet", tmp_path / "out.parquet", progress=False)
    back = pd.read_parquet(tmp_path / "out.parquet")
    expected = estimate_many(runs)
    assert list(back.columns) == list(expected.columns)
    np.testing.assert_array_equal(back["co2e_g"].to_numpy(), expected["co2e_g"].to_numpy())
    assert list(back["run"]) == list(runs["run"])
    # CSV in, Parquet out: the error column is text even when every row is good
    src = _write(tmp_path / "ok.csv", "hardware,hours,region\nnvidia-t4,1,FR\n")
    estimate_file(src, tmp_path / "ok.parquet", progress=False)
    pq: Any = pytest.importorskip("pyarrow.parquet")

    assert str(pq.read_schema(tmp_path / "ok.parquet").field("error").type) in ("string", "large_string")


def test_strict_names_the_file_line_and_column_and_writes_nothing(tmp_path: Path) -> None:
    src = _write(tmp_path / "runs.csv", CSV)
    dest = tmp_path / "out.csv"
    _write(dest, "old results\n")
    with pytest.raises(BatchRowError, match=r"runs.csv, line 6, column 'hardware': unknown hardware") as info:
        estimate_file(src, dest, strict=True, progress=False)
    assert info.value.line == 6
    assert dest.read_text() == "old results\n"  # untouched, never half-written
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv", "runs.csv"]


def test_semicolon_files_are_sniffed_and_wrong_sep_explained(tmp_path: Path) -> None:
    src = _write(tmp_path / "semi.csv", "hardware;hours;region\nnvidia-t4;1,5;FR\nnvidia-t4;2;FR\n")
    summary = estimate_file(src, tmp_path / "out.csv", progress=False)
    assert summary.rows == 2 and summary.errors == 1  # "1,5" is not a number; the row says so
    with pytest.raises(InputError, match="';'-separated"):
        estimate_file(src, tmp_path / "out.csv", sep=",", progress=False)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "is empty"),
        ("\n\n", "is empty"),
        ("hardware,hours\nnvidia-t4,1\n", "missing column 'region'"),
        ('hardware,hours,region\nnvidia-t4,1,"FR\n', "cannot read as CSV"),
    ],
)
def test_bad_files(tmp_path: Path, content: str, message: str) -> None:
    src = _write(tmp_path / "runs.csv", content)
    with pytest.raises(InputError, match=message):
        estimate_file(src, tmp_path / "out.csv", progress=False)
    assert not (tmp_path / "out.csv").exists()


def test_header_only_file_gives_header_only_output(tmp_path: Path) -> None:
    src = _write(tmp_path / "runs.csv", "hardware,hours,region\n")
    summary = estimate_file(src, tmp_path / "out.csv", progress=False)
    assert summary.rows == 0
    assert "energy_kwh" in (tmp_path / "out.csv").read_text()


def test_output_may_not_overwrite_input(tmp_path: Path) -> None:
    src = _write(tmp_path / "runs.csv", CSV)
    with pytest.raises(InputError, match="is the input file"):
        estimate_file(src, src, progress=False)


def test_cli_batch(tmp_path: Path) -> None:
    src = _write(tmp_path / "runs.csv", CSV)
    r = run_cli("batch", str(src), "-o", str(tmp_path / "out.csv"))
    assert r.returncode == 0, r.stderr
    assert "5 runs" in r.stdout and "2 with an error" in r.stdout
    stdout = run_cli("batch", str(src), "--no-progress")
    assert stdout.returncode == 0 and stdout.stdout.startswith('"job"')
    assert "5 runs" in stdout.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--strict",), "line 6, column 'hardware'"),
        (("--sep", ";"), "missing column 'hours'"),
    ],
)
def test_cli_batch_errors_exit_2_with_one_line(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    src = _write(tmp_path / "runs.csv", CSV)
    r = run_cli("batch", str(src), "-o", str(tmp_path / "out.csv"), *args)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and "Traceback" not in r.stderr
    assert not (tmp_path / "out.csv").exists()


def test_cli_batch_missing_file_and_folder(tmp_path: Path) -> None:
    for path, message in ((tmp_path / "nope.csv", "no such file"), (tmp_path, "is a folder")):
        r = run_cli("batch", str(path), "-o", str(tmp_path / "out.csv"))
        assert r.returncode == 2 and message in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_lazy_export_keeps_import_light() -> None:
    import subprocess
    import sys

    from tests.conftest import ROOT

    code = (
        "import sys, estimator; a = 'pandas' in sys.modules; estimator.estimate_many; print(a, 'pandas' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.split() == ["False", "True"]
    assert os.environ.get("CO2_ESTIMATOR_CACHE_DIR")


# ---------------------------------------------------------------- every way in agrees with estimate() (issue 16, 6)


def _estimate_message(**kwargs: Any) -> str:
    with pytest.raises(EstimatorError) as info:
        estimate(**kwargs)
    return " ".join(str(info.value).split())


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("hours", 1e13),
        ("hours", 1.7e308),
        ("count", True),
        ("count", 20_000_000),
        ("utilization", True),
        ("power_w", True),
        ("pue", True),
    ],
)
def test_rows_estimate_refuses_are_errors_with_its_words(column: str, value: Any) -> None:
    base: dict[str, Any] = {"hardware": "nvidia-t4", "hours": 1.0, "region": "FR"}
    row = {**base, column: value}
    runs = pd.DataFrame([base, row], dtype=object).astype({"hours": object})
    runs[column] = pd.Series([base.get(column), value], dtype=object)
    if column not in base:
        runs.loc[0, column] = None
    out = estimate_many(runs)
    assert out["error"].iat[0] is None
    assert out["error"].iat[1] == _estimate_message(**row)
    assert np.isnan(out["co2e_g"].to_numpy()[1])


def test_a_boolean_column_is_not_a_number_of_devices() -> None:
    runs = pd.DataFrame({"hardware": ["nvidia-t4"] * 2, "hours": [1.0, 1.0], "count": [True, False], "region": "FR"})
    out = estimate_many(runs)
    assert list(out["error"]) == [
        _estimate_message(hardware="nvidia-t4", hours=1.0, count=c, region="FR") for c in (True, False)
    ]


def test_huge_hours_in_a_file_give_a_row_error_not_a_traceback(tmp_path: Path) -> None:
    src = _write(
        tmp_path / "runs.csv", "hardware,hours,region\nnvidia-t4,1e13,FR\nnvidia-t4,1.7e308,FR\nnvidia-t4,2,FR\n"
    )
    summary = estimate_file(src, tmp_path / "out.csv", progress=False)
    assert (summary.rows, summary.errors) == (3, 2)
    out = pd.read_csv(tmp_path / "out.csv")
    assert out["error"].iat[0] == _estimate_message(hardware="nvidia-t4", hours=1e13, region="FR")
    assert math.isfinite(summary.co2e_g) and summary.co2e_g == out["co2e_g"].iat[2]


# ---------------------------------------------------------------- input columns named like outputs (issue 16, 7)


def test_input_columns_named_like_outputs_are_kept_under_another_name() -> None:
    runs = pd.DataFrame(
        {"hardware": ["nvidia-t4"], "hours": [1], "region": ["FR"], "error": ["my note"], "co2e_g": [5]}
    )
    with pytest.warns(UserWarning, match=r"'error' as 'input_error', 'co2e_g' as 'input_co2e_g'"):
        out = estimate_many(runs)
    assert out["input_error"].iat[0] == "my note" and out["input_co2e_g"].iat[0] == 5
    assert (
        out["error"].iat[0] is None
        and out["co2e_g"].iat[0] == estimate(hardware="nvidia-t4", hours=1, region="FR").co2e_g
    )
    assert out.attrs["renamed_columns"] == {"error": "input_error", "co2e_g": "input_co2e_g"}


def test_a_file_with_an_error_column_keeps_it_and_says_so(tmp_path: Path) -> None:
    src = _write(tmp_path / "runs.csv", "hardware,hours,region,error,input_error\nnvidia-t4,1,FR,note a,note b\n")
    summary = estimate_file(src, tmp_path / "out.csv", progress=False)
    out = pd.read_csv(tmp_path / "out.csv")
    assert out["input_error_2"].iat[0] == "note a" and out["input_error"].iat[0] == "note b"
    assert summary.notes == ("input column named like an output kept: 'error' as 'input_error_2'",)
    r = run_cli("batch", str(src), "-o", str(tmp_path / "cli.csv"))
    assert r.returncode == 0 and "'error' as 'input_error_2'" in r.stdout


# ---------------------------------------------------------------- Arrow streaming (issue 15, 1 and 2)


def test_parquet_is_streamed_in_row_groups_with_one_schema(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pq: Any = pytest.importorskip("pyarrow.parquet")
    import estimator.batch as batch_mod

    monkeypatch.setattr(batch_mod, "CHUNK_ROWS", 7)
    runs = _frame(ROWS * 3).assign(run=[f"r{i}" for i in range(30)])
    runs.loc[25, "hardware"] = "Quantum Toaster"
    runs.to_parquet(tmp_path / "runs.parquet", row_group_size=10)
    summary = estimate_file(tmp_path / "runs.parquet", tmp_path / "out.parquet", progress=False)
    meta = pq.ParquetFile(tmp_path / "out.parquet").metadata
    sizes = [meta.row_group(i).num_rows for i in range(meta.num_row_groups)]
    # streamed: no batch over CHUNK_ROWS rows, none across the input's row groups (each has its own dictionary)
    assert sum(sizes) == 30 and max(sizes) <= 7 and len(sizes) >= 5 and summary.rows == 30 and summary.errors == 1
    back = pd.read_parquet(tmp_path / "out.parquet")
    expected = estimate_many(runs)
    np.testing.assert_array_equal(back["co2e_g"].to_numpy(), expected["co2e_g"].to_numpy())
    assert list(back["error"].fillna("")) == list(expected["error"].fillna(""))
    schema = pq.read_schema(tmp_path / "out.parquet")
    assert str(schema.field("co2e_g").type) == "double" and str(schema.field("error").type) in (
        "string",
        "large_string",
    )


def test_parquet_text_is_written_from_its_codes_and_read_back_with_the_types_it_had(tmp_path: Path) -> None:
    """A reader gets output_schema's types back (large strings, a category, a REQUIRED column), the rows those of
    estimate_many, and text dictionary-encoded. That the writer is handed codes, and that its statistics and sizes
    are the decoded write's, is test_parquet_written_from_codes_equals_the_decoded_write_chunk_by_chunk."""
    pa: Any = pytest.importorskip("pyarrow")
    pq: Any = pytest.importorskip("pyarrow.parquet")
    from estimator.batch import output_schema

    runs = _frame(ROWS * 2)
    n = len(runs)

    def column(name: str, kind: Any) -> Any:
        return pa.array(runs[name], type=kind, from_pandas=True)  # NaN: a blank cell

    table = pa.table(
        {
            "run": pa.array([f"r{i}" for i in range(n)], type=pa.large_string()),
            "hardware": column("hardware", pa.large_string()),
            "instance": column("instance", pa.string()),
            "hours": column("hours", pa.float64()),
            "count": column("count", pa.float64()),
            "region": column("region", pa.string()).dictionary_encode(),  # a pandas category
            "cpu": column("cpu", pa.large_string()),
            "cpu_cores": column("cpu_cores", pa.float64()),
            "team": pa.array(["a", "b"] * (n // 2)),
        },
        schema=pa.schema(
            [
                pa.field("run", pa.large_string(), nullable=False),  # a REQUIRED column stays required
                pa.field("hardware", pa.large_string()),
                pa.field("instance", pa.string()),
                pa.field("hours", pa.float64()),
                pa.field("count", pa.float64()),
                pa.field("region", pa.dictionary(pa.int32(), pa.string())),
                pa.field("cpu", pa.large_string()),
                pa.field("cpu_cores", pa.float64()),
                pa.field("team", pa.string()),
            ]
        ),
    )
    pq.write_table(table, tmp_path / "runs.parquet", row_group_size=7)
    estimate_file(tmp_path / "runs.parquet", tmp_path / "out.parquet", progress=False)
    back = pq.read_table(tmp_path / "out.parquet")
    assert back.schema.equals(output_schema(table.schema))  # large stays large, the category a dictionary
    assert back.schema.field("run").nullable is False
    meta = pq.ParquetFile(tmp_path / "out.parquet").metadata
    for name in ("hardware", "error", "zone", "hardware_id", "region_id", "pue_basis"):
        chunk = meta.row_group(0).column(back.schema.get_field_index(name))
        assert "RLE_DICTIONARY" in chunk.encodings  # written from codes, as Parquet stores text
    for name in ("draw_w", "pue_used", "intensity_g_per_kwh", "intensity_year"):  # one per combination: a dictionary
        assert "RLE_DICTIONARY" in meta.row_group(0).column(back.schema.get_field_index(name)).encodings, name
    for name in ("energy_kwh", "co2e_g", "hours", "count"):  # distinct per row, or the input's numbers: plain
        assert "RLE_DICTIONARY" not in meta.row_group(0).column(back.schema.get_field_index(name)).encodings, name
    # the same rows and texts as the plain (decoded) path: estimate_many over the same table
    expected = estimate_many(table.to_pandas())
    frame = back.to_pandas()
    assert not any(isinstance(t, pd.CategoricalDtype) for t in frame.drop(columns="region").dtypes)
    for name in OUTPUT_COLUMNS:
        want = expected[name].astype(object).where(expected[name].notna(), None).tolist()
        got = frame[name].astype(object).where(frame[name].notna(), None).tolist()
        assert got == want, name
    assert back.column("run").to_pylist() == [f"r{i}" for i in range(n)]


def test_parquet_written_from_codes_equals_the_decoded_write_chunk_by_chunk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Statistics, sizes and rows of every column chunk as if the writer had been given plain strings.

    Chunks of 5 rows over row groups of 13: each output chunk holds a slice of an input row group
    whose dictionary names more than the slice uses, and chunks where a name column is all blank.
    """
    pa: Any = pytest.importorskip("pyarrow")
    pq: Any = pytest.importorskip("pyarrow.parquet")
    import estimator.batch as batch_mod

    monkeypatch.setattr(batch_mod, "CHUNK_ROWS", 5)
    runs = _frame(ROWS * 4).assign(run=[f"r{i}" for i in range(40)])
    runs.loc[17, "hardware"] = "Quantum Toaster"  # a bad row: its labels are blanked
    runs.to_parquet(tmp_path / "runs.parquet", row_group_size=13)
    written: list[Any] = []
    write_batch = pq.ParquetWriter.write_batch

    def spy(writer: Any, batch: Any, **kwargs: Any) -> Any:
        written.append(batch)
        return write_batch(writer, batch, **kwargs)

    monkeypatch.setattr(pq.ParquetWriter, "write_batch", spy)
    estimate_file(tmp_path / "runs.parquet", tmp_path / "coded.parquet", progress=False)
    assert pa.types.is_dictionary(written[0].schema.field("zone").type)  # the coded path was taken
    assert pa.types.is_dictionary(written[0].schema.field("hardware").type)
    monkeypatch.setattr(batch_mod._Writer, "coded", property(lambda self: False))
    written.clear()
    estimate_file(tmp_path / "runs.parquet", tmp_path / "plain.parquet", progress=False)
    assert not pa.types.is_dictionary(written[0].schema.field("zone").type)
    coded, plain = pq.ParquetFile(tmp_path / "coded.parquet"), pq.ParquetFile(tmp_path / "plain.parquet")
    assert coded.read().equals(plain.read()) and coded.schema_arrow.equals(plain.schema_arrow)
    a, b = coded.metadata, plain.metadata
    assert a.num_row_groups == b.num_row_groups >= 8
    for g in range(a.num_row_groups):
        for c in range(a.num_columns):
            x, y = a.row_group(g).column(c), b.row_group(g).column(c)
            where = (g, x.path_in_schema)
            assert x.statistics.null_count == y.statistics.null_count, where
            assert x.statistics.has_min_max == y.statistics.has_min_max, where
            if x.statistics.has_min_max:
                assert (x.statistics.min, x.statistics.max) == (y.statistics.min, y.statistics.max), where
            assert x.total_compressed_size <= y.total_compressed_size * 1.1 + 64, where
    blank_cpu = [
        g
        for g in range(a.num_row_groups)
        if a.row_group(g).column(a.schema.names.index("cpu")).statistics.null_count == a.row_group(g).num_rows
    ]
    assert blank_cpu  # a chunk whose cpu cells are all blank: no min or max made up for it


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_string_view_and_null_typed_parquet_columns_are_estimated(tmp_path: Path, suffix: str) -> None:
    """Arrow's newer string_view (no dictionary of it in Parquet's writer, none at all in its CSV writer) and
    a column of no values (null type, also in a file of no rows) are read and written like any text."""
    pa: Any = pytest.importorskip("pyarrow")
    pq: Any = pytest.importorskip("pyarrow.parquet")
    table = pa.table(
        {
            "hardware": pa.array(["nvidia-t4", "Quantum Toaster", None]).cast(pa.string_view()),
            "hours": [1.0, 2.0, 3.0],
            "region": pa.array(["FR", "FR", "DE"]).cast(pa.string_view()),
            "instance": pa.array([None, None, "aws:p4d.24xlarge"], type=pa.string_view()),
            "note": pa.array([None, None, None], type=pa.null()),
        }
    )
    pq.write_table(table, tmp_path / "runs.parquet")
    summary = estimate_file(tmp_path / "runs.parquet", tmp_path / f"out{suffix}", progress=False)
    assert (summary.rows, summary.errors) == (3, 1)
    back = pd.read_parquet(tmp_path / "out.parquet") if suffix == ".parquet" else pd.read_csv(tmp_path / "out.csv")
    expected = estimate_many(table.to_pandas())
    np.testing.assert_array_equal(back["co2e_g"].to_numpy(), expected["co2e_g"].to_numpy())
    assert back["hardware"].iloc[0] == "nvidia-t4" and "unknown hardware" in back["error"].iloc[1]
    if suffix == ".parquet":
        assert pq.read_schema(tmp_path / "out.parquet").field("hardware").type == pa.string_view()
    # no rows and no values: the header and the schema still written
    nothing = pa.array([], type=pa.null())
    pq.write_table(pa.table({"hardware": nothing, "hours": nothing, "region": nothing}), tmp_path / "empty.parquet")
    assert estimate_file(tmp_path / "empty.parquet", tmp_path / f"none{suffix}", progress=False).rows == 0
    assert (tmp_path / f"none{suffix}").stat().st_size > 0


@pytest.mark.parametrize("coded", [True, False])
def test_a_pandas_index_comes_back_as_the_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, coded: bool) -> None:
    """pandas' own metadata (its index, its dtypes) is kept with the input columns; not when one is renamed."""
    pytest.importorskip("pyarrow")
    import estimator.batch as batch_mod

    if not coded:
        monkeypatch.setattr(batch_mod._Writer, "coded", property(lambda self: False))
    runs = _frame(ROWS[:3]).assign(name=["a", "b", "c"]).set_index("name")
    runs.to_parquet(tmp_path / "runs.parquet")
    estimate_file(tmp_path / "runs.parquet", tmp_path / "out.parquet", progress=False)
    back = pd.read_parquet(tmp_path / "out.parquet")
    assert back.index.name == "name" and list(back.index) == ["a", "b", "c"]
    np.testing.assert_array_equal(back["co2e_g"].to_numpy(), estimate_many(runs)["co2e_g"].to_numpy())
    runs.assign(co2e_g=1.0).to_parquet(tmp_path / "clash.parquet")  # renamed input_co2e_g: no pandas metadata
    estimate_file(tmp_path / "clash.parquet", tmp_path / "clash_out.parquet", progress=False)
    clash = pd.read_parquet(tmp_path / "clash_out.parquet")
    assert list(clash["input_co2e_g"]) == [1.0, 1.0, 1.0] and "name" in clash.columns


def test_a_stray_text_cell_changes_nothing_else_in_its_chunk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import estimator.batch as batch_mod

    monkeypatch.setattr(batch_mod, "CSV_BLOCK_BYTES", 64)  # many small chunks
    lines = ["job,hardware,hours,count,region"] + [f"j{i},nvidia-t4,{i % 5 + 1},4,FR" for i in range(40)]
    lines[30] = "j29,nvidia-t4,four,4,FR"
    src = _write(tmp_path / "runs.csv", "\n".join(lines) + "\n")
    estimate_file(src, tmp_path / "out.csv", progress=False)
    out = pd.read_csv(tmp_path / "out.csv", dtype=str, keep_default_na=False)
    assert list(out["hours"]) == [line.split(",")[2] for line in lines[1:]]  # as written: 4 stays 4, never 4.0
    assert list(out["count"]) == ["4"] * 40
    assert out["error"].iat[29] == _estimate_message(hardware="nvidia-t4", hours="four", count=4, region="FR")
    assert (out["error"] == "").sum() == 39


def test_no_pandas_warning_on_mixed_columns(tmp_path: Path) -> None:
    lines = ["hardware,hours,region,note"] + [f"nvidia-t4,{i + 1},FR,{i}" for i in range(300_000)]
    lines[-1] = "nvidia-t4,abc,FR,text"
    src = _write(tmp_path / "runs.csv", "\n".join(lines) + "\n")
    r = run_cli("batch", str(src), "-o", str(tmp_path / "out.csv"))
    assert r.returncode == 0 and "Warning" not in r.stderr and "1 with an error" in r.stdout


def test_each_distinct_bad_name_is_worked_out_once_per_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import estimator.batch as batch_mod
    from estimator import names

    monkeypatch.setattr(batch_mod, "CSV_BLOCK_BYTES", 256)
    calls: list[str] = []
    original = names.NameIndex._miss

    def counting(self: names.NameIndex, text: str, allowed: Any) -> Any:
        calls.append(text)
        return original(self, text, allowed)

    monkeypatch.setattr(names.NameIndex, "_miss", counting)
    names.forget_misses()
    rows = [f"Toaster {i % 3},{i % 7 + 1},{'FR' if i % 2 else 'DE'}" for i in range(200)]
    src = _write(tmp_path / "runs.csv", "hardware,hours,region\n" + "\n".join(rows) + "\n")
    summary = estimate_file(src, tmp_path / "out.csv", progress=False)
    assert summary.errors == 200
    assert sorted(calls) == ["Toaster 0", "Toaster 1", "Toaster 2"]


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_special_files_are_refused_before_reading(tmp_path: Path, kind: str) -> None:
    if kind == "fifo":
        path = tmp_path / "runs.csv"
        os.mkfifo(path)
    else:
        path = Path("/dev/zero")
    with pytest.raises(InputError, match="not a file"):
        estimate_file(path, tmp_path / "out.csv", progress=False)


# ---------------------------------------------------------------- a combination resolved once per file


def test_a_combination_is_resolved_once_per_file_not_once_per_chunk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import estimator.batch as batch_mod
    from estimator import plan, runs

    monkeypatch.setattr(batch_mod, "CSV_BLOCK_BYTES", 256)  # about ten rows per chunk
    seen: list[Any] = []
    original = plan.resolve

    def counting(job: Any, catalog: Any = None) -> Any:
        seen.append((job.hardware, job.region, job.count))
        return original(job, catalog)

    monkeypatch.setattr(runs, "resolve", counting)
    rows = [
        f"r{i},{('nvidia-t4', 'nvidia-l4')[i % 2]},{i % 5 + 1},{1 + i % 2},{('FR', 'DE', 'SE')[i % 3]}"
        for i in range(120)
    ]
    src = _write(tmp_path / "runs.csv", "job,hardware,hours,count,region\n" + "\n".join(rows) + "\n")
    summary = estimate_file(src, tmp_path / "out.csv", progress=False)
    # hardware and count go together (i % 2), so 2 × 3 combinations, each resolved once over ~12 chunks
    assert summary.rows == 120 and summary.errors == 0 and len(seen) == len(set(seen)) == 6
    out = pd.read_csv(tmp_path / "out.csv")
    expected = estimate_many(pd.read_csv(src))
    np.testing.assert_array_equal(out["co2e_g"].to_numpy(), expected["co2e_g"].to_numpy())
    assert list(out["region_id"]) == list(expected["region_id"])


def test_a_full_memo_is_emptied_and_the_rows_stay_right(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import estimator.batch as batch_mod
    from estimator import runs

    monkeypatch.setattr(batch_mod, "CSV_BLOCK_BYTES", 128)
    monkeypatch.setattr(runs.Memo, "MAX_ENTRIES", 2)
    rows = [f"{('nvidia-t4', 'nvidia-l4', 'bogus board')[i % 3]},{i % 4 + 1},{('FR', 'DE')[i % 2]}" for i in range(60)]
    src = _write(tmp_path / "runs.csv", "hardware,hours,region\n" + "\n".join(rows) + "\n")
    summary = estimate_file(src, tmp_path / "out.csv", progress=False)
    out = pd.read_csv(tmp_path / "out.csv")
    expected = estimate_many(pd.read_csv(src))
    assert summary.errors == 20
    np.testing.assert_array_equal(out["co2e_g"].to_numpy(), expected["co2e_g"].to_numpy())
    assert list(out["error"].fillna("")) == list(expected["error"].fillna(""))


@given(
    per_code=st.lists(st.none() | st.sampled_from(["FR", "DE", "lifecycle", "user", ""]), min_size=1, max_size=6),
    data=st.data(),
)
def test_text_columns_hold_what_their_codes_say(per_code: list[str | None], data: st.DataObject) -> None:
    from estimator.codes import Text

    n = data.draw(st.integers(0, 30))
    codes = np.array(data.draw(st.lists(st.integers(0, len(per_code) - 1), min_size=n, max_size=n)), dtype=np.int64)
    mask = np.array(data.draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype=bool)
    text = Text.of(per_code, codes)
    assert list(text.objects()) == [per_code[c] for c in codes]
    assert len(set(text.labels)) == len(text.labels)  # each distinct text once
    assert list(text.where(mask, "user").objects()) == [
        "user" if m else per_code[c] for c, m in zip(codes, mask, strict=True)
    ]
    assert list(text.where(mask, None).objects()) == [
        None if m else per_code[c] for c, m in zip(codes, mask, strict=True)
    ]
    said = dict.fromkeys(range(0, n, 3), ("said", None))
    assert list(text.set(said, 0).objects()) == ["said" if i % 3 == 0 else per_code[c] for i, c in enumerate(codes)]
    assert list(text.set(said, 1).objects()) == [None if i % 3 == 0 else per_code[c] for i, c in enumerate(codes)]
    back = Text.of_objects(text.objects())
    assert list(back.objects()) == list(text.objects())


# ---------------------------------------------------------------- choosing the result columns


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_chosen_result_columns_are_the_full_output_cut_down(tmp_path: Path, suffix: str) -> None:
    runs = _frame(ROWS).assign(job=[f"j{i}" for i in range(len(ROWS))])
    runs.loc[3, "hardware"] = "Quantum Toaster"
    src = tmp_path / "runs.csv"
    runs.to_csv(src, index=False)
    estimate_file(src, tmp_path / f"all{suffix}", progress=False)
    summary = estimate_file(src, tmp_path / f"some{suffix}", progress=False, columns=["co2e_g", "zone", "energy_kwh"])
    read = pd.read_parquet if suffix == ".parquet" else pd.read_csv
    full, some = read(tmp_path / f"all{suffix}"), read(tmp_path / f"some{suffix}")
    inputs = [c for c in full.columns if c not in OUTPUT_COLUMNS]
    assert list(some.columns) == [*inputs, "energy_kwh", "co2e_g", "zone", "error"]  # OUTPUT_COLUMNS' order
    pd.testing.assert_frame_equal(some, full[list(some.columns)])
    assert summary.errors == 1 and "Quantum Toaster" in str(some["error"].iat[3])


def test_result_columns_as_one_text_and_only_the_error(tmp_path: Path) -> None:
    from estimator.batch import result_columns

    assert result_columns("co2e_g, energy_kwh") == ("energy_kwh", "co2e_g", "error")
    assert result_columns([]) == ("error",)
    assert result_columns(None) == OUTPUT_COLUMNS
    with pytest.raises(InputError, match=r"unknown result column 'co2e'.*did you mean 'co2e_g'\?"):
        result_columns(["co2e"])
    src = tmp_path / "runs.csv"
    _frame(ROWS[:2]).to_csv(src, index=False)
    with pytest.raises(InputError, match="the result columns are energy_kwh, co2e_g"):
        estimate_file(src, tmp_path / "out.csv", progress=False, columns="kwh")
    assert not (tmp_path / "out.csv").exists()


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_a_start_column_in_a_file_gives_each_run_its_year(tmp_path: Path, suffix: str) -> None:
    runs = pd.DataFrame(
        {
            "hardware": ["nvidia-t4", "nvidia-t4", "nvidia-l4"],
            "hours": [10, 10, 48],
            "region": ["DE", "DE", "FR"],
            "start": ["2022-05-01T00:00:00Z", "2023-12-31T20:00:00Z", "2021-12-31T00:00:00Z"],
        }
    )
    src = tmp_path / f"runs{suffix}"
    runs.to_parquet(src) if suffix == ".parquet" else runs.to_csv(src, index=False)
    estimate_file(src, tmp_path / "out.csv", progress=False)
    out = pd.read_csv(tmp_path / "out.csv")
    expected = estimate_many(runs)
    assert list(out["intensity_year"]) == [2022, 2023, 2021] == list(expected["intensity_year"])
    np.testing.assert_array_equal(out["co2e_g"].to_numpy(), expected["co2e_g"].to_numpy())
    one_year = estimate(hardware="nvidia-t4", hours=10, region="DE", year=2022)
    assert out["co2e_g"].iat[0] == one_year.co2e_g


def test_the_cli_writes_the_chosen_columns_and_refuses_an_unknown_one(tmp_path: Path) -> None:
    src = tmp_path / "runs.csv"
    _frame(ROWS[:3]).to_csv(src, index=False)
    r = run_cli("batch", str(src), "-o", str(tmp_path / "out.csv"), "--columns", "co2e_g,energy_kwh")
    assert r.returncode == 0, r.stderr
    out = pd.read_csv(tmp_path / "out.csv")
    assert list(out.columns)[-3:] == ["energy_kwh", "co2e_g", "error"] and "zone" not in out.columns
    assert out["co2e_g"].iat[0] == estimate(**ROWS[0]).co2e_g
    bad = run_cli("batch", str(src), "-o", str(tmp_path / "bad.csv"), "--columns", "co2e,energy_kwh")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1 and "did you mean 'co2e_g'?" in bad.stderr
    assert not (tmp_path / "bad.csv").exists()


def test_the_output_schema_types_are_the_types_estimate_many_gives() -> None:
    # output_schema names the result types without computing; they must be what the arithmetic makes
    import pyarrow as pa  # type: ignore[import-untyped]

    from estimator.batch import output_schema

    runs = pd.DataFrame({"hardware": ["nvidia-t4", "Quantum Toaster"], "hours": [2.0, 1.0], "region": ["FR", "FR"]})
    frame = estimate_many(runs)
    made = pa.Schema.from_pandas(frame, preserve_index=False)
    schema = output_schema(pa.Schema.from_pandas(runs, preserve_index=False))
    assert schema.names == made.names
    for name in OUTPUT_COLUMNS:
        assert schema.field(name).type == made.field(name).type, name


def test_an_output_without_a_suffix_or_a_folder_gets_a_file_name_to_use(tmp_path: Path) -> None:
    src = _write(tmp_path / "runs.csv", "hardware,hours,region\nnvidia-t4,2,FR\n")
    (tmp_path / "folder").mkdir()
    for output, said in (
        (tmp_path / "results", f"must end in .csv or .parquet (e.g. {tmp_path / 'results.csv'}); it has none"),
        (tmp_path / "folder", f"is a folder; give a file in it, e.g. {tmp_path / 'folder' / 'results.csv'}"),
    ):
        done = run_cli("batch", str(src), "-o", str(output))
        assert done.returncode == 2 and "Traceback" not in done.stderr and said in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1


def test_the_summary_says_how_many_bad_rows_it_does_not_show(tmp_path: Path) -> None:
    rows = "".join(f"Quantum Toaster {i},2,FR\n" for i in range(5))
    src = _write(tmp_path / "runs.csv", "hardware,hours,region\nnvidia-t4,2,FR\n" + rows)
    done = run_cli("batch", str(src), "-o", str(tmp_path / "out.csv"))
    assert done.returncode == 0
    assert "6 runs → " in done.stdout and "and 2 more (the 'error' column has each)" in done.stdout
