"""A synthetic Hub dump of model cards, laid out like the public ones: one row per
model, ``modelId`` and ``card`` (the README.md text), Parquet or JSON Lines.

    python bench/make_hub_dump.py OUT.parquet|OUT.jsonl [ROWS] [--seed N]

The proportions are our assumptions, chosen to exercise every reading path at
a realistic rarity; they are not measured from the Hub:

- **About 1 card in 100 has a co2_eq_emissions block.** Reporting is rare:
  Castaño et al. (2023, "Exploring the Carbon Footprint of Hugging Face's ML
  Models: A Repository Mining Study", arXiv:2305.11164) found 1,417 models that
  report emissions, a small minority of the Hub. We keep 1% so that a million
  cards hold about ten thousand blocks.
- 0.1% mention ``co2_eq_emissions`` only in their text (a template, a how-to):
  the prefilter finds them and the reader must say "no block".
- 20% of cards have no YAML front matter at all; the rest have license, tags,
  datasets and, for a third, a ``model-index`` of results (long front matter).
- Bodies are trainer-style cards (a description, hyperparameters, a results
  table of 0-40 rows), so a card is about 0.5-4 KB.

Among the cards with a block (weights in ``FORMS``): plain numbers of grams
dominate (the bare float AutoTrain writes, ``co2_eq_emissions: 3.516...``, and
the documented mapping), then strings with a unit (``"49.49 g"``, ``"1.7 kg"``,
``"0.5 t"``, ``"1,234 g"``), kilograms written as plain numbers with large
hardware and hours named in the block (the kg-as-grams mistake), zero,
mappings without ``emissions``, negative numbers, ``1e-3`` (a string to PyYAML)
and text that is no number.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

# (weight, form) among the cards that carry a block; weights sum to 100.
FORMS: list[tuple[float, str]] = [
    (38, "bare_float"),
    (30, "dict_number"),
    (8, "string_g"),
    (5, "string_kg"),
    (1, "string_t"),
    (2, "string_thousands"),
    (5, "kg_as_grams"),
    (4, "zero"),
    (2, "dict_no_emissions"),
    (1, "negative"),
    (2, "exponent_string"),
    (2, "text"),
]
BLOCK_SHARE = 0.01
BODY_ONLY_SHARE = 0.001
NO_FRONT_MATTER_SHARE = 0.20
MODEL_INDEX_SHARE = 0.33

HARDWARE = ["1 x T4", "1 x NVIDIA A10G", "8 x NVIDIA A100 SXM4 80GB", "4 x Tesla V100-SXM2-16GB", "1 x RTX 3090"]
LOCATIONS = ["gcp:us-central1", "aws:us-east-1", "FR", "Germany", "Iowa, USA", "unknown"]
LICENSES = ["apache-2.0", "mit", "cc-by-4.0", "openrail", "llama2", "other"]
TAGS = ["generated_from_trainer", "text-classification", "pytorch", "transformers", "autotrain", "safetensors"]
DATASETS = ["imdb", "glue", "squad", "common_voice", "wikitext", "emotion"]
BASES = ["bert-base-uncased", "distilbert-base-uncased", "roberta-base", "t5-small", "gpt2", "facebook/wav2vec2-base"]


def _emissions(form: str, rng: random.Random) -> tuple[str, Any]:
    """(form, the co2_eq_emissions value) for one card."""
    grams = round(10 ** rng.uniform(-1, 6), rng.choice([1, 2, 4, 15]))
    rest = {
        "source": rng.choice(["AutoTrain", "CodeCarbon", "ML CO2 Impact"]),
        "training_type": rng.choice(["fine-tuning", "pre-training"]),
        "geographical_location": rng.choice(LOCATIONS),
        "hardware_used": rng.choice(HARDWARE),
    }
    if rng.random() < 0.3:
        del rest[rng.choice(list(rest))]
    values: dict[str, Callable[[], Any]] = {
        "bare_float": lambda: grams,
        "dict_number": lambda: {"emissions": grams, **rest},
        "string_g": lambda: {"emissions": f"{grams} g", **rest},
        "string_kg": lambda: {"emissions": f"{round(grams / 1000, 3) or 0.1} kg", **rest},
        "string_t": lambda: {"emissions": f"{round(grams / 1e6, 4) or 0.5} t", **rest},
        "string_thousands": lambda: {"emissions": f"{rng.randint(1000, 999_999):,} g", **rest},
        "kg_as_grams": lambda: {
            "emissions": round(rng.uniform(20, 900), 1),
            **rest,
            "hardware_used": "8 x NVIDIA A100 SXM4 80GB",
            "training_time": f"{rng.randint(48, 400)} hours",
        },
        "zero": lambda: rng.choice([0, {"emissions": 0, **rest}]),
        "dict_no_emissions": lambda: rest,
        "negative": lambda: {"emissions": -grams, **rest},
        "exponent_string": lambda: {"emissions": "1e-3", **rest},
        "text": lambda: {"emissions": rng.choice(["unknown", "about a lot", "n/a"]), **rest},
    }
    return form, values[form]()


def _yaml_value(value: Any, indent: str = "") -> str:
    """A small YAML writer for the shapes above (faster than yaml.safe_dump per card)."""
    if isinstance(value, dict):
        return "".join(f"\n{indent}  {k}: {_yaml_value(v, indent + '  ')}" for k, v in value.items())
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a valid YAML double-quoted scalar
    return repr(value)


def card(i: int, rng: random.Random) -> tuple[str, str]:
    """(modelId, README text) of the i-th model."""
    base = rng.choice(BASES)
    name = f"user{rng.randint(1, 200_000)}/{base.split('/')[-1]}-finetuned-{i}"
    roll = rng.random()
    front = ""
    if roll >= NO_FRONT_MATTER_SHARE:
        lines = [f"license: {rng.choice(LICENSES)}", "tags:"]
        lines += [f"- {t}" for t in rng.sample(TAGS, rng.randint(1, 4))]
        lines += ["datasets:", f"- {rng.choice(DATASETS)}", "metrics:", "- accuracy"]
        if roll < NO_FRONT_MATTER_SHARE + BLOCK_SHARE:
            _, value = _emissions(rng.choices([f for _, f in FORMS], [w for w, _ in FORMS])[0], rng)
            lines.append(f"co2_eq_emissions: {_yaml_value(value)}")
        if rng.random() < MODEL_INDEX_SHARE:
            lines += [
                "model-index:",
                f"- name: {name.split('/')[1]}",
                "  results:",
                "  - task:",
                "      type: text-classification",
                "      name: Text Classification",
                "    metrics:",
                "    - type: accuracy",
                f"      value: {rng.random():.4f}",
            ]
        front = "---\n" + "\n".join(lines) + "\n---\n"
    rows = "".join(
        f"| {rng.random():.4f} | {e} | {s * 500} | {rng.random():.4f} | {rng.random():.4f} |\n"
        for e, s in zip(range(1, rng.randint(0, 40) + 1), range(1, 41), strict=False)
    )
    mention = (
        "\nReport emissions with the co2_eq_emissions key of the metadata.\n" if rng.random() < BODY_ONLY_SHARE else ""
    )
    body = (
        f"\n# {name.split('/')[1]}\n\nThis model is a fine-tuned version of [{base}](https://huggingface.co/{base}) "
        f"on the {rng.choice(DATASETS)} dataset.\n\n## Training procedure\n\n### Training hyperparameters\n\n"
        f"- learning_rate: {rng.choice(['2e-05', '5e-05', '0.0001'])}\n- train_batch_size: {rng.choice([8, 16, 32])}\n"
        f"- seed: 42\n- num_epochs: {rng.randint(1, 10)}\n{mention}\n### Training results\n\n"
        "| Training Loss | Epoch | Step | Validation Loss | Accuracy |\n|:---:|:---:|:---:|:---:|:---:|\n"
        f"{rows}\n### Framework versions\n\n- Transformers 4.{rng.randint(20, 45)}.0\n- Pytorch 2.1.0\n"
    )
    return name, front + body


def rows(n: int, seed: int = 18) -> Iterator[dict[str, str]]:
    rng = random.Random(seed)
    for i in range(n):
        model_id, text = card(i, rng)
        yield {"modelId": model_id, "card": text}


def make(path: str | Path, n: int, seed: int = 18, chunk: int = 65_536) -> Path:
    """Write ``n`` cards to ``path`` (.parquet: row groups of ``chunk``; .jsonl: one JSON object a line)."""
    p = Path(path)
    if p.suffix == ".parquet":
        import pyarrow as pa  # type: ignore[import-untyped]
        import pyarrow.parquet as pq  # type: ignore[import-untyped]

        schema = pa.schema([("modelId", pa.string()), ("card", pa.string())])
        with pq.ParquetWriter(p, schema) as writer:
            buffer: list[dict[str, str]] = []
            for row in rows(n, seed):
                buffer.append(row)
                if len(buffer) == chunk:
                    writer.write_table(pa.Table.from_pylist(buffer, schema=schema))
                    buffer = []
            if buffer:
                writer.write_table(pa.Table.from_pylist(buffer, schema=schema))
    elif p.suffix == ".jsonl":
        with p.open("w", encoding="utf-8") as fh:
            for row in rows(n, seed):
                fh.write(json.dumps(row) + "\n")
    else:
        raise SystemExit(f"{p}: give a .parquet or .jsonl file name")
    return p


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("out", help="OUT.parquet or OUT.jsonl")
    parser.add_argument("rows", nargs="?", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=18)
    args = parser.parse_args(argv)
    path = make(args.out, args.rows, args.seed)
    print(f"wrote {args.rows:,} cards to {path} ({path.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
