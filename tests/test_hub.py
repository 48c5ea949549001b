"""The Hub's reading of ``co2_eq_emissions`` (``hub_grams``) checked against
huggingface_hub's own filter, and ``read_card`` / ``scan`` reporting both readings."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path
from typing import Any

import pytest
from huggingface_hub.hf_api import ModelInfo
from huggingface_hub.utils.endpoint_helpers import _is_emission_within_threshold
from hypothesis import given, settings
from hypothesis import strategies as st

from estimator import modelcard
from estimator.modelcard import hub_grams, read_card, read_card_text, scan
from tests.conftest import ROOT

CARDS = ROOT / "tests" / "cards"


def hub_keeps(value: Any, low: float | None, high: float | None) -> bool:
    """huggingface_hub's own decision, on the object list_models builds from the Hub's JSON."""
    info = ModelInfo(id="someone/model", cardData={"co2_eq_emissions": value})  # type: ignore[no-untyped-call]
    return _is_emission_within_threshold(info, low, high)  # type: ignore[arg-type]


def thresholds_around(x: float) -> list[tuple[float | None, float | None]]:
    near = [x, math.nextafter(x, -math.inf), math.nextafter(x, math.inf), x * 0.999, x * 1.001 + 1e-9]
    pairs: list[tuple[float | None, float | None]] = [(None, math.inf), (-math.inf, None), (0.0, None)]
    pairs += [(lo, None) for lo in near] + [(None, hi) for hi in near] + [(lo, hi) for lo in near for hi in near]
    return pairs


def check_agrees(value: Any) -> None:
    ours = hub_grams(value)
    probe = ours if ours is not None else 1.0
    for low, high in thresholds_around(probe):
        assert hub_keeps(value, low, high) == modelcard.hub_within(ours, low, high), (value, low, high, ours)


# Every form the issue names, worked by hand: what the Hub reads (None: left out).
FORMS: list[tuple[Any, float | None]] = [
    (149.2, 149.2),
    (3, 3.0),
    (0, None),
    (0.0, None),
    ("0", 0.0),  # a non-empty string is not falsy: "0" is read as 0 g
    (-5, 5.0),
    (-5.5, 5.5),
    ("-5 g", 5.0),
    (1e-3, 0.001),  # str(0.001) == "0.001"
    ("1e-3", 1.0),  # PyYAML keeps 1e-3 (no dot) as the string "1e-3"
    (1e-05, 1.0),  # str(1e-05) == "1e-05"
    (1.5e16, 1.5),  # str(1.5e16) == "1.5e+16"
    ("1,234 g", 1.0),
    ("0.5 t", 0.5),
    ("1.7 kg", 1.7),
    ("49.49 g", 49.49),
    ("12 kgCO2e", 12.0),
    ("about a lot", None),
    ("", None),
    (None, None),
    (True, None),  # str(True) has no digit
    (False, None),
    ([], None),
    ([1.7, 2], 1.7),
    ({"emissions": 1700}, 1700.0),
    ({"emissions": "1.7 kg", "source": "x"}, 1.7),
    ({"emissions": 0}, None),
    ({"emissions": None}, None),
    ({"emissions": {"value": 3}}, 3.0),
    (math.nan, None),
    (math.inf, None),
]


@pytest.mark.parametrize(("value", "expected"), FORMS)
def test_hub_grams_by_hand_and_against_huggingface_hub(value: Any, expected: float | None) -> None:
    assert hub_grams(value) == expected
    check_agrees(value)


def test_dict_without_emissions_makes_the_hub_fail_and_reads_none() -> None:
    with pytest.raises(KeyError):
        hub_keeps({"source": "x"}, None, 10)
    assert hub_grams({"source": "x"}) is None


units = st.sampled_from(["", " g", "g", " kg", " t", " tonnes", " kgCO2e", " grams of CO2", " mg"])
numbers = st.floats(allow_nan=True, allow_infinity=True) | st.integers(-(10**20), 10**20)
number_text = st.one_of(
    st.floats(-1e9, 1e9, allow_nan=False).map(repr),
    st.integers(-(10**9), 10**9).map(lambda n: f"{n:,}"),
    st.floats(1e-12, 1e20).map(lambda x: f"{x:e}"),
)
strings = st.builds(lambda n, u: n + u, number_text, units) | st.text(max_size=12)
scalars = numbers | strings | st.none() | st.booleans()
values = st.one_of(
    scalars,
    st.lists(scalars, max_size=3),
    st.builds(lambda v, s: {"emissions": v, "source": s}, scalars, st.text(max_size=5)),
)


@settings(max_examples=400, deadline=None)
@given(value=values)
def test_hub_grams_agrees_with_huggingface_hub(value: Any) -> None:
    check_agrees(value)


@settings(max_examples=200, deadline=None)
@given(value=st.floats(-1e6, 1e6, allow_nan=False), lo=st.floats(-10, 1e6), hi=st.floats(-10, 1e6))
def test_random_thresholds_agree(value: float, lo: float, hi: float) -> None:
    assert hub_keeps(value, lo, hi) == modelcard.hub_within(hub_grams(value), lo, hi)


@pytest.mark.parametrize(
    ("name", "meant", "hub"),
    [
        ("bare_number.md", 149.2, 149.2),
        ("crlf_string_units.md", 49.49, 49.49),
        ("tonnes.md", 500_000, 0.5),
        ("kg_string.md", 1700, 1.7),
        ("thousands.md", 1234, 1.0),
        ("negative.md", -5, 5.0),
        ("zero.md", 0, None),
        ("no_emissions.md", None, None),
        ("no_front_matter.md", None, None),
    ],
)
def test_read_card_reports_both_readings(name: str, meant: float | None, hub: float | None) -> None:
    record = read_card(CARDS / name)
    assert record.emissions_g == (None if meant is None else pytest.approx(meant))
    assert record.hub_g == (None if hub is None else pytest.approx(hub))
    assert record.to_dict()["hub_g"] == record.hub_g
    assert record.hub_misreads == (name in {"tonnes.md", "kg_string.md", "thousands.md", "negative.md", "zero.md"})


def test_misread_is_flagged_with_both_numbers() -> None:
    record = read_card(CARDS / "kg_string.md")
    assert any("reads 1.7 g, not 1,700 g" in f for f in record.flags)
    zero = read_card_text("---\nco2_eq_emissions: {emissions: 0}\n---\n")
    assert any("leaves it out" in f for f in zero.flags)


def test_scan_as_hub_filters_the_way_the_hub_does(tmp_path: Path) -> None:
    for name in ("bare_number.md", "tonnes.md", "kg_string.md", "zero.md", "negative.md", "no_front_matter.md"):
        folder = tmp_path / name.removesuffix(".md")
        folder.mkdir()
        shutil.copyfile(CARDS / name, folder / "README.md")

    def names(records: list[modelcard.CardRecord]) -> list[str]:
        return [Path(r.path).parent.name for r in records]

    # What the cards mean: 1,700 g and 500,000 g are above 100 g; 149.2 g too.
    assert names(scan(tmp_path, min_g=100)) == ["bare_number", "kg_string", "tonnes"]
    # What the Hub reads: 1.7, 0.5 and 5 are below 100; only 149.2 is kept.
    assert names(scan(tmp_path, min_g=100, as_hub=True)) == ["bare_number"]
    assert names(scan(tmp_path, max_g=10, as_hub=True)) == ["tonnes", "kg_string", "negative"]
    # Same decision as huggingface_hub for every card.
    for record in scan(tmp_path):
        raw = modelcard.split_front_matter(Path(record.path).read_text("utf-8")).metadata.get("co2_eq_emissions")
        if raw is not None:
            kept = hub_keeps(raw, None, 10)
            assert kept == (Path(record.path).parent.name in names(scan(tmp_path, max_g=10, as_hub=True)))
    # No bounds: the Hub filters nothing, every card is listed.
    assert len(scan(tmp_path, as_hub=True)) == 6
    # The CLI, in a subprocess: the same filter, and both readings in its output.
    import json

    from tests.conftest import run_cli

    out = run_cli("scan", str(tmp_path), "--max-g", "10", "--as-hub", "--format", "json")
    assert out.returncode == 0, out.stderr
    assert [(Path(r["path"]).parent.name, r["hub_g"]) for r in json.loads(out.stdout)] == [
        ("tonnes", 0.5),
        ("kg_string", 1.7),
        ("negative", 5.0),
    ]
    table = run_cli("scan", str(tmp_path), "--as-hub", "--min-g", "100").stdout
    assert "Hub reads g" in table and "bare_number" in table and "tonnes" not in table


# ---------------------------------------------------------------- a whole Hub dump


def sample_rows() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = [
        {"modelId": f"cards/{p.stem}", "card": p.read_text("utf-8")} for p in sorted(CARDS.glob("*.md"))
    ]
    rows += [
        {"modelId": "plain/none", "card": "---\nlicense: mit\n---\n# no block\n"},
        {"modelId": "plain/null", "card": None},
        {"modelId": "<b>bold</b>", "card": "---\nco2_eq_emissions: {emissions: '2 t'}\n---\n"},
        {"modelId": "body/only", "card": "# Notes\nWe did not report co2_eq_emissions.\n"},
    ]
    return rows


def write_dump(rows: list[dict[str, Any]], path: Path) -> Path:
    import json

    import pyarrow as pa  # type: ignore[import-untyped]
    import pyarrow.parquet as pq  # type: ignore[import-untyped]

    if path.suffix == ".parquet":
        pq.write_table(pa.Table.from_pylist(rows), path, row_group_size=3)
    else:
        path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture(params=[".parquet", ".jsonl"])
def dump(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    return write_dump(sample_rows(), tmp_path / f"dump{request.param}")


def test_scan_dump_counts_by_hand(dump: Path) -> None:
    from estimator.hubdump import scan_dump

    s = scan_dump(dump, batch_rows=4)
    assert s.rows == 17
    # Blocks: bare_number, clean, crlf, kg_as_grams, kg_string, negative, no_emissions, thousands, tonnes, zero, <b>.
    assert s.with_block == 11 and s.unreadable_cards == 1  # malformed.md mentions the key; python_tag.md does not
    # Misread: kg_string (x1,000), thousands (x1,000), tonnes (x1,000,000), <b> 2 t (x1,000,000),
    # negative (sign), zero (left out), no_emissions (the Hub's filter fails).
    assert s.misread == 7
    assert s.misreads == {
        "×1,000": 2,
        "×1,000,000": 2,
        "sign dropped (negative)": 1,
        "left out by the Hub (0 or no number)": 1,
        "the Hub's filter fails (no emissions)": 1,
    }
    assert [r.path for r in s.largest[:3]] == ["<b>bold</b>", "cards/tonnes", "cards/clean"]
    assert s.largest[0].emissions_g == 2e6 and s.largest[0].hub_g == 2.0
    assert s.bins["1 t to 10 t"] == 1 and s.bins["100 kg to 1 t"] == 2 and s.bins["negative"] == 1
    assert s.hub_bins["left out by the Hub"] == 2 and s.hub_bins["1 g to 10 g"] == 4
    assert [r.path for r in s.worst[:2]] == ["cards/tonnes", "<b>bold</b>"]  # both x1,000,000: dump order


def test_scan_dump_bounds_as_meant_and_as_hub(dump: Path) -> None:
    from estimator.hubdump import scan_dump

    meant = scan_dump(dump, min_g=1000)
    assert meant.matched == 5  # 2 t, 0.5 t, 108,979.2 g, 1.7 kg, 1,234 g
    hub = scan_dump(dump, min_g=1000, as_hub=True)
    assert hub.matched == 1 and [r.path for r in hub.largest] == ["cards/clean"]
    assert hub.rows == meant.rows == 17 and hub.with_block == 11


def test_dump_reading_agrees_with_the_folder_scan(dump: Path, tmp_path: Path) -> None:
    from estimator.hubdump import read_dump_card

    for row in sample_rows():
        if row["card"] is None:
            continue
        fast, has_block, bad = read_dump_card(row["card"], row["modelId"])
        try:
            slow = read_card_text(row["card"], row["modelId"])
        except modelcard.CardError:
            assert bad
            continue
        assert (fast.emissions_g, fast.hub_g, fast.flags, fast.written) == (
            slow.emissions_g,
            slow.hub_g,
            () if not has_block else slow.flags,
            slow.written,
        )


@settings(max_examples=80, deadline=None)
@given(value=values, body=st.text(max_size=40), crlf=st.booleans())
def test_fast_front_matter_reads_like_read_card_text(value: Any, body: str, crlf: bool) -> None:
    import yaml

    from estimator.hubdump import read_dump_card

    text = "---\n" + yaml.safe_dump({"license": "mit", "co2_eq_emissions": value}) + "---\n" + body
    if crlf:
        text = text.replace("\n", "\r\n")
    fast, has_block, bad = read_dump_card(text, "m")
    slow = read_card_text(text, "m")
    assert not bad and has_block == (value is not None)
    if has_block:
        assert fast == slow


def test_dask_and_batch_sizes_give_the_same_summary(dump: Path) -> None:
    from estimator.hubdump import scan_dump

    def plain(d: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in d.items() if k not in ("seconds", "engine")}

    one = scan_dump(dump, batch_rows=1).to_dict()
    assert plain(one) == plain(scan_dump(dump, batch_rows=10_000).to_dict())
    assert plain(one) == plain(scan_dump(dump, dask=True).to_dict())


def test_bad_dumps(tmp_path: Path) -> None:
    from estimator.errors import InputError
    from estimator.hubdump import scan_dump

    wrong = write_dump([{"id": "a", "text": "x"}], tmp_path / "wrong.parquet")
    with pytest.raises(InputError, match=r"needs the columns 'modelId' and 'card'.*it has 'id', 'text'"):
        scan_dump(wrong)
    (tmp_path / "junk.parquet").write_bytes(b"not parquet")
    with pytest.raises(InputError, match="not a readable Parquet file"):
        scan_dump(tmp_path / "junk.parquet")
    with pytest.raises(InputError, match="no such file"):
        scan_dump(tmp_path / "missing.jsonl")
    with pytest.raises(InputError, match=r"not a dump file"):
        scan_dump(tmp_path / "cards.csv")


def test_cli_scan_dump_with_chart(dump: Path, tmp_path: Path) -> None:
    import json

    from tests.conftest import run_cli

    chart = tmp_path / "chart.html"
    r = run_cli("scan", str(dump), "--chart", str(chart), "--format", "json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["rows"] == 17 and out["misread"] == 7
    page = chart.read_text("utf-8")
    assert "<svg" in page and "<script" not in page
    assert "&lt;b&gt;bold&lt;/b&gt;" in page and "<b>bold</b>" not in page  # user text stays text
    assert all(url == "http://www.w3.org/2000/svg" for url in __import__("re").findall(r"https?://[^\"' <]+", page))
    table = run_cli("scan", str(dump), "--as-hub", "--max-g", "10")
    assert table.returncode == 0 and "as the Hub reads them" in table.stdout
    assert run_cli("scan", str(tmp_path), "--chart", str(chart)).returncode == 2
    svg = tmp_path / "bins.svg"
    assert run_cli("scan", str(dump), "--chart", str(svg)).returncode == 0
    assert svg.read_text("utf-8").startswith("<svg")


def reference_body_flags(body: str, number: float) -> int:
    """How many amounts in ``body`` equal ``number`` by _BODY_AMOUNT alone (no prefilter)."""
    found = 0
    for amount, _unit in modelcard._BODY_AMOUNT.findall(body):
        try:
            said = float(amount.replace(",", ""))
        except ValueError:
            continue
        found += said == number and said != 0
    return found


pieces = st.sampled_from(["149.2", "1,234", "7", " ", "\n", "kg", "KG", "t", "T", "tons", "Tonnes", "of CO2", "the"])


@settings(max_examples=300, deadline=None)
@given(parts=st.lists(pieces | st.text(max_size=4), max_size=12), number=st.sampled_from([149.2, 1234.0, 7.0]))
def test_body_prefilter_changes_nothing(parts: list[str], number: float) -> None:
    body = "".join(parts)
    assert len(modelcard._body_flags(body, number)) == reference_body_flags(body, number)


def test_jsonl_pieces_end_at_line_ends(tmp_path: Path) -> None:
    from estimator import hubdump

    rows = sample_rows() * 5
    path = write_dump(rows, tmp_path / "cards.jsonl")
    data = path.read_bytes()
    for size in (1, 7, 100, 4096, len(data) + 1):
        pieces = list(hubdump._line_chunks(path, size))
        assert b"".join(pieces) == data
        assert all(piece.endswith(b"\n") for piece in pieces)
    # A card longer than a piece, and a last line without its newline, are read whole.
    long_card = "---\nco2_eq_emissions: '2 kg'\n---\n" + "x" * 5000
    path.write_text(json.dumps({"modelId": "long", "card": long_card}) + "\n" + json.dumps(rows[0]), "utf-8")
    original = hubdump.JSONL_CHUNK_BYTES
    try:
        hubdump.JSONL_CHUNK_BYTES = 100
        summary = hubdump.scan_dump(path)
    finally:
        hubdump.JSONL_CHUNK_BYTES = original
    assert summary.rows == 2 and summary.largest[0].path == "long" and summary.largest[0].emissions_g == 2000


def test_a_standalone_svg_chart_keeps_its_colours_and_goes_through_a_link(tmp_path: Path) -> None:
    import re

    from estimator import hubdump

    dump = tmp_path / "dump.jsonl"
    cards = [("a/m", "---\nco2_eq_emissions: 1500\n---\n"), ("b/m", "---\nco2_eq_emissions: 1,5 kg\n---\n")]
    dump.write_text("".join(json.dumps({"modelId": m, "card": c}) + "\n" for m, c in cards), encoding="utf-8")
    real = tmp_path / "site" / "bins.svg"
    real.parent.mkdir()
    link = tmp_path / "bins.svg"
    link.symlink_to(real)
    hubdump.write_chart(hubdump.scan_dump(dump), link)
    svg = real.read_text("utf-8")
    assert link.is_symlink() and svg.startswith("<svg") and "<style>" in svg
    style = svg[svg.index("<style>") : svg.index("</style>")]
    coloured = set(re.findall(r'<(?:rect|tspan) class="([^"]+)"', svg))
    assert coloured >= {"meant", "hub"}
    for cls in coloured:
        assert f".{cls}{{fill:" in style, cls  # every bar and key has its colour in the file itself
