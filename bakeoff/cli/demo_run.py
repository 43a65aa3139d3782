"""``bakeoff demo``: the tutorial's whole workflow, offline, on bakeoff's own demo models.

Loads the ``demo-shapes`` zoo dataset (generated on first use), applies every
shipped demo model, evaluates each, prints the tutorial's tables (percent
correct, mean confidence) and the comparison, and writes the HTML report.
The run is a normal persistent dataset named ``demo-shapes``: open it
afterwards with ``bakeoff.load_dataset("demo-shapes")``.

It calls what a user of ``import bakeoff as fo`` would call, so it sits with the
command line, above the public API.
"""

from __future__ import annotations

import sys
from typing import TextIO

import bakeoff as fo
import bakeoff.zoo as foz
from bakeoff.demo import available_models
from bakeoff.evaluation.compare import Comparison
from bakeoff.evaluation.verdict import verdict


def run_demo(report: str | None = "bakeoff-demo-report.html", fresh: bool = False,
             out: TextIO | None = None) -> Comparison:
    """Run the demo; prints to ``out`` (stdout by default); returns the comparison.

    Example::

        from bakeoff.cli.demo_run import run_demo
        comparison = run_demo(report=None)
        comparison.all_wrong()
    """
    out = out or sys.stdout
    models = available_models()
    if not models:
        raise fo.BakeoffError("no demo models are installed; reinstall bakeoff or run scripts/train_demo_models.py")
    dataset = foz.load_zoo_dataset("demo-shapes", dataset_name="demo-shapes", persistent=True, overwrite=fresh)
    classes = dataset.distinct("ground_truth.label")
    print(f"dataset 'demo-shapes': {len(dataset)} images, {len(classes)} classes", file=out)
    fields = []
    for name in models:
        field = name.replace("-", "_")
        fields.append(field)
        if fresh or not dataset.has_field(field) or dataset.count(field) < len(dataset):
            model = foz.load_zoo_model(name, classes=classes, text_prompt="a photo of a")
            dataset.apply_model(model, label_field=field, store_logits=True)
        dataset.evaluate_classifications(field, gt_field="ground_truth", eval_key=f"{field}_eval")
    comparison = fo.compare(dataset, pred_fields=fields)
    print(f"\n{comparison}", file=out)  # one table: percent correct, its interval, mean confidence, ...
    print(f"\nverdict: {verdict(comparison)}", file=out)
    only = {field: len(comparison.only_right(field)) for field in fields}
    print(f"only one right: {sum(only.values())} (" + ", ".join(f"{f}: {n}" for f, n in only.items()) + ")",
          file=out)
    print(f"\n{comparison.describe_label_errors()}", file=out)
    if report:
        path = comparison.save_report(report)
        print(f"report: {path}", file=out)
    return comparison
