"""``bakeoff evaluate`` and ``bakeoff compare``: one model against the ground truth, and all of them together."""

from __future__ import annotations

from pathlib import Path

import click

import bakeoff as fo
from bakeoff.cli.output import echo_json, echo_table
from bakeoff.evaluation.verdict import verdict

_JSON = click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON only.")
_GT = click.option("--gt", "gt_field", default="ground_truth", show_default=True, help="Ground-truth field.")


def _split(value: str | None) -> list[str] | None:
    return None if value is None else [part.strip() for part in value.split(",") if part.strip()]


@click.command()
@click.argument("dataset")
@click.argument("pred_field")
@_GT
@click.option("--eval-key", help="Field for the per-sample results (default: PRED_FIELD_eval).")
@click.option("--method", type=click.Choice(["simple", "top-k", "binary"]), default="simple", show_default=True,
              help="simple: label equals ground truth; top-k: truth among the k highest logits (needs "
                   "--store-logits at apply time); binary: TP/FP/FN/TN of a positive class.")
@click.option("-k", "k", type=click.IntRange(min=1), default=5, show_default=True, help="k for --method top-k.")
@click.option("--classes", metavar="A,B,...", help="Classes to report on; NEG,POS for --method binary.")
@_JSON
def evaluate(dataset: str, pred_field: str, gt_field: str, eval_key: str | None, method: str, k: int,
             classes: str | None, as_json: bool) -> None:
    """Evaluate the predictions in PRED_FIELD of DATASET against the ground truth.

    Stores per-sample results in the field --eval-key and prints accuracy and the per-class report.

    \b
    Example:
        bakeoff evaluate pets clip --gt ground_truth
    """
    loaded = fo.load_dataset(dataset)
    class_list = _split(classes)
    if method == "binary" and (class_list is None or len(class_list) != 2):
        raise click.BadParameter(f"--method binary needs --classes NEG,POS (two classes), got {classes!r}",
                                 param_hint="--classes")
    eval_key = eval_key or f"{pred_field}_eval"
    results = loaded.evaluate_classifications(pred_field, gt_field=gt_field, eval_key=eval_key,
                                              classes=class_list, method=method, k=k)
    try:
        metrics = results.metrics()
    except fo.BakeoffError:  # binary, with labels besides NEG,POS: scikit-learn (and FiftyOne) refuse 'binary'
        metrics = results.metrics(average="micro")
    if as_json:
        echo_json({"dataset": loaded.name, "pred_field": pred_field, "gt_field": gt_field, "eval_key": eval_key,
                   "method": method, "metrics": metrics, "counts": loaded.count_values(eval_key),
                   "report": results.report()})
        return
    click.echo(f"{pred_field} vs {gt_field} on {loaded.name!r} ({len(results.ytrue)} samples, method {method}): "
               f"accuracy {metrics['accuracy'] * 100:.1f}%, balanced accuracy "
               f"{metrics['balanced_accuracy'] * 100:.1f}%")
    if f"top_{k}_accuracy" in metrics:
        click.echo(f"top-{k} accuracy {metrics[f'top_{k}_accuracy'] * 100:.1f}%")
    click.echo(f"per-sample results in field {eval_key!r}: {loaded.count_values(eval_key)}\n")
    results.print_report()


@click.command()
@click.argument("dataset")
@click.option("--fields", metavar="A,B,...", help="Prediction fields (default: every Classification field but --gt).")
@_GT
@click.option("--report", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write a self-contained HTML report here (needs matplotlib).")
@_JSON
def compare(dataset: str, fields: str | None, gt_field: str, report: Path | None, as_json: bool) -> None:
    """Compare the models' predictions on DATASET: accuracy with 95% CI, calibration, agreement, McNemar.

    \b
    Example:
        bakeoff compare pets --fields clip,siglip --report pets-report.html
    """
    loaded = fo.load_dataset(dataset)
    comparison = fo.compare(loaded, pred_fields=_split(fields), gt_field=gt_field)
    path = None
    if report is not None:
        try:
            path = comparison.save_report(str(report))
        except ImportError as error:
            raise click.ClickException(str(error)) from error
    if as_json:
        echo_json({"dataset": loaded.name, **comparison.to_dict(), "verdict": verdict(comparison), "report": path})
        return
    click.echo(str(comparison))
    click.echo(f"\nverdict: {verdict(comparison)}")
    counts = comparison.to_dict()["counts"]["only_one_right"]
    click.echo("\nonly one right:")
    echo_table([{"model": m, "samples": n} for m, n in counts.items()], ["model", "samples"])
    click.echo(f"\n{comparison.describe_label_errors()}")
    if path:
        click.echo(f"report: {path}")
