"""The cluster report: one self-contained HTML file (no script, no request), escaped user text, the what-ifs."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import estimator
from estimator import slurm, slurm_report
from estimator.errors import InputError
from tests.conftest import ROOT

DATA = ROOT / "tests" / "data" / "sacct"
HOSTILE_USER = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def cluster() -> slurm.Cluster:
    return slurm.load_cluster(DATA / "cluster.yaml")


@pytest.fixture(scope="module")
def estimated(cluster: slurm.Cluster) -> pd.DataFrame:
    text = (DATA / "basic.txt").read_text()
    # a user, an account and a job name a browser would run if they were pasted in as HTML
    text = text.replace("|train|alice|nlp|", f"|<script>alert(2)</script>|{HOSTILE_USER}|a&b|")
    return slurm.estimate_jobs(slurm.read_sacct(text), cluster)


@pytest.fixture(scope="module")
def page(estimated: pd.DataFrame, cluster: slurm.Cluster) -> str:
    return slurm_report.report_html(estimated, cluster)


class _Tags(HTMLParser):
    """Every start tag and attribute name of a page, as a browser's parser sees them."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attributes: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes.update(name for name, _ in attrs)


def test_the_report_is_one_file_that_asks_for_nothing(page: str) -> None:
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    parsed = _Tags()
    parsed.feed(page)
    assert not {"script", "link", "img", "iframe", "object", "embed", "image", "use"} & set(parsed.tags)
    assert not {"src", "href", "xlink:href", "srcset", "action"} & parsed.attributes
    assert not any(a.startswith("on") for a in parsed.attributes)  # no event handlers
    assert "@import" not in page and "url(" not in page
    assert "default-src 'none'" in page  # and the browser is told to fetch nothing
    assert page.count("<svg") == 5  # month, users, accounts, partitions, device-hours (two panels in one)


def test_text_from_the_sacct_file_is_escaped(page: str) -> None:
    assert HOSTILE_USER not in page and "<script>alert(2)" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page  # shown as text, in the tables and the SVG labels
    assert "a&amp;b" in page


def test_the_report_holds_every_section(page: str, estimated: pd.DataFrame) -> None:
    for heading in (
        "Emissions by month",
        "Top users and accounts",
        "By partition",
        "Device-hours",
        "What a cleaner region or year would have changed",
        "The uncertainty",
        "Method and sources",
    ):
        assert f"<h2>{heading}</h2>" in page
    t = slurm.totals(estimated)
    assert estimator.report.mass(t.co2e_g) in page
    assert "1 jobs still running and 6 pending (End = Unknown), 1 cancelled before they started" in page
    assert "NVIDIA A100 SXM4 80GB: TDP 400 W" in page  # a source, with its figure
    assert "user-supplied PUE 1.2" in page


def test_what_if_cleaner_regions_equal_estimate_many_of_the_same_jobs(
    estimated: pd.DataFrame, cluster: slurm.Cluster
) -> None:
    table = slurm_report.what_if(estimated, cluster)
    assert table["scenario"].iat[0] == "as run: FR"
    assert table["co2e_kg"].iat[0] == pytest.approx(estimated["co2e_g"].sum() / 1000, rel=1e-12)
    ranked = estimator.cleanest_regions(n=50)
    cleanest = [r for i, (r, c) in enumerate(ranked) if c.zone not in {z.zone for _, z in ranked[:i]}][:3]
    assert [s.split(" (grid ")[0] for s in table["scenario"].iloc[1:4]] == [f"in {r.id}" for r in cleanest]
    assert ranked[0][0] == cleanest[0]  # the cleanest of all comes first
    # Each scenario is the sum of estimate() of every job, moved there (same devices, hours and PUE).
    kgs = table["co2e_kg"].to_numpy(dtype=float)
    for r, kg in zip(cleanest, kgs[1:4], strict=True):
        moved = 0.0
        for _, job in estimated[estimated["hours"] > 0].iterrows():
            moved += estimator.estimate(**(slurm.job_arguments(job.to_dict(), cluster) | {"region": r.id})).co2e_g
        assert kg == pytest.approx(moved / 1000, rel=1e-9)
    world = table[table["scenario"] == "at the world average"]
    assert len(world) == 1 and world["change_pct"].to_numpy(dtype=float)[0] > 0  # France's grid beats the world's


