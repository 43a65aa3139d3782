"""``bakeoff apply``: load a zoo model with the dataset's classes and apply it to every image.

``--model-arg key=value`` values are read by one rule (:func:`parse_model_arg`):

- ``true`` / ``false`` (any case) are booleans, ``none`` / ``null`` is None;
- an integer or a decimal number (``3``, ``-2``, ``0.5``, ``1e-3``) is a number;
- a value starting with ``[`` or ``{`` is JSON (``preprocess_cfg={"size": 224}``);
- a value in matching single or double quotes is the string inside them
  (``pretrained="'2'"`` in a shell gives the string ``2``);
- everything else, the empty value included (``pretrained=``), is a string.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

import bakeoff as fo
import bakeoff.zoo as foz
from bakeoff.cli.output import echo_json
from bakeoff.errors import InvalidOptionError, suggest
from bakeoff.models.templates import as_templates, list_template_sets

_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def parse_model_arg(text: str) -> tuple[str, Any]:
    """``"key=value"`` -> ``(key, value)`` by the module's rule; :class:`~bakeoff.errors.InvalidOptionError` (a ValueError) naming it.

    Example::

        >>> parse_model_arg("pretrained="), parse_model_arg("quick_gelu=true"), parse_model_arg("k=3")
        (('pretrained', ''), ('quick_gelu', True), ('k', 3))
    """
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not _KEY.fullmatch(key):
        raise InvalidOptionError(f"{text!r} is not key=value with a Python name as key, e.g. pretrained=openai")
    lowered = raw.strip().lower()
    if lowered in ("true", "false"):
        return key, lowered == "true"
    if lowered in ("none", "null"):
        return key, None
    if _NUMBER.fullmatch(raw.strip()):
        number = raw.strip()
        return key, int(number) if re.fullmatch(r"[+-]?\d+", number) else float(number)
    if raw[:1] in ("[", "{"):
        try:
            return key, json.loads(raw)
        except json.JSONDecodeError as error:
            raise InvalidOptionError(f"{text!r}: the value starts like JSON but is not valid JSON ({error}); "
                                     "quote it to pass a string") from None
    if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "'\"":
        return key, raw[1:-1]
    return key, raw


def _model_args(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> dict[str, Any]:
    args: dict[str, Any] = {}
    for text in values:
        try:
            key, value = parse_model_arg(text)
        except fo.BakeoffError as error:
            raise click.BadParameter(str(error), ctx, param) from None
        args[key] = value
    return args


def resolve_classes(dataset: fo.Dataset, classes_from: str | None, classes: str | None,
                    classes_file: Path | None) -> list[str]:
    """The class list from exactly one of the three options; a usage error if none, several or empty."""
    given = [(name, value) for name, value in
             (("--classes-from", classes_from), ("--classes", classes), ("--classes-file", classes_file))
             if value is not None]
    if len(given) != 1:
        which = " and ".join(name for name, _ in given) if given else "none"
        raise click.UsageError(f"give exactly one of --classes-from, --classes, --classes-file (got {which})")
    option, value = given[0]
    if classes_from is not None:
        if not dataset.has_field(classes_from):
            fields = list(dataset.get_field_schema(ftype=fo.EmbeddedDocumentField, embedded_doc_type=fo.Classification))
            raise click.BadParameter(f"dataset {dataset.name!r} has no field {classes_from!r}."
                                     f"{suggest(classes_from, fields)} Classification fields: {fields}",
                                     param_hint=option)
        names = [label for label in dataset.distinct(f"{classes_from}.label") if label is not None]
        where = f"field {classes_from!r} of dataset {dataset.name!r} has no labels"
    elif classes is not None:
        names = [name.strip() for name in classes.split(",") if name.strip()]
        where = f"{classes!r} names no class; use e.g. --classes cat,dog"
    else:
        lines = Path(value).read_text(encoding="utf-8").splitlines()
        numbered = [(n, line.strip()) for n, line in enumerate(lines, 1)
                    if line.strip() and not line.lstrip().startswith("#")]
        names = [name for _, name in numbered]
        where = f"{str(value)!r} has no class names; write one class per line"
        _refuse_duplicates(names, option, lambda name: "lines " + ", ".join(str(n) for n, c in numbered if c == name))
    if not names:
        raise click.BadParameter(where, param_hint=option)
    if option == "--classes":
        _refuse_duplicates(names, option, lambda name: f"{names.count(name)} times")
    return names


def _refuse_duplicates(names: list[str], option: str, where: Callable[[str], str]) -> None:
    """A usage error naming each class given more than once and where (``where(name)``)."""
    seen: set[str] = set()
    dupes: list[str] = []
    for name in names:
        if name in seen:
            dupes.append(name)
        seen.add(name)
    if dupes:
        listed = "; ".join(f"{name!r} ({where(name)})" for name in dict.fromkeys(dupes))
        raise click.BadParameter(f"a class is given more than once: {listed}; give each class once", param_hint=option)


def _check_target_field(dataset: fo.Dataset, field: str, overwrite: bool, model: Any = None) -> None:
    """Never write predictions over ground truth or other data by accident.

    Without ``--overwrite`` the field must be new, or hold a run of this very
    model and classes (running the command again resumes it, or does nothing).
    The ground truth of an evaluation is never written to.
    """
    truths = sorted(key for key in dataset.list_evaluations()
                    if dataset.get_evaluation_info(key)["config"].get("gt_field") == field)
    if truths:
        raise click.BadParameter(
            f"field {field!r} of dataset {dataset.name!r} is the ground truth of evaluation(s) {truths}; "
            "write the predictions to another field (e.g. --field clip)", param_hint="--field")
    if overwrite or not dataset.has_field(field) or model is None:
        return
    if field in dataset.list_model_runs():
        config = dataset.get_model_run_info(field)["config"] or {}
        if (config.get("fingerprint"), config.get("classes"), config.get("prompts")) == \
                (model.fingerprint, model.classes, model.prompts()):
            return  # the same model, classes and prompts: resume, or nothing left to do
        what = f"the predictions of {config.get('model', 'another model')}"
        if (config.get("fingerprint"), config.get("classes")) == (model.fingerprint, model.classes):
            what += " with other prompts"
    else:
        what = "values that are not this model's predictions"
    raise click.BadParameter(
        f"field {field!r} of dataset {dataset.name!r} holds {what}; pass --overwrite to replace them, "
        "or write to another field", param_hint="--field")


def failure_paths(dataset: fo.Dataset, failures: dict[str, str]) -> dict[str, str]:
    """A run's failures (sample id -> reason) keyed by the image's path instead, in the dataset's order."""
    if not failures:
        return {}
    view = dataset.select(list(failures))
    return {path: failures[sample_id] for sample_id, path in zip(view.values("id"), view.values("filepath"), strict=True)}


