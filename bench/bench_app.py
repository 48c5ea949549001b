"""Benchmark: the web form's rerun after one input changes, time spent in the script.

Run: `.venv/bin/python bench/bench_app.py`. Prints figures; asserts nothing.
Target (issue 6): <= 100 ms in the script per rerun. Measured with Streamlit's
AppTest, two ways: "script" times the script run itself in AppTest's runner
thread (widgets, estimator calls, charts, the messages it sends); "round trip"
adds AppTest's own work (widget states in, element tree out). Neither includes
the browser's drawing.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from streamlit.runtime.scriptrunner.script_runner import ScriptRunner  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

APP = str(ROOT / "app.py")
TARGET_MS = 100.0
SELECT_BOXES = ("year",)
SCRIPT_MS: list[float] = []


def _time_script_runs() -> None:
    """Wrap the runner's script execution to record how long each run spends in the script."""
    original = ScriptRunner._run_script

    def timed(self: ScriptRunner, *args: object, **kwargs: object) -> None:
        start = time.perf_counter()
        try:
            original(self, *args, **kwargs)  # type: ignore[arg-type]
        finally:
            SCRIPT_MS.append((time.perf_counter() - start) * 1000)

    ScriptRunner._run_script = timed  # type: ignore[method-assign]


def rerun_ms(at: AppTest, key: str, values: list[float], rounds: int) -> list[float]:
    """Round-trip milliseconds per rerun, setting input ``key`` (a number, or a select box) to each value in turn."""
    times = []
    SCRIPT_MS.clear()
    for i in range(rounds):
        box = at.selectbox(key=key) if key in SELECT_BOXES else at.number_input(key=key)
        widget = box.set_value(values[i % len(values)])
        start = time.perf_counter()
        widget.run()
        times.append((time.perf_counter() - start) * 1000)
        assert not at.exception, at.exception
    return times


def main() -> None:
    _time_script_runs()
    at = AppTest.from_file(APP, default_timeout=60)
    start = time.perf_counter()
    at.run()
    first_ms = (time.perf_counter() - start) * 1000
    rerun_ms(at, "hours", [48.0, 72.0], 5)  # warm up
    cases: dict[str, tuple[str, list[float]]] = {
        "hours (cloud region)": ("hours", [24.0, 36.0, 48.0, 72.0]),
        "count": ("count", [2, 4, 8, 16]),
        "PUE": ("pue", [1.2, 1.3, 1.4, 1.5]),
        "year": ("year", [2022, 2023, 2024, 2025]),
    }
    print(f"first run (imports, catalog): {first_ms:.0f} ms")
    for name, (key, values) in cases.items():
        times = rerun_ms(at, key, values, 30)
        script = list(SCRIPT_MS)
        print(
            f"rerun after changing {name}: script median {statistics.median(script):.1f} ms "
            f"(p90 {statistics.quantiles(script, n=10)[-1]:.1f}), round trip median "
            f"{statistics.median(times):.1f} ms; target <= {TARGET_MS:g} ms in the script"
        )


if __name__ == "__main__":
    main()
