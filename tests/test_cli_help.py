"""What a new user meets first: --help with examples and exit codes, a bare command, "did you mean",
required options marked, no silent training_type, numbers without float noise."""

from __future__ import annotations

import json
import shlex

import pytest
import yaml

from estimator.cli import EXAMPLES, build_parser, main
from tests.conftest import run_cli

COMMANDS = sorted(c for c in EXAMPLES if c)
# Examples that need a file of the user's (README.md, emissions.csv, runs.csv, a folder): parsed, not run.
NEEDS_FILES = {"card", "scan", "batch", "from-codecarbon", "lint", "slurm"}


def test_every_command_has_examples() -> None:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert sorted(sub.choices) == COMMANDS  # type: ignore[arg-type]


@pytest.mark.parametrize("command", ["", *COMMANDS])
def test_help_shows_examples_and_exit_codes(capsys: pytest.CaptureFixture[str], command: str) -> None:
    with pytest.raises(SystemExit) as info:
        main([command, "--help"] if command else ["--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert "examples:\n" in out and "exit status:\n" in out and "  2  bad input" in out
    for example in EXAMPLES[command]:
        assert f"  {example}\n" in out  # printed as written, not re-wrapped


def _argv(example: str) -> list[str]:
    words = shlex.split(example)
    assert words[0] == "co2-estimator"
    return words[1 : words.index(">")] if ">" in words else words[1:]


@pytest.mark.parametrize(
    "example", [e for c in COMMANDS for e in EXAMPLES[c]] + [e for e in EXAMPLES[""] if "COMMAND" not in e]
)
def test_every_example_parses(example: str) -> None:
    args = build_parser().parse_args(_argv(example))
    assert args.command == _argv(example)[0]


@pytest.mark.parametrize("example", [e for c in COMMANDS if c not in NEEDS_FILES for e in EXAMPLES[c]])
def test_examples_without_files_run(capsys: pytest.CaptureFixture[str], example: str) -> None:
    code = main(_argv(example))
    out, err = capsys.readouterr()
    assert code == 0, err
    assert out


def test_bare_command_prints_help_and_exits_0() -> None:
    r = run_cli()
    assert r.returncode == 0 and r.stderr == ""
    assert r.stdout.startswith("usage: co2-estimator") and "estimate" in r.stdout and "examples:" in r.stdout


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (("estimat",), "did you mean 'estimate'?"),
        (("hardwre", "a100"), "did you mean 'hardware'?"),
        (("estimate", "--hardware", "T4", "--hours", "1", "--format", "jsn"), "did you mean 'json'?"),
        (("estimate", "--hardware", "T4", "--hours", "1", "--huors", "2"), "did you mean '--hours'?"),
        (("scan", ".", "--min-g", "nan"), "--min-g must be a finite number"),
        (("scan", ".", "--max-g", "inf"), "--max-g must be a finite number"),
    ],
)
def test_mistakes_get_one_line_and_the_closest_choice(argv: tuple[str, ...], expected: str) -> None:
    r = run_cli(*argv)
    assert r.returncode == 2 and r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0], r.stderr


def test_nonsense_gets_no_suggestion() -> None:
    r = run_cli("zzzzqqq")
    assert r.returncode == 2 and "did you mean" not in r.stderr and "invalid choice" in r.stderr


def test_required_options_are_marked(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "250")  # no wrapping inside the words checked
    with pytest.raises(SystemExit):
        main(["estimate", "--help"])
    lines = capsys.readouterr().out.splitlines()
    marked = {line.split()[0] for line in lines if line.rstrip().endswith("(required)")}
    assert marked == {"--hours"}  # the one required option of estimate, and only it
    with pytest.raises(SystemExit):
        main(["inference", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "requests served (required)" in out
    # the serving rate is optional since servers kept up all day can be counted without it
    assert "--always-on" in out and "(required: --seconds-per-request" not in out


def test_training_type_is_never_silently_pre_training() -> None:
    args = ("estimate", "--hardware", "nvidia-t4", "--hours", "1", "--region", "FR", "--format", "modelcard")
    r = run_cli(*args)
    assert r.returncode == 0
    assert "training_type" not in yaml.safe_load(r.stdout)["co2_eq_emissions"]
    assert r.stderr.strip() == (
        "co2-estimator: note: training_type left out of the card: give --training-type pre-training or "
        "fine-tuning (the Hub shows it; there is no safe default)"
    )
    given = run_cli(*args, "--training-type", "fine-tuning")
    assert given.stderr == "" and yaml.safe_load(given.stdout)["co2_eq_emissions"]["training_type"] == "fine-tuning"


def test_json_and_yaml_carry_no_float_noise() -> None:
    # 70 W × 1 h × PUE 1.56 × 56 g/kWh: 0.1092 kWh × 56 = 6.1152 g, which floats compute as 6.115200000000001
    args: tuple[str, ...] = ("estimate", "--hardware", "nvidia-t4", "--hours", "1", "--region", "FR")
    args += ("--pue", "1.56", "--intensity", "56")
    out = run_cli(*args, "--format", "json").stdout
    assert '"co2e_g": 6.1152,' in out and "00000000" not in out
    assert json.loads(out)["co2e_g"] == 6.1152
    assert "co2e_g: 6.1152\n" in run_cli(*args, "--format", "yaml").stdout
