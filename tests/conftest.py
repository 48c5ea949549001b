"""Shared fixtures: the shipped catalog, the CLI in a subprocess."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest

from estimator.catalog import Catalog, load_catalog

ROOT = Path(__file__).resolve().parent.parent
# Keep the parsed-catalog cache of test runs out of the user's ~/.cache.
os.environ.setdefault("CO2_ESTIMATOR_CACHE_DIR", tempfile.mkdtemp(prefix="co2-estimator-cache-"))


# CI (CI=true) installs every extra, Chromium, Java and the reference data: there a test that
# needs one must run, and a missing one is a failure. Elsewhere such a test is skipped.
IN_CI = os.environ.get("CI", "").lower() == "true"


def needed(problem: str) -> NoReturn:
    """Skip the test because ``problem`` (what is missing here); fail instead under CI=true."""
    if IN_CI:
        pytest.fail(f"CI=true: this test must run, but {problem}")
    pytest.skip(problem, allow_module_level=True)


def import_needed(module: str) -> Any:
    """``module``, imported; when it is not installed, :func:`needed` says so."""
    try:
        return importlib.import_module(module)
    except ImportError:
        needed(f"{module} is not installed (pip install -e '.[test]')")


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


@pytest.fixture
def chromium() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright (headless), closed after the test."""
    if not CHROMIUM.exists():
        needed(f"{CHROMIUM} is missing (apt-get install chromium)")
    sync_api = import_needed("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog()


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The real CLI, as a user runs it: ``python -m estimator ...`` in a new process."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "estimator", *args],
        capture_output=True,
        text=True,
        cwd=cwd or ROOT,
        env=env,
        timeout=120,
        check=False,
    )