def _check_templates(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None:
        try:
            as_templates(value)
        except fo.BakeoffError as error:
            raise click.BadParameter(str(error), ctx, param) from None
    return value


@click.command()
@click.argument("dataset")
@click.option("--model", "model_name", required=True, metavar="NAME",
              help="Zoo model name (see 'bakeoff zoo models'), e.g. demo-clip or open_clip:ViT-B-16@dfn2b.")
@click.option("--model-arg", "model_args", multiple=True, metavar="KEY=VALUE", callback=_model_args,
              help="Argument of the zoo loader, repeatable, e.g. pretrained=/path/weights.safetensors "
                   "(true/false/none, numbers and JSON are parsed; anything else is a string).")
@click.option("--field", "label_field", required=True, help="Classification field to write the predictions to.")
@click.option("--classes-from", metavar="FIELD", help="Use the distinct labels of this Classification field.")
@click.option("--classes", metavar="A,B,C", help="Comma-separated class names.")
@click.option("--classes-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A text file with one class name per line ('#' starts a comment line).")
@click.option("--prompt", "text_prompt", metavar="TEXT", help="Prompt before each class name (default 'A photo of').")
@click.option("--templates", callback=_check_templates, metavar="SET",
              help=f"Prompt template set ({', '.join(list_template_sets())}) or one template with '{{}}'.")
@click.option("--raw-class-names", is_flag=True,
              help="Put class names in prompts as they are ('car_side'), not as words ('car side', the default).")
@click.option("--batch-size", type=click.IntRange(min=1), help="Images per batch.")
@click.option("--store-logits", is_flag=True, help="Also store every class's logit (needed for top-k).")
@click.option("--no-progress", is_flag=True, help="No progress bar (it goes to stderr otherwise).")
@click.option("--overwrite", is_flag=True, help="Replace the predictions already in --field.")
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable summary only.")
def apply(dataset: str, model_name: str, model_args: dict[str, Any], label_field: str, classes_from: str | None,
          classes: str | None, classes_file: Path | None, text_prompt: str | None, templates: str | None,
          raw_class_names: bool, batch_size: int | None, store_logits: bool, no_progress: bool, overwrite: bool,
          as_json: bool) -> None:
    """Apply a zero-shot zoo model to every image of DATASET.

    Exactly one of --classes-from, --classes and --classes-file gives the classes.
    Prompts write class names as words ('A photo of car side' for the label
    'car_side'; --raw-class-names to keep them as they are); the run info
    records the prompts used. An interrupted run resumes when the same command
    is run again.

    \b
    Example:
        bakeoff apply pets --model open-clip-torch --model-arg clip_model=ViT-B-16 \\
            --model-arg pretrained=dfn2b --field dfn --classes-from ground_truth --store-logits
    """
    loaded = fo.load_dataset(dataset)
    _check_target_field(loaded, label_field, overwrite)  # before loading the model: fail fast
    class_names = resolve_classes(loaded, classes_from, classes, classes_file)
    if templates is not None:
        model_args = {**model_args, "templates": templates}
    if raw_class_names:
        model_args = {**model_args, "clean_class_names": False}
    progress = False if no_progress else None
    model = foz.load_zoo_model(model_name, classes=class_names, text_prompt=text_prompt, progress=progress,
                               **model_args)
    _check_target_field(loaded, label_field, overwrite, model)
    summary = loaded.apply_model(model, label_field=label_field, store_logits=store_logits, batch_size=batch_size,
                                 progress=progress)
    run = loaded.get_model_run_info(label_field)
    results, config = run["results"] or {}, run["config"] or {}
    failures = failure_paths(loaded, results.get("failures") or {})
    report = {"dataset": loaded.name, "field": label_field, "model": model_name, "model_args": model_args,
              "num_classes": len(class_names), "num_samples": len(loaded), "processed": summary.num_samples,
              "failed": results.get("num_failed", summary.failed), "failures": failures,
              "prompts": dict(zip(class_names, config.get("prompts") or [], strict=False)),
              "prompt_collisions": config.get("prompt_collisions", []), "duration_s": round(summary.duration_s, 3)}
    if as_json:
        echo_json(report)
        return
    click.echo(f"applied {model_name} to {report['processed']} of {report['num_samples']} samples of "
               f"{loaded.name!r} into field {label_field!r} ({len(class_names)} classes) "
               f"in {summary.duration_s:.1f} s; {report['failed']} failed")
    shown = [f"{prompts[0]!r}" + (f" (+{len(prompts) - 1} more)" if len(prompts) > 1 else "")
             for prompts in list(report["prompts"].values())[:3]]
    click.echo(f"prompts: {', '.join(shown)}{', ...' if len(class_names) > 3 else ''}")
    for path, reason in list(failures.items())[:5]:
        click.echo(f"    failed {path}: {reason.replace(f' {path!r}', '')}")
    if len(failures) > 5:
        click.echo(f"    ... and {len(failures) - 5} more (all of them: add --json)")
    click.echo(f"run info: bakeoff datasets info {loaded.name} (Python: dataset.get_model_run_info({label_field!r}))")
    click.echo(f"next: bakeoff evaluate {loaded.name} {label_field}")
