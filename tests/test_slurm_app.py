"""The 'Cluster (Slurm)' tab through Streamlit's AppTest: pasted sacct text in, the API's figures out."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from app_pages import plain
from estimator import report, slurm
from estimator.errors import InputError
from tests.conftest import ROOT

DATA = ROOT / "tests" / "data" / "sacct"
PAGE = """
import sys
sys.path.insert(0, {root!r})
from app_pages import cluster
cluster.section()
"""


def _page() -> AppTest:
    at = AppTest.from_string(PAGE.format(root=str(ROOT)), default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


def test_the_page_waits_for_a_file_with_the_example_cluster_filled_in() -> None:
    at = _page()
    assert any("Drop a sacct file" in i.value for i in at.info)
    example = (ROOT / "docs" / "cluster.example.yaml").read_text()
    assert at.text_area(key="slurm_cluster_text").value == example


def test_pasted_sacct_output_shows_the_same_figures_as_the_api() -> None:
    at = _page()
    at.text_area(key="slurm_sacct_text").input((DATA / "basic.txt").read_text())
    at.text_area(key="slurm_cluster_text").input((DATA / "cluster.yaml").read_text())
    at.run()
    assert not at.exception, at.exception
    expected = slurm.totals(
        slurm.estimate_jobs(slurm.read_sacct(DATA / "basic.txt"), slurm.load_cluster(DATA / "cluster.yaml"))
    )
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Emissions"] == report.mass(expected.co2e_g)
    assert metrics["Energy"] == report.energy(expected.energy_kwh)
    assert metrics["Jobs estimated"] == "11"
    table = at.dataframe[0].value
    assert list(table["user"]) == ["carol", "erin", "alice", "bob", "total"]
    at.radio(key="slurm_by").set_value("month").run()
    assert list(at.dataframe[0].value["month"]) == ["2025-03", "2025-04", "total"]


def test_a_bad_cluster_description_shows_the_message_as_plain_text() -> None:
    at = _page()
    at.text_area(key="slurm_sacct_text").input((DATA / "basic.txt").read_text())
    at.text_area(key="slurm_cluster_text").input("site: {region: FR}\npartitons: {}\n")
    at.run()
    assert not at.exception, at.exception
    with pytest.raises(InputError) as info:
        slurm.parse_cluster("site: {region: FR}\npartitons: {}\n", "cluster.yaml")
    shown = [e.value for e in at.error]
    assert [plain.unescape(m) for m in shown] == [str(info.value)]  # shown as plain text
    assert shown == [plain.escape(str(info.value))]
    assert not at.metric


def test_the_app_has_the_cluster_tab() -> None:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    assert "Cluster (Slurm)" in [t.label for t in at.tabs]


def test_an_uploaded_sacct_file_and_cluster_file() -> None:
    at = _page()
    at.file_uploader(key="slurm_sacct_file").upload("sacct.txt", (DATA / "delimiter.txt").read_bytes(), "text/plain")
    at.file_uploader(key="slurm_cluster_file").upload(
        "cluster.yaml", (DATA / "cluster.yaml").read_bytes(), "application/yaml"
    )
    at.text_input(key="slurm_delimiter").input(";")
    at.run()
    assert not at.exception, at.exception
    assert {m.label: m.value for m in at.metric}["Jobs estimated"] == "2"
    # alice: 4 A100 for 3 h; bob: 2 H100 for 30 min
    assert list(at.dataframe[0].value["user"]) == ["alice", "bob", "total"]
