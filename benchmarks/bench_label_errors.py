"""Likely label errors on demo-shapes: flags on a clean set, precision and recall at 5% and 10% label noise.

    python benchmarks/bench_label_errors.py              # 1,280 images, the three demo models, seeds 0-2
    python benchmarks/bench_label_errors.py --seeds 5

demo-shapes' labels are correct by construction. The benchmark applies the
three demo models once (``store_logits=True``, as ``bakeoff demo`` does), then
for 0%, 5% and 10% of the labels replaced by a random other class (seeded; the
same flips for every rule) compares the models against the noisy labels and
counts what each rule flags:

- ``majority vote``: the rule before (more than half of the models predict the
  same other label with confidence >= 0.5), its code copied here;
- ``out-of-class rank``: ``Comparison.likely_label_errors()`` at the default
  ``min_score=0.2`` and at 0.1 and 0.3;
- ``confident learning``: ``cleanlab.filter.find_label_issues`` on the same mean
  probabilities (only when cleanlab is installed).

Precision and recall are means over the seeds. Goal: at most 1% of the clean
set flagged; precision at least 0.6 at 10% noise.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RATES = (0.0, 0.05, 0.10)
MIN_SCORES = (0.2, 0.1, 0.3)


def majority_vote(comparison, min_confidence: float = 0.5, min_fraction: float = 0.5) -> set[str]:
    """The rule bakeoff used before: a confident majority of models agrees on a label other than the truth."""
    preds = [comparison.results[m].ypred for m in comparison.models]
    confs = [np.nan_to_num(comparison.results[m].confs, nan=0.0) for m in comparison.models]
    ytrue = comparison.results[comparison.models[0]].ytrue
    flagged = set()
    for i, sample_id in enumerate(comparison.ids):
        counts: dict[str, int] = {}
        for p, c in zip(preds, confs, strict=True):
            if p[i] != comparison.missing and c[i] >= min_confidence:
                counts[p[i]] = counts.get(p[i], 0) + 1
        if any(label != ytrue[i] and n > min_fraction * len(preds) for label, n in counts.items()):
            flagged.add(sample_id)
    return flagged


def confident_learning(comparison) -> set[str] | None:
    """cleanlab's confident learning (prune by noise rate) on the models' mean probabilities."""
    try:
        from cleanlab.filter import find_label_issues
    except ImportError:
        return None
    from bakeoff.evaluation.label_errors import mean_probabilities, model_probabilities

    probs, classes = mean_probabilities([model_probabilities(comparison.collection, m) for m in comparison.models])
    index = {c: k for k, c in enumerate(classes)}
    labels = np.array([index[t] for t in comparison.results[comparison.models[0]].ytrue])
    issues = find_label_issues(labels, probs / probs.sum(axis=1, keepdims=True))
    return {comparison.ids[i] for i in np.flatnonzero(issues)}


def flip_labels(labels: list[str], classes: list[str], rate: float, seed: int) -> tuple[list[str], set[int]]:
    """``labels`` with ``round(rate * n)`` of them replaced by a random other class; the flipped positions."""
    rng = np.random.default_rng([seed, round(rate * 1000)])
    out = list(labels)
    flipped = rng.choice(len(labels), round(rate * len(labels)), replace=False)
    for i in flipped:
        out[i] = rng.choice([c for c in classes if c != labels[i]])
    return out, {int(i) for i in flipped}


def apply_demo_models(dataset, classes: list[str]) -> list[str]:
    import bakeoff.zoo as foz
    from bakeoff.demo import available_models

    fields = []
    for name in available_models():
        field = name.replace("-", "_")
        model = foz.load_zoo_model(name, classes=classes, text_prompt="a photo of a")
        dataset.apply_model(model, label_field=field, store_logits=True, progress=False)
        fields.append(field)
    return fields


def measure(seeds: int) -> tuple[dict[str, dict[float, list[tuple[int, float, float]]]], dict[str, float], int]:
    import bakeoff as fo
    import bakeoff.zoo as foz

    fo.config.show_progress_bars = False
    started = time.perf_counter()
    dataset = foz.load_zoo_dataset("demo-shapes")
    truth = dataset.values("ground_truth.label")
    classes = sorted(set(truth))
    fields = apply_demo_models(dataset, classes)
    timings = {"setup (generate + apply 3 models)": time.perf_counter() - started}
    ids = dataset.values("id")
    rows: dict[str, dict[float, list[tuple[int, float, float]]]] = {}
    for rate in RATES:
        for seed in range(seeds if rate else 1):
            noisy, flipped = flip_labels(truth, classes, rate, seed)
            dataset.set_values("noisy", [fo.Classification(label=label) for label in noisy])
            comparison = fo.compare(dataset, pred_fields=fields, gt_field="noisy")
            planted = {ids[i] for i in flipped}
            found = {"majority vote (before)": majority_vote(comparison)}
            t = time.perf_counter()  # the first call reads the logits; later ones reuse the scores
            for min_score in MIN_SCORES:
                found[f"out-of-class rank, min_score={min_score}"] = set(comparison.label_error_scores(min_score))
            timings[f"label_error_scores, {len(ids)} samples"] = time.perf_counter() - t
            cl = confident_learning(comparison)
            if cl is not None:
                found["confident learning (cleanlab)"] = cl
            for rule, flagged in found.items():
                hits = len(flagged & planted)
                precision = hits / len(flagged) if flagged else float("nan")
                recall = hits / len(planted) if planted else float("nan")
                rows.setdefault(rule, {}).setdefault(rate, []).append((len(flagged), precision, recall))
    return rows, timings, len(ids)


def print_table(rows, timings, n: int, seeds: int) -> None:
    head = f"| rule | flagged, clean (of {n:,}) | 5% noise: precision / recall | 10% noise: precision / recall |"
    print(head)
    print("|---|---|---|---|")
    for rule, by_rate in rows.items():
        cells = [f"{by_rate[0.0][0][0]} ({by_rate[0.0][0][0] / n:.1%})"]
        for rate in RATES[1:]:
            flags, precision, recall = (np.nanmean([r[k] for r in by_rate[rate]]) for k in range(3))
            cells.append(f"{precision:.2f} / {recall:.2f} ({flags:.0f} flagged)")
        print(f"| {rule} | " + " | ".join(cells) + " |")
    print(f"\n{n:,} images, 64 classes; noisy sets: mean of {seeds} seeds; " + ", ".join(
        f"{k}: {v:.2f} s" for k, v in timings.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3, help="noisy label sets per noise rate (default 3)")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    with tempfile.TemporaryDirectory() as home:
        os.environ["BAKEOFF_HOME"] = home  # a fresh home: the demo set is generated, nothing of the user's is touched
        import bakeoff as fo

        fo.config.home = Path(home)
        rows, timings, n = measure(args.seeds)
    print_table(rows, timings, n, args.seeds)


if __name__ == "__main__":
    main()
