"""Ray backend benchmark: apply_model(backend="ray") vs the local backend on the same 2 cores.

    python benchmarks/bench_ray.py                  # 1,000 photos with a tiny model, 300 with ViT-B/32
    python benchmarks/bench_ray.py -n 3060 --vit 1000

Real photos from ../shared/data/caltech101-subset; random weights at real size
(the same compute as trained ones). Ray runs as a local 2-CPU cluster started
once before timing (as a cluster would be); each apply_model includes starting
its replica actors. No embedding cache (use_cache=False), so every image is
decoded and encoded in each run. Goal (issue 9): Ray at least 0.9 of local with ViT-B/32.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_apply_model import build_model, dataset  # noqa: E402


def measure(data, model, backend: str, **options) -> tuple[float, float]:
    """(images/s, seconds) of one apply_model over ``data``."""
    summary = data.apply_model(model, label_field=f"bench_{backend}", batch_size=32, use_cache=False,
                               backend=backend, progress=False, **options)
    assert summary.failed == 0
    return summary.num_samples / summary.duration_s, summary.duration_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", "--num-images", type=int, default=1000, help="photos for the tiny model")
    parser.add_argument("--vit", type=int, default=300, help="photos for ViT-B/32 (0 to skip)")
    args = parser.parse_args()
    os.environ.setdefault("BAKEOFF_HOME", tempfile.mkdtemp())
    import ray
    from ray.data import DataContext

    import bakeoff as fo

    fo.config.show_progress_bars = False
    ray.init(num_cpus=os.cpu_count(), include_dashboard=False, log_to_driver=False)
    DataContext.get_current().enable_progress_bars = False
    rows = []
    for arch, n in (("tiny", args.num_images), ("ViT-B-32", args.vit)):
        if not n:
            continue
        data = dataset(n, f"bench-ray-{arch}")
        model = build_model(arch, data.distinct("ground_truth.label"))
        local = measure(data, model, "local")
        one = measure(data, model, "ray", replicas=1)
        two = measure(data, model, "ray", replicas=2)
        assert data.values("bench_local.label") == data.values("bench_ray.label")  # same answers
        rows.append((arch, n, local, one, two))
    ray.shutdown()

    print(f"{'model':<10}{'images':>8}{'local':>14}{'ray, 1 replica':>18}{'ray, 2 replicas':>18}{'best ratio':>12}")
    print("-" * 80)
    for arch, n, local, one, two in rows:
        best = max(one[0], two[0]) / local[0]
        print(f"{arch:<10}{n:>8}{local[0]:>10.1f} i/s{one[0]:>14.1f} i/s{two[0]:>14.1f} i/s{best:>11.2f}x")
    print("\nimages/s = images / apply_model duration; same labels in every run (checked)")


if __name__ == "__main__":
    main()
