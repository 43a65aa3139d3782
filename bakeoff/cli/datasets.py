"""``bakeoff datasets list|info|create|delete``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

import bakeoff as fo
from bakeoff.cli.output import echo_json, echo_label_summary, echo_table

_JSON = click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON only.")


@click.group()
def datasets() -> None:
    """List, inspect, create and delete datasets.

    \b
    Example:
        bakeoff datasets create pets --from-dir ~/pictures/pets
    """


@datasets.command("list")
@click.argument("pattern", required=False)
@_JSON
def list_(pattern: str | None, as_json: bool) -> None:
    """Names of all datasets, or those matching a glob PATTERN.

    \b
    Example:
        bakeoff datasets list 'caltech*'
    """
    names = fo.list_datasets(pattern)
    if as_json:
        echo_json(names)
        return
    for name in names:
        click.echo(name)


@datasets.command()
@click.argument("name")
@_JSON
def info(name: str, as_json: bool) -> None:
    """A dataset's samples, fields (type, description) and runs (model runs, evaluations).

    \b
    Example:
        bakeoff datasets info demo-shapes --json
    """
    details = dataset_details(fo.load_dataset(name))
    if as_json:
        echo_json(details)
        return
    click.echo(f"Name:        {details['name']}\nNum samples: {details['num_samples']}\n"
               f"Persistent:  {details['persistent']}\n")
    echo_table(details["fields"], ["field", "type", "description"])
    click.echo("\nModel runs:")
    echo_table([{"field": k, **v} for k, v in details["model_runs"].items()],
               ["field", "samples", "failed", "classes", "model"], empty="    (none)")
    click.echo("\nEvaluations:")
    echo_table([{"eval_key": k, **v, "stale": v["stale"] or "no"} for k, v in details["evaluations"].items()],
               ["eval_key", "method", "pred_field", "gt_field", "stale"], empty="    (none)")


def dataset_details(dataset: fo.Dataset) -> dict[str, Any]:
    """What ``datasets info`` shows, as plain data."""
    fields = []
    for path, field in dataset.get_field_schema().items():
        description = dataset.get_field(path).description
        fields.append({"field": path, "type": repr(field).replace("bakeoff.core.fields.", ""),
                       "description": description or ""})
    runs = {}
    for key in dataset.list_model_runs():
        run = dataset.get_model_run_info(key)
        config, results = run["config"] or {}, run["results"] or {}
        runs[key] = {"model": config.get("model"), "classes": len(config.get("classes") or []),
                     "samples": results.get("num_samples"), "failed": results.get("num_failed"),
                     "duration_s": results.get("duration_s"), "timestamp": run["timestamp"]}
    evaluations = {}
    for key in dataset.list_evaluations():
        run = dataset.get_evaluation_info(key)
        config = run["config"] or {}
        evaluations[key] = {"method": config.get("method"), "pred_field": config.get("pred_field"),
                            "gt_field": config.get("gt_field"), "timestamp": run["timestamp"],
                            "stale": "; ".join(run["stale"]) or None}
    return {"name": dataset.name, "num_samples": len(dataset), "persistent": dataset.persistent,
            "created_at": dataset.created_at, "fields": fields, "model_runs": runs, "evaluations": evaluations}


@datasets.command()
@click.argument("name")
@click.option("--from-dir", "from_dir", required=True, type=click.Path(path_type=Path),
              help="Folder with one subfolder of images per class.")
@click.option("--label-field", default="ground_truth", show_default=True, help="Field for the folder labels.")
@click.option("--max-samples", type=click.IntRange(min=1), help="Import at most this many images.")
@click.option("--shuffle", is_flag=True, help="Draw --max-samples at random across all classes.")
@click.option("--seed", type=int, help="Random seed for --shuffle.")
@click.option("--persistent/--temporary", default=True, show_default=True,
              help="Keep the dataset after the command (--temporary: only check the import).")
@click.option("--overwrite", is_flag=True, help="Replace a dataset of the same name.")
def create(name: str, from_dir: Path, label_field: str, max_samples: int | None, shuffle: bool, seed: int | None,
           persistent: bool, overwrite: bool) -> None:
    """Import a folder with one subfolder of images per class as dataset NAME.

    Every file named like an image becomes a sample; the command prints the class counts, the
    entries it skipped (counted per reason: other file names, hidden entries, folders named like
    images, subfolders) and the first unreadable images with their reasons.

    \b
    Example:
        bakeoff datasets create pets --from-dir ~/pictures/pets --max-samples 500 --shuffle --seed 51
    """
    dataset = fo.Dataset.from_dir(from_dir.expanduser(), fo.types.ImageClassificationDirectoryTree, name=name,
                                  label_field=label_field, max_samples=max_samples, shuffle=shuffle, seed=seed,
                                  persistent=persistent, overwrite=overwrite)
    echo_label_summary(dataset, label_field)
    echo_import_report(dataset, from_dir.expanduser())
    if not persistent:
        click.echo(f"\n(temporary: {name!r} is deleted when this command exits)")


#: unreadable images listed by name after an import; the rest are counted
_UNREADABLE_SHOWN = 5
#: what the import checks of each image (bakeoff.core.metadata), so that a later count of failures differs knowingly
IMPORT_CHECKS = ("The import reads each header and checks that JPEG, PNG and GIF files are complete (and PNG "
                 "checksums); 'bakeoff apply' decodes every pixel and can find more")


def echo_import_report(dataset: fo.Dataset, root: Path) -> None:
    """What the import skipped (counted per reason) and the first unreadable images with their reasons."""
    from bakeoff.core.importing import MEDIA_ERROR_FIELD

    skipped = {reason: count for reason, count in (dataset.info.get("skipped") or {}).items() if count}
    if skipped:
        total = sum(skipped.values())
        click.echo(f"\nSkipped {total} {'entry' if total == 1 else 'entries'} of the class folders (not samples):")
        for reason, count in sorted(skipped.items(), key=lambda kv: (-kv[1], kv[0])):
            click.echo(f"    {reason:<55} {count}")
    if not dataset.has_field(MEDIA_ERROR_FIELD):
        return
    bad = dataset.exists(MEDIA_ERROR_FIELD)
    count = len(bad)
    if not count:
        return
    click.echo(f"\nUnreadable: {count} image{'s' if count != 1 else ''} (samples with metadata None; "
               f"the field {MEDIA_ERROR_FIELD!r} says why). {IMPORT_CHECKS}:")
    first = bad.limit(_UNREADABLE_SHOWN)
    paths, errors = first.values("filepath"), first.values(MEDIA_ERROR_FIELD)
    for path, error in zip(paths, errors, strict=True):
        try:
            shown = str(Path(path).relative_to(root.absolute()))
        except ValueError:
            shown = path
        click.echo(f"    {shown}: {error.replace(f' {path!r}', '')}")
    if count > _UNREADABLE_SHOWN:
        click.echo(f"    ... and {count - _UNREADABLE_SHOWN} more (all of them, in Python: "
                   f"fo.load_dataset({dataset.name!r}).exists({MEDIA_ERROR_FIELD!r}))")


@datasets.command()
@click.argument("name")
@click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation.")
def delete(name: str, yes: bool) -> None:
    """Delete dataset NAME, its samples and runs (the image files stay).

    \b
    Example:
        bakeoff datasets delete pets --yes
    """
    dataset = fo.load_dataset(name)  # an unknown name fails here, with suggestions, before asking
    if not yes:
        click.confirm(f"delete dataset {name!r} ({len(dataset)} samples)?", abort=True, err=True)
    dataset.delete()
    click.echo(f"deleted {name}")
