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


def test_lazy_names_are_the_functions_even_after_their_modules_load() -> None:
    code = (
        "import estimator, estimator.inference, estimator.preflight, estimator.alternatives, estimator.modelcard; "
        "names = ('preflight', 'alternatives', 'estimate_inference', 'lifecycle', 'read_card', 'scan'); "
        "print(all(callable(getattr(estimator, n)) and not hasattr(getattr(estimator, n), '__path__') "
        "and type(getattr(estimator, n)).__name__ == 'function' for n in names))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "True"
