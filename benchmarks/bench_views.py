"""Views and aggregations benchmark: the tutorial's queries on 100,000 samples.

    python benchmarks/bench_views.py                  # 100,000 samples, bakeoff and FiftyOne (if installed)
    python benchmarks/bench_views.py -n 1000000 --no-fiftyone

A dataset with 6 prediction fields (Classification) and 6 boolean eval fields
(10% missing) is built once per system in its own process; each query then
runs ``--repeats`` times and the median is reported. FiftyOne runs from
``.bench-fo/bin/python`` when present (see ../shared/BENCHMARKS.md).
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
system, n, repeats = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
if system == "bakeoff":
    import bakeoff as fo
    from bakeoff import ViewField as F
else:
    import fiftyone as fo
    from fiftyone import ViewField as F
models = [f"m{k}" for k in range(6)]
rng = random.Random(0)
dataset = fo.Dataset()
samples = []
for i in range(n):
    fields = {"ground_truth": fo.Classification(label=f"c{i % 257}")}
    for m in models:
        fields[m] = fo.Classification(label=f"c{rng.randrange(257)}", confidence=rng.random())
        if rng.random() < 0.9:
            fields[f"{m}_eval"] = rng.random() < 0.7
    samples.append(fo.Sample(filepath=f"/data/{i:07d}.jpg", **fields))
t = time.perf_counter()
dataset.add_samples(samples)
build = time.perf_counter() - t
queries = {
    "count_values(eval)": lambda: dataset.count_values("m0_eval"),
    "count_values(label)": lambda: dataset.count_values("m0.label"),
    "mean(confidence)": lambda: dataset.mean(F("m0.confidence")),
    "match(a==T & b==F).count()": lambda: dataset.match((F("m0_eval") == True) & (F("m1_eval") == False)).count(),
    "match(F().all(6)).count()": lambda: dataset.match(F().all([F(f"{m}_eval") == True for m in models])).count(),
    "match(F().any(6)).count()": lambda: dataset.match(F().any([F(f"{m}_eval") == True for m in models])).count(),
    "aggregate(6 count_values)": lambda: dataset.aggregate([fo.CountValues(f"{m}_eval") for m in models]),
}
answers, times = {}, {}
for name, query in queries.items():
    runs = []
    for _ in range(repeats):
        t = time.perf_counter(); result = query(); runs.append(time.perf_counter() - t)
    times[name] = statistics.median(runs)
    if isinstance(result, float):
        result = round(result, 9)  # summation order differs between databases
    answers[name] = result if not isinstance(result, list) else [dict(r) for r in result]
    if isinstance(answers[name], dict):
        answers[name] = {str(k): v for k, v in answers[name].items()}
print(json.dumps({"build": build, "times": times, "answers": answers}, default=str))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", "--num-samples", type=int, default=100_000)
    parser.add_argument("-r", "--repeats", type=int, default=5)
    add_fiftyone_arguments(parser)
    args = parser.parse_args()
    systems = find_systems(args)
    with tempfile.TemporaryDirectory() as home:
        results = {s: run_workload(WORKLOAD, p, s, [args.num_samples, args.repeats], home) for s, p in systems.items()}

    if "fiftyone" in results:
        same = {k: results["bakeoff"]["answers"][k] == results["fiftyone"]["answers"][k]
                for k in results["bakeoff"]["answers"]}
    header = f"{'query (' + format(args.num_samples, ',') + ' samples)':<34}" + "".join(f"{s:>12}" for s in systems)
    if "fiftyone" in results:
        header += f"{'speed-up':>10}{'same answer':>13}"
    print(header)
    print("-" * len(header))
    for name in results["bakeoff"]["times"]:
        row = f"{name:<34}" + "".join(f"{results[s]['times'][name] * 1000:>9.1f} ms" for s in systems)
        if "fiftyone" in results:
            ratio = results["fiftyone"]["times"][name] / results["bakeoff"]["times"][name]
            row += f"{ratio:>9.1f}x{str(same[name]):>13}"
        print(row)
    build = "  ".join(f"{s}: {results[s]['build']:.1f} s" for s in systems)
    print(f"\nadd_samples to build the dataset: {build}; medians of {args.repeats} runs")


if __name__ == "__main__":
    main()
