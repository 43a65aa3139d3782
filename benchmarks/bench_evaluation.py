"""Evaluation benchmark: evaluate_classifications per field and compare() over six models.

    python benchmarks/bench_evaluation.py              # 100,000 samples, with FiftyOne when installed
    python benchmarks/bench_evaluation.py -n 20000 --no-fiftyone

Each system builds the same dataset (ground truth over 257 classes, six
prediction fields) in its own process, then times evaluate_classifications
with an eval_key on every field (median per field). bakeoff also times
``bakeoff.compare`` over all six (bootstrap intervals and McNemar included).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from comparison import add_fiftyone_arguments, run_workload  # noqa: E402
from comparison import systems as find_systems  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]

WORKLOAD = r"""
import json, random, statistics, sys, time
system, n = sys.argv[1], int(sys.argv[2])
if system == "bakeoff":
    import bakeoff as fo
else:
    import fiftyone as fo
models = [f"m{k}" for k in range(6)]
rng = random.Random(0)
samples = []
for i in range(n):
    truth = f"c{i % 257}"
    fields = {"ground_truth": fo.Classification(label=truth)}
    for k, m in enumerate(models):
        label = truth if rng.random() < 0.5 + 0.07 * k else f"c{rng.randrange(257)}"
        fields[m] = fo.Classification(label=label, confidence=rng.random())
    samples.append(fo.Sample(filepath=f"/data/{i:07d}.jpg", **fields))
dataset = fo.Dataset()
dataset.add_samples(samples)
times, accuracy = [], {}
for m in models:
    t = time.perf_counter()
    results = dataset.evaluate_classifications(m, gt_field="ground_truth", eval_key=f"{m}_eval")
    times.append(time.perf_counter() - t)
    accuracy[m] = round(results.metrics()["accuracy"], 6)
out = {"evaluate (median per field)": statistics.median(times), "accuracy": accuracy}
if system == "bakeoff":
    t = time.perf_counter()
    comparison = fo.compare(dataset, pred_fields=models)
    text = str(comparison)
    out["compare (6 models)"] = time.perf_counter() - t
print(json.dumps(out))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", "--num-samples", type=int, default=100_000)
    add_fiftyone_arguments(parser)
    args = parser.parse_args()
    systems = find_systems(args)
    with tempfile.TemporaryDirectory() as home:
        results = {s: run_workload(WORKLOAD, p, s, [args.num_samples], home) for s, p in systems.items()}
    header = f"{'work (' + format(args.num_samples, ',') + ' samples)':<34}" + "".join(f"{s:>12}" for s in systems)
    if "fiftyone" in results:
        header += f"{'speed-up':>10}"
    print(header)
    print("-" * len(header))
    for name in ("evaluate (median per field)", "compare (6 models)"):
        row = f"{name:<34}" + "".join(
            f"{results[s][name]:>10.2f} s" if name in results[s] else f"{'-':>12}" for s in systems)
        if "fiftyone" in results and name in results["fiftyone"]:
            row += f"{results['fiftyone'][name] / results['bakeoff'][name]:>9.1f}x"
        print(row)
    if "fiftyone" in results:
        same = results["bakeoff"]["accuracy"] == results["fiftyone"]["accuracy"]
        print(f"\naccuracies identical in both systems: {same}")


if __name__ == "__main__":
    main()
