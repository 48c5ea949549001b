"""The CLI's main() in this process (the subprocess tests cover the real entry point):
every command, its formats and its one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from estimator.cli import main

DATA = Path(__file__).parent / "data"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (
            (
                "estimate",
                "--hardware",
                "nvidia-t4",
                "--hours",
                "10",
                "--region",
                "FR",
                "--pue",
                "1",
                "--intensity",
                "100",
            ),
            "1 × 70 W × 10 h × PUE 1.00 = 0.7000 kWh × 100 g/kWh = 70.00 g CO2e",
        ),
        (
            ("estimate", "--hardware", "nvidia-t4", "--hours", "10", "--region", "FR", "--score", "0.9"),
            "score per gram",
        ),
        (
            (
                "estimate",
                "--instance",
                "aws:p4d.24xlarge",
                "--hours",
                "1",
                "--region",
                "aws:us-east-1",
                "--format",
                "yaml",
            ),
            "co2e_g:",
        ),
        (
            (
                "inference",
                "--hardware",
                "nvidia-l4",
                "--region",
                "FR",
                "--requests",
                "1000",
                "--requests-per-second",
                "10",
                "--score",
                "0.8",
            ),
            "per 1,000",
        ),
        (
            (
                "preflight",
                "--params",
                "1e9",
                "--tokens",
                "2e10",
                "--hardware",
                "nvidia-a100-sxm4-80gb",
                "--region",
                "FR",
            ),
            "device-hours",
        ),
        (("hardware", "--kind", "tpu"), "google-tpu-v4"),
        (("instances", "--provider", "gcp", "a3"), "gcp:a3-highgpu-8g"),
        (("regions", "--provider", "aws", "--sort", "name"), "aws:eu-central-1"),
        (("regions", "frankfurt", "--format", "json"), '"provider": "aws"'),
        (("from-codecarbon", str(DATA / "codecarbon_v3.csv"), "--format", "modelcard"), "co2_eq_emissions:"),
    ],
)
def test_commands(capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], expected: str) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 0, err
    assert expected in out


def test_json_formats_parse(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (
        ("inference", "--hardware", "nvidia-l4", "--region", "FR", "--requests", "1000", "--seconds-per-request",
         "0.1", "--format", "json", "--score", "1"),
        ("preflight", "--flops", "1e20", "--hardware", "nvidia-a100-sxm4-80gb", "--region", "FR", "--format", "json"),
        ("hardware", "t4", "--format", "json"),
    ):  # fmt: skip
        code, out, _ = run(capsys, *argv)
        assert code == 0
        assert json.loads(out)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("estimate", "--hardware", "nvidia-t4", "--hours", "0", "--region", "FR"), "hours must be greater than 0"),
        (
            ("inference", "--hardware", "nvidia-l4", "--region", "FR", "--requests", "0", "--seconds-per-request", "1"),
            "requests must be",
        ),
        (("preflight", "--hardware", "nvidia-a100-sxm4-80gb", "--region", "FR"), "give flops"),
        (("hardware", "--kind", "fpga"), "kind must be one of"),
        (("scan", "/nonexistent-folder"), "not a folder"),
    ],
)
def test_errors_are_one_line_exit_2(capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], message: str) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and message in err


def test_argparse_errors_are_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["estimate", "--hours", "many"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--hours must be a number" in err


def test_card_in_process(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    card = tmp_path / "README.md"
    card.write_text("---\nlicense: mit\n---\n", encoding="utf-8")
    args = ("card", str(card), "--hardware", "nvidia-t4", "--hours", "3", "--region", "FR")
    code, out, _ = run(capsys, *args)
    assert code == 0 and "dry run" in out
    code, out, _ = run(capsys, *args, "--write")
    assert code == 0 and "wrote" in out
    code, out, _ = run(capsys, *args, "--write")
    assert "already up to date" in out
    code, out, _ = run(capsys, "scan", str(tmp_path), "--format", "csv")
    assert code == 0 and out.splitlines()[0].startswith("path,emissions_g")
