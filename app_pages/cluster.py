"""The 'Cluster (Slurm)' tab: drop a sacct file and a cluster description, see the same charts and
summaries as ``co2-estimator slurm --report``, download the tables and the report. No arithmetic here."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from app_pages import plain
from estimator import report, slurm, slurm_report
from estimator.errors import EstimatorError

EXAMPLE = Path(__file__).resolve().parent.parent / "docs" / "cluster.example.yaml"


@st.cache_resource
def example_cluster() -> str:
    try:
        return EXAMPLE.read_text(encoding="utf-8")
    except OSError:  # pragma: no cover - an installed package without docs/
        return "site:\n  region: DE\npartitions:\n  gpu:\n    accelerator: nvidia-a100-sxm4-80gb\n"


@st.cache_data(max_entries=4, show_spinner="Reading the jobs…")
def _estimate(sacct: bytes, cluster_text: str, delimiter: str) -> tuple[pd.DataFrame, slurm.Cluster]:
    cluster = slurm.parse_cluster(cluster_text, "cluster.yaml")
    return slurm.estimate_jobs(slurm.read_sacct(sacct, delimiter=delimiter), cluster), cluster


def _inputs() -> tuple[bytes | None, str, str]:
    left, right = st.columns(2)
    with left:
        upload = st.file_uploader("sacct output (--parsable2)", type=None, key="slurm_sacct_file")
        pasted = st.text_area(
            "or paste it here",
            key="slurm_sacct_text",
            height=140,
            placeholder=slurm.SACCT_FIELDS.replace(",", "|"),
        )
        # The label says what the box holds: a lone "|" in it reads as the text cursor.
        delimiter = st.text_input("Delimiter (--parsable2 writes |)", value="|", max_chars=1, key="slurm_delimiter")
        st.caption(f"Made with: `{slurm.SACCT_COMMAND}`")
    with right:
        cluster_upload = st.file_uploader(
            "cluster.yaml",
            type=["yaml", "yml"],
            key="slurm_cluster_file",
            max_upload_size=1,  # MB, the widget's least: the reader takes 256 KiB (slurm.MAX_CLUSTER_BYTES)
        )
        cluster_text = st.text_area(
            "or edit the description (an example cluster to start from)",
            value=example_cluster(),
            height=300,
            key="slurm_cluster_text",
        )
    sacct = upload.getvalue() if upload is not None else (pasted.encode("utf-8") if pasted.strip() else None)
    if cluster_upload is not None:
        cluster_text = cluster_upload.getvalue().decode("utf-8", errors="replace")
    return sacct, cluster_text, delimiter or "|"


def _headline(t: slurm.ClusterTotals) -> None:
    cols = st.columns(4)
    cols[0].metric("Emissions", report.mass(t.co2e_g) if t.estimated else "n/a")
    cols[1].metric("Energy", report.energy(t.energy_kwh) if t.estimated else "n/a")
    cols[2].metric("GPU-hours", report.num(t.gpu_hours) if t.estimated else "n/a")
    cols[3].metric("Jobs estimated", f"{t.estimated:,}")
    st.caption(
        f"Range {slurm_report.range_text(t)}. Left out: {t.running:,} running, {t.pending:,} pending, "
        f"{t.never_started:,} cancelled before they started; "
        f"{t.steps:,} job steps folded into their jobs; {t.errors:,} lines with an error. "
        "Location-based; TDP is an upper bound of draw."
    )


def _charts(out: pd.DataFrame) -> None:
    charts = slurm_report.charts(out)
    st.altair_chart(charts["month"])
    left, right = st.columns(2)
    with left:
        st.altair_chart(charts["users"])
    with right:
        st.altair_chart(charts["accounts"])
    st.altair_chart(charts["partitions"])
    st.altair_chart(charts["device_hours"])


def _downloads(out: pd.DataFrame, cluster: slurm.Cluster, table: pd.DataFrame, by: str) -> None:
    cols = st.columns(3)

    def jobs() -> str:  # built when clicked: a year of a large cluster is a big file
        return out.to_csv(index=False)

    cols[0].download_button("Jobs (CSV)", jobs, "jobs.csv", "text/csv", key="slurm_dl_jobs")
    cols[1].download_button(
        f"Summary by {by} (CSV)", table.to_csv(index=False), f"summary-{by}.csv", "text/csv", key="slurm_dl_summary"
    )

    def page() -> str:
        return slurm_report.report_html(out, cluster)

    cols[2].download_button("Report (HTML)", page, "report.html", "text/html", key="slurm_dl_report")


def section() -> None:
    """The 'Cluster (Slurm)' tab."""
    st.markdown(
        "The footprint of every job in a Slurm accounting file, per user, account, partition and month. "
        "Job steps count through their allocation; running and pending jobs are left out and counted."
    )
    sacct, cluster_text, delimiter = _inputs()
    if sacct is None:
        plain.info("Drop a sacct file (or paste its text) to see the cluster's footprint.")
        return
    try:
        out, cluster = _estimate(sacct, cluster_text, delimiter)
    except EstimatorError as exc:
        plain.error(str(exc))  # messages quote names from the user's files
        return
    totals = slurm.totals(out)
    _headline(totals)
    if totals.estimated:
        _charts(out)
    by = st.radio("Summary by", slurm.SUMMARY_BY, horizontal=True, key="slurm_by")
    table = slurm.summarize(out, by)
    st.dataframe(table, hide_index=True, width="stretch")
    bad = out[out["error"].notna()]
    if len(bad):
        with st.expander(f"{len(bad):,} lines that could not be estimated"):
            st.dataframe(bad[["job_id", "error"]], hide_index=True, width="stretch")
    _downloads(out, cluster, table, by)
    with st.expander("Method and sources"):
        lines: list[Any] = slurm_report.sources(out, cluster)
        st.markdown("\n".join(f"- {plain.escape(str(s))}" for s in lines))
