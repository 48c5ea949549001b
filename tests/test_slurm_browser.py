"""The cluster report in a real browser: Debian's Chromium opens the HTML file, with every request watched.

A year of a synthetic mixed cluster (bench/bench_slurm.py's generator, 3,000 jobs
on docs/cluster.example.yaml) goes through `co2-estimator slurm --report`; the
page must draw its charts and ask for nothing but itself. Saves
test-artifacts/slurm-report.png (never the tracked tree: docs/slurm-report.png,
the README's picture, is refreshed by copying it there by hand).

With CI=true the test must run: a missing Chromium or Playwright is a failure.
Elsewhere it is skipped when either is missing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bench.bench_slurm import synthetic_sacct
from estimator import report, slurm
from tests.conftest import ROOT, run_cli
from tests.test_browser import ARTIFACTS, TIMEOUT_MS

pytestmark = pytest.mark.slow


def test_the_report_opens_in_chromium_without_a_request(tmp_path: Path, chromium: Any) -> None:
    sacct = tmp_path / "sacct.txt"
    sacct.write_text(synthetic_sacct(3000, seed=5))
    page_file = tmp_path / "report.html"
    cluster = ROOT / "docs" / "cluster.example.yaml"
    result = run_cli("slurm", str(sacct), "--cluster", str(cluster), "--report", str(page_file))
    assert result.returncode == 0, result.stderr
    expected = slurm.totals(slurm.estimate_jobs(slurm.read_sacct(sacct), slurm.load_cluster(cluster)))

    url = page_file.as_uri()
    requests: list[str] = []
    failed: list[str] = []
    context = chromium.new_context(viewport={"width": 1200, "height": 1500})

    def watch(route: Any) -> None:
        requests.append(route.request.url)
        if route.request.url == url:
            route.continue_()
        else:
            route.abort()

    context.route("**/*", watch)
    page = context.new_page()
    page.on("requestfailed", lambda r: failed.append(r.url))
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(url, wait_until="load")
    headings = page.locator("h2").all_inner_texts()
    assert "Emissions by month" in headings and "Method and sources" in headings
    charts = page.locator(".chart svg")
    assert charts.count() == 5
    for i in range(charts.count()):  # drawn, with real size and marks
        box = charts.nth(i).bounding_box()
        assert box is not None and box["width"] > 200 and box["height"] > 50
        assert charts.nth(i).locator("path").count() > 0
    assert page.locator(".card b").first.inner_text() == report.mass(expected.co2e_g)
    assert page.locator("script").count() == 0
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "slurm-report.png"), full_page=True)
    assert requests == [url], f"offline: the page asked for {[r for r in requests if r != url][:5]}"
    assert not failed
