"""Shared fixtures: the shipped catalog, the CLI in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from estimator.catalog import Catalog, load_catalog

ROOT = Path(__file__).resolve().parent.parent
# Keep the parsed-catalog cache of test runs out of the user's ~/.cache.
os.environ.setdefault("CO2_ESTIMATOR_CACHE_DIR", tempfile.mkdtemp(prefix="co2-estimator-cache-"))


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
