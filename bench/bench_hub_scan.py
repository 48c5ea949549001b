"""Scanning a Hub dump of model cards against pyarrow reading the same file.

    python bench/bench_hub_scan.py [ROWS] [--jsonl] [--dask] [--keep DIR]

Makes a synthetic dump (bench/make_hub_dump.py: about 1% of cards with a
co2_eq_emissions block, in the forms real cards use) unless it already exists
in ``--keep DIR``, then prints, all measured in this run on a warm page cache:

- pyarrow alone: ``pyarrow.parquet.read_table`` of the modelId and card columns
  (the floor any reader pays), and the same file streamed batch by batch as
  scan_dump reads it;
- ``estimator.hubdump.scan_dump`` on the same file (best of 2);
- their ratio (target within 3x of read_table);
- the peak memory of each, measured in a fresh process (Arrow's pool and the
  resident set): the scan streams, so Arrow's peak stays near one batch while
  read_table holds the file.

With ``--jsonl`` the same for a JSON Lines copy (``pyarrow.json.read_json``);
with ``--dask`` the Dask path once. Benchmarks print figures; tests never
assert wall time.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.make_hub_dump import make  # noqa: E402
from estimator.hubdump import BATCH_ROWS, iter_batches, scan_dump  # noqa: E402


def best(fn: Callable[[], object], repeat: int = 2) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def warm(path: Path) -> None:
    with path.open("rb") as fh:
        while fh.read(1 << 24):
            pass


def peak_mb(code: str) -> tuple[float, float]:
    """Peak memory (MB) of a fresh interpreter running ``code``: Arrow's memory pool, and the process's
    resident set (VmHWM from /proc, Linux; exec resets it, where ru_maxrss would carry this process's
    own peak over into the child; it includes what the allocator keeps after freeing)."""
    script = (
        f"import sys; sys.path.insert(0, {str(ROOT)!r})\n{code}\n"
        "import pyarrow as pa\n"
        "hwm = [int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmHWM')][0] / 1024\n"
        "print(pa.default_memory_pool().max_memory() / 1e6, hwm)"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    arrow, rss = out.stdout.split()[-2:]
    return float(arrow), float(rss)


def main() -> int:
    parser = argparse.ArgumentParser(description="scan_dump against pyarrow reading the same file")
    parser.add_argument("rows", nargs="?", type=int, default=100_000)
    parser.add_argument("--jsonl", action="store_true", help="also time a JSON Lines copy")
    parser.add_argument("--dask", action="store_true", help="also time the Dask path (once)")
    parser.add_argument("--keep", help="folder for the dump files (reused when present)")
    args = parser.parse_args()

    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="hub-dump-"))
    folder.mkdir(parents=True, exist_ok=True)
    kinds = [".parquet", ".jsonl"] if args.jsonl else [".parquet"]
    for suffix in kinds:
        path = folder / f"cards-{args.rows}{suffix}"
        if not path.exists():
            start = time.perf_counter()
            make(path, args.rows)
            print(f"made {path} ({path.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - start:.0f} s")
        warm(path)
        if suffix == ".parquet":
            import pyarrow.parquet as pq  # type: ignore[import-untyped]

            def read(p: Path = path) -> object:
                return pq.read_table(p, columns=["modelId", "card"])

            read_code = f"import pyarrow.parquet as pq; t = pq.read_table({str(path)!r}, columns=['modelId', 'card'])"
        else:
            import pyarrow.json as pj  # type: ignore[import-untyped]

            def read(p: Path = path) -> object:
                return pj.read_json(p)

            read_code = f"import pyarrow.json as pj; t = pj.read_json({str(path)!r})"

        def stream(p: Path = path) -> object:  # pyarrow reading the file the way scan_dump does, nothing else
            return sum(b.num_rows for b in iter_batches(p, BATCH_ROWS))

        read_s = best(read)
        stream_s = best(stream)
        summary = scan_dump(path)
        again = scan_dump(path)
        scan_s = min(summary.seconds, again.seconds)
        print(
            f"\n{suffix[1:]}: {summary.rows:,} cards, {summary.with_block:,} with a block, {summary.misread:,} misread"
        )
        print(f"  pyarrow whole file      {read_s:8.2f} s")
        print(f"  pyarrow streamed        {stream_s:8.2f} s")
        print(f"  scan_dump (streamed)    {scan_s:8.2f} s   {summary.rows / scan_s:,.0f} cards/s")
        print(f"  ratio scan / whole file {scan_s / read_s:8.2f}x  (target <= 3x)")
        print(f"  ratio scan / streamed   {scan_s / stream_s:8.2f}x")
        scan_code = f"from estimator.hubdump import scan_dump; scan_dump({str(path)!r})"
        (read_arrow, read_rss), (scan_arrow, scan_rss) = peak_mb(read_code), peak_mb(scan_code)
        print(f"  peak Arrow memory: read_table {read_arrow:,.0f} MB, scan_dump {scan_arrow:,.0f} MB")
        print(f"  peak resident (VmHWM): read_table {read_rss:,.0f} MB, scan_dump {scan_rss:,.0f} MB")
        if args.dask:
            start = time.perf_counter()
            dsum = scan_dump(path, dask=True)
            dask_s = time.perf_counter() - start
            same = dsum.misread == summary.misread and dsum.with_block == summary.with_block
            print(
                f"  scan_dump (dask)        {dask_s:8.2f} s   ({dask_s / read_s:.2f}x read_table; same counts: {same})"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
