"""`import estimator` stays light: no pandas, no streamlit (keeps a cold CLI fast)."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT


def test_import_loads_neither_pandas_nor_streamlit() -> None:
    code = (
        "import sys, estimator; estimator.estimate(hardware='nvidia-a100-sxm4-80gb', hours=1, region='FR'); "
        "heavy = sorted(m for m in ('pandas', 'streamlit', 'numpy') if m in sys.modules); print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]"
