"""Foundation benchmark: 100,000 samples through bakeoff (and FiftyOne, when installed).

    python benchmarks/bench_foundation.py                 # 100,000 samples, 3 repeats
    python benchmarks/bench_foundation.py -n 20000 -r 1   # quicker

Each system runs in its own fresh subprocess per repeat, alternating, so both
see the same machine load; the table shows medians and bakeoff's speed-up.
FiftyOne is measured when ``.bench-fo/bin/python`` (see ../shared/BENCHMARKS.md)
or ``--fiftyone-python`` points at an interpreter that can import it.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from comparison import add_fiftyone_arguments, run_workload  # noqa: E402
from comparison import systems as find_systems  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]

# The same script for both systems: `fo` is bakeoff or fiftyone.
WORKLOAD = r"""
import json, os, resource, sys, time
t0 = time.perf_counter()
if sys.argv[1] == "bakeoff":
    import bakeoff as fo
else:
    import fiftyone as fo
dataset = fo.Dataset()
first = time.perf_counter() - t0
n = int(sys.argv[2])
samples = [fo.Sample(filepath=f"/data/img_{i:07d}.jpg", ground_truth=fo.Classification(label=f"class_{i % 257}"))
           for i in range(n)]
t = time.perf_counter(); dataset.add_samples(samples); add = time.perf_counter() - t
labels = [fo.Classification(label=f"class_{(i * 7) % 257}", confidence=(i % 1000) / 1000) for i in range(n)]
t = time.perf_counter(); dataset.set_values("clip", labels); set_values = time.perf_counter() - t
t = time.perf_counter(); values = dataset.values("clip.confidence"); read = time.perf_counter() - t
assert len(values) == n and abs(values[1] - 0.001) < 1e-9, values[:3]
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"import + first dataset": first, "add_samples": add, "set_values (Classification)": set_values,
                  "values (float)": read, "peak RSS MiB": peak}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", "--num-samples", type=int, default=100_000)
    parser.add_argument("-r", "--repeats", type=int, default=3)
    add_fiftyone_arguments(parser)
    args = parser.parse_args()
    systems = find_systems(args)

    results: dict[str, list[dict[str, float]]] = {s: [] for s in systems}
    with tempfile.TemporaryDirectory() as home:
        for _ in range(args.repeats):
            for system, python in systems.items():  # alternate: both see the same load
                results[system].append(run_workload(WORKLOAD, python, system, [args.num_samples], home))

    metrics = list(results["bakeoff"][0])
    header = f"{'metric (' + format(args.num_samples, ',') + ' samples)':<36}" + "".join(f"{s:>12}" for s in systems)
    if "fiftyone" in systems:
        header += f"{'speed-up':>10}"
    print(header)
    print("-" * len(header))
    for metric in metrics:
        med = {s: statistics.median(r[metric] for r in results[s]) for s in systems}
        unit = "" if "MiB" in metric else " s"
        row = f"{metric:<36}" + "".join(f"{med[s]:>10.3f}{unit}" if unit else f"{med[s]:>12.0f}" for s in systems)
        if "fiftyone" in systems:
            row += f"{med['fiftyone'] / med['bakeoff']:>9.1f}x"
        print(row)
    print(f"\nmedians of {args.repeats} fresh processes per system; python {sys.version.split()[0]}")


if __name__ == "__main__":
    main()
