"""The web form in a real browser: `streamlit run app.py` driven through Debian's Chromium.

Starts the server on a free port, drives `/usr/bin/chromium` (headless) with
Playwright for Python through `executable_path` (never `playwright install`),
picks hardware and region, sets hours, and reads the result and the model-card
YAML from the page. Saves screenshots to test-artifacts/ and docs/screenshot.png.

With CI=true the test must run: a missing Chromium or Playwright is a failure.
Elsewhere it is skipped when either is missing.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

import estimator
from estimator import modelcard, report
from tests.conftest import ROOT

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
ARTIFACTS = ROOT / "test-artifacts"
README_SHOT = ROOT / "docs" / "screenshot.png"
IN_CI = os.environ.get("CI", "").lower() == "true"
TIMEOUT_MS = 60_000

pytestmark = pytest.mark.slow


def _require_browser() -> Any:
    """Playwright's sync API, or skip (fail under CI=true) when it or Chromium is missing."""
    problems = []
    if not CHROMIUM.exists():
        problems.append(f"{CHROMIUM} is missing (apt-get install chromium)")
    sync_api: Any = None
    try:
        from playwright import sync_api
    except ImportError:
        problems.append("playwright is not installed (pip install -e '.[test]')")
    if problems:
        if IN_CI:
            pytest.fail("CI=true: the browser test must run, but " + "; ".join(problems))
        pytest.skip("; ".join(problems))
    return sync_api


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _wait_healthy(url: str, server: subprocess.Popen[bytes], timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"streamlit exited with status {server.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.25)
    raise AssertionError(f"streamlit did not answer at {url} within {timeout_s:g} s")


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    """`streamlit run app.py` on a free port, as `make run` starts it."""
    port = _free_port()
    ARTIFACTS.mkdir(exist_ok=True)
    log = (ARTIFACTS / "streamlit.log").open("wb")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(ROOT / "app.py"),
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
            "--server.fileWatcherType",
            "none",
        ],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, server)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def _pick(page: Any, label: str, search: str, option: str | re.Pattern[str]) -> None:
    """Open a select box by its label, type to search, click the option."""
    box = page.get_by_role("combobox", name=label, exact=True)
    box.click()
    page.keyboard.type(search)
    page.get_by_role("option", name=option).first.click()
    _settle(page)


def _set_number(page: Any, label: str, value: str) -> None:
    field = page.get_by_label(label, exact=True)
    field.fill(value)
    field.press("Enter")
    _settle(page)


def _metric(page: Any, label: str) -> str:
    metric = page.locator('[data-testid="stMetric"]').filter(has_text=label).first
    text: str = metric.locator('[data-testid="stMetricValue"]').inner_text()
    return text.strip()


def _settle(page: Any) -> None:
    """Wait until the script run is over: Streamlit draws the top of the page before the rest."""
    page.wait_for_timeout(300)
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="hidden", timeout=TIMEOUT_MS)
    page.locator('[data-stale="true"]').first.wait_for(state="detached", timeout=TIMEOUT_MS)


def _wait_for_metric(page: Any, label: str, expected: str) -> None:
    locator = page.locator('[data-testid="stMetric"]').filter(has_text=label).first
    locator.locator('[data-testid="stMetricValue"]', has_text=expected).wait_for(timeout=TIMEOUT_MS)
    _settle(page)


def test_fill_the_form_in_chromium_and_read_the_result(server_url: str) -> None:
    sync_api = _require_browser()
    expected = estimator.estimate(hardware="nvidia-h100-sxm5-80gb", hours=48, count=4, region="FR")
    foreign: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 1000})
            page.on(
                "request",
                lambda r: foreign.append(r.url) if urlsplit(r.url).hostname not in ("127.0.0.1", None) else None,
            )
            page.set_default_timeout(TIMEOUT_MS)
            page.goto(server_url, wait_until="domcontentloaded")
            page.locator('[data-testid="stMetric"]').first.wait_for()
            assert "CO2e" in _metric(page, "Emissions"), "a result from the first load"

            _pick(page, "Hardware", "H100 SXM5 80GB", re.compile(r"^NVIDIA H100 SXM5 80GB \("))
            _set_number(page, "Number of devices", "4")
            _set_number(page, "Hours", "48")
            _pick(page, "Provider", "On-premise", "On-premise: a country or grid")
            _pick(page, "Country, subdivision or grid zone", "France", re.compile(r"^FR · France"))

            _wait_for_metric(page, "Emissions", report.mass(expected.co2e_g))
            assert _metric(page, "Energy") == report.energy(expected.energy_kwh)
            assert page.get_by_text(report.arithmetic(expected)).count() >= 1

            page.get_by_role("tab", name="Model card & paper").click()
            first_line = modelcard.card_yaml(expected).splitlines()[1].strip()  # "emissions: 11741.184"
            yaml_block = page.locator('[data-testid="stCode"]').filter(has_text=first_line).first
            yaml_block.wait_for()
            shown = yaml_block.inner_text()
            for line in modelcard.card_yaml(expected).splitlines():
                assert line.strip() in shown, line

            assert "hardware=nvidia-h100-sxm5-80gb" in page.url and "region=FR" in page.url
            page.get_by_role("tab", name="Breakdown & sources").click()
            page.locator('[data-testid="stVegaLiteChart"]').first.wait_for()
            page.wait_for_timeout(800)  # let the chart draw before the picture
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "app.png"), full_page=True)
            page.screenshot(path=str(README_SHOT))

            page.get_by_role("tab", name="Cleaner regions").click()
            page.get_by_text("Had this run in").first.wait_for()
            page.wait_for_timeout(500)
            page.screenshot(path=str(ARTIFACTS / "app-cleaner.png"), full_page=True)

            # The shareable link restores the form and the result in a new page.
            shared = browser.new_page(viewport={"width": 1440, "height": 1000})
            shared.set_default_timeout(TIMEOUT_MS)
            shared.goto(page.url, wait_until="domcontentloaded")
            _wait_for_metric(shared, "Emissions", report.mass(expected.co2e_g))
        finally:
            browser.close()
    assert not foreign, f"offline: the page asked for {foreign[:5]}"