def test_write_report_checks_the_name_and_writes_atomically(
    estimated: pd.DataFrame, cluster: slurm.Cluster, tmp_path: Path
) -> None:
    with pytest.raises(InputError, match=r"must end in \.html"):
        slurm_report.write_report(estimated, cluster, tmp_path / "r.pdf")
    with pytest.raises(InputError, match="does not exist"):
        slurm_report.write_report(estimated, cluster, tmp_path / "no" / "r.html")
    path = slurm_report.write_report(estimated, cluster, tmp_path / "r.html")
    assert path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert [p.name for p in tmp_path.iterdir()] == ["r.html"]


def test_charts_are_vega_lite_specs_with_the_summaries_numbers(estimated: pd.DataFrame) -> None:
    specs = {k: c.to_dict() for k, c in slurm_report.charts(estimated).items()}
    assert set(specs) == {"month", "users", "accounts", "partitions", "device_hours"}
    users = slurm.summarize(estimated, "user")
    values = specs["users"]["datasets"]
    rows = next(iter(values.values()))
    got = {r["user"]: r["co2e_kg"] for r in rows}
    want = dict(zip(users["user"], users["co2e_kg"], strict=True))
    want.pop("total")
    assert got == pytest.approx(want)


def test_a_report_with_only_bad_lines(cluster: slurm.Cluster) -> None:
    text = (
        "JobID|Partition|State|Start|End|ElapsedRaw|NCPUS|NNodes|AllocTRES|NodeList\n1|nowhere|COMPLETED|x|y|z|1|1||\n"
    )
    out = slurm.estimate_jobs(slurm.read_sacct(text), cluster)
    page = slurm_report.report_html(out, cluster)
    assert "Lines that could not be estimated" in page and "no finished jobs" in page
    assert not re.search(r"\bnan\b", page)
    assert np.isnan(slurm.totals(out).co2e_g) or slurm.totals(out).co2e_g == 0


def test_what_if_the_latest_year(cluster: slurm.Cluster) -> None:
    """Jobs of 2022 at the site's latest intensity: the sum of estimate() of each job without its year."""
    text = (DATA / "basic.txt").read_text().replace("2025-", "2022-")
    out = slurm.estimate_jobs(slurm.read_sacct(text), cluster)
    assert set(out["intensity_year"].dropna()) == {2022}
    table = slurm_report.what_if(out, cluster)
    latest = table[table["scenario"].str.match(r"FR at its \d{4} intensity")]
    assert len(latest) == 1
    expected = 0.0
    for _, job in out[out["hours"] > 0].iterrows():
        kwargs = slurm.job_arguments(job.to_dict(), cluster)
        kwargs.pop("year")
        expected += estimator.estimate(**kwargs).co2e_g
    assert latest["co2e_kg"].to_numpy(dtype=float)[0] == pytest.approx(expected / 1000, rel=1e-9)


def test_a_report_goes_through_a_link_never_over_it_and_leaves_other_files(
    estimated: pd.DataFrame, cluster: slurm.Cluster, tmp_path: Path
) -> None:
    real = tmp_path / "site" / "cluster.html"
    real.parent.mkdir()
    real.write_text("old", encoding="utf-8")
    link = tmp_path / "report.html"
    link.symlink_to(real)
    stray = tmp_path / ".report.html.tmp"  # a name the old writer used for its temporary file
    stray.write_text("someone else's", encoding="utf-8")
    slurm_report.write_report(estimated, cluster, link)
    assert link.is_symlink() and real.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert stray.read_text(encoding="utf-8") == "someone else's"
    real.chmod(0o444)
    with pytest.raises(InputError, match="read-only"):
        slurm_report.write_report(estimated, cluster, link)
