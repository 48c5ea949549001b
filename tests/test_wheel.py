"""The built wheel carries its data: install it in a new venv, run it elsewhere."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from tests.conftest import ROOT


@pytest.mark.slow
def test_wheel_installs_and_runs_from_another_directory(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(ROOT)],
        check=True,
        capture_output=True,
        text=True,
    )
    wheel = next(dist.glob("co2_estimator-*.whl"))
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True, system_site_packages=False)
    py = env_dir / "bin" / "python"
    # the runtime dependencies come from this interpreter's site-packages to stay offline-friendly
    site = subprocess.run(
        [sys.executable, "-c", "import yaml, os; print(os.path.dirname(os.path.dirname(yaml.__file__)))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    (env_dir / "lib").mkdir(exist_ok=True)
    pth = next((env_dir / "lib").glob("python3*/site-packages"))
    (pth / "host.pth").write_text(site + "\n", encoding="utf-8")
    subprocess.run([str(py), "-m", "pip", "install", "--no-deps", "--quiet", str(wheel)], check=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    # the new venv must see only its own install: a PYTHONPATH pointing at a checkout would shadow the wheel
    clean = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    script = env_dir / "bin" / "co2-estimator"
    out = subprocess.run(
        [
            str(script),
            "estimate",
            "--hardware",
            "A100 SXM4 80GB",
            "--hours",
            "10",
            "--count",
            "8",
            "--region",
            "gcp:us-central1",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        cwd=elsewhere,
        env=clean,
        check=True,
    )
    result = json.loads(out.stdout)
    assert result["co2e_g"] > 0
    where = subprocess.run(
        [str(py), "-c", "import estimator.catalog as c; print(c.data_dir())"],
        capture_output=True,
        text=True,
        cwd=elsewhere,
        env=clean,
        check=True,
    ).stdout.strip()
    assert where.startswith(str(env_dir)), where
