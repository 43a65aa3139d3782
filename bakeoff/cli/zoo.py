"""``bakeoff zoo datasets|models|load``: what the zoo holds, and loading a zoo dataset."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

import bakeoff.zoo as foz
from bakeoff.cli.output import echo_json, echo_label_summary, echo_table
from bakeoff.models.zoo import list_zoo_models, zoo_model_info, zoo_model_offline
from bakeoff.zoo.datasets import get_zoo_dataset

_JSON = click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON only.")


@click.group()
def zoo() -> None:
    """The zoo: zero-shot models and datasets by name.

    \b
    Example:
        bakeoff zoo load caltech101 --max-samples 1000 --shuffle --seed 51
    """


def zoo_dataset_rows() -> list[dict[str, Any]]:
    """One row per zoo dataset: name, description, license, source and the local copy (if any)."""
    rows = []
    for name in foz.list_zoo_datasets():
        entry = get_zoo_dataset(name)
        local = entry.local_dir()
        rows.append({"name": name, "description": entry.description, "license": entry.license,
                     "source": entry.source, "download": entry.url or "(generated locally)",
                     "local_copy": str(local) if local else None})
    return rows


def zoo_model_rows(pattern: str | None = None) -> list[dict[str, Any]]:
    """One row per zoo model matching ``pattern``: name, library, base loader, defaults, description, and
    whether its weights (with its defaults) are on this machine (``offline``: True, False or None if unknown,
    ``weights``: where, or what the first load downloads). Imports neither torch nor the model libraries."""
    rows = []
    for name in list_zoo_models(pattern):
        info = zoo_model_info(name)
        offline, where = zoo_model_offline(name)
        rows.append({"name": name, "library": info["library"], "base": info["base"], "offline": offline,
                     "weights": where, "defaults": info["defaults"], "description": info["description"]})
    return rows


@zoo.command("datasets")
@_JSON
def datasets_(as_json: bool) -> None:
    """Zoo datasets: name, where they come from, and whether a local copy is present.

    \b
    Example:
        bakeoff zoo datasets --json
    """
    rows = zoo_dataset_rows()
    if as_json:
        echo_json(rows)
        return
    for row in rows:
        row["local"] = "yes" if row["local_copy"] else "no"
    echo_table(rows, ["name", "local", "license", "description"])


# `zoo list` was the argparse CLI's name for `zoo datasets`
zoo.add_command(click.Command("list", callback=datasets_.callback, params=datasets_.params, hidden=True,
                              help=datasets_.help))


@zoo.command("models")
@click.argument("pattern", required=False)
@_JSON
def models(pattern: str | None, as_json: bool) -> None:
    """Zoo models (loaders and named configurations), optionally matching a glob PATTERN.

    The 'offline' column says whether the model's weights (with its default
    arguments) are on this machine: yes (works without a network), no (the
    first load downloads them; --json says from where) or ? (only the library
    can tell: load it once to see).

    \b
    Example:
        bakeoff zoo models 'demo-*'
    """
    rows = zoo_model_rows(pattern)
    if as_json:
        echo_json(rows)
        return
    shown = [{**row, "offline": {True: "yes", False: "no", None: "?"}[row["offline"]]} for row in rows]
    echo_table(shown, ["name", "library", "offline", "description"], empty=f"no zoo model matches {pattern!r}")


@zoo.command()
@click.argument("dataset")
@click.option("--name", help="Dataset name (default: <zoo name>[-<max samples>]).")
@click.option("--dataset-dir", type=click.Path(path_type=Path), help="Folder holding (or to receive) the data.")
@click.option("--max-samples", type=click.IntRange(min=1), help="Load at most this many images.")
@click.option("--shuffle", is_flag=True, help="Draw --max-samples at random across all classes.")
@click.option("--seed", type=int, help="Random seed for --shuffle.")
@click.option("--temporary", is_flag=True, help="Do not keep the dataset after the command.")
@click.option("--overwrite", is_flag=True, help="Re-import even if a dataset of that name exists.")
def load(dataset: str, name: str | None, dataset_dir: Path | None, max_samples: int | None, shuffle: bool,
         seed: int | None, temporary: bool, overwrite: bool) -> None:
    """Load zoo DATASET (downloading it if needed) as a persistent dataset and print its summary.

    \b
    Example:
        bakeoff zoo load caltech101 --dataset-dir ../shared/data/caltech101-subset --max-samples 1000 --shuffle --seed 51
    """
    loaded = foz.load_zoo_dataset(dataset, max_samples=max_samples, shuffle=shuffle, seed=seed,
                                  persistent=not temporary, dataset_name=name, dataset_dir=dataset_dir,
                                  overwrite=overwrite)
    echo_label_summary(loaded, "ground_truth")
