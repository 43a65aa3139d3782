"""Embedding maps: time to reduce 10k and 100k 512-d embeddings to 2-D points with PCA, UMAP and t-SNE.

    python benchmarks/bench_visualization.py                       # PCA and UMAP at 10k and 100k, t-SNE at 10k
    python benchmarks/bench_visualization.py --sizes 10000 --methods pca,umap,tsne

The embeddings are float32 unit vectors around 100 centres (closer to real image embeddings
than uniform noise, which has no structure to map); the reduction is the one
``bakeoff.brain.compute_visualization`` runs (:func:`bakeoff.brain.visualization.reduce`), with
its defaults (UMAP: 15 neighbours, cosine; t-SNE: Barnes-Hut, perplexity 30). Without a seed, as
timed here, UMAP uses every core; with ``seed=`` it runs on one. The first UMAP call of a
process also compiles numba code: each method's first call is timed separately, on 5,000 points.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_similarity import unit_vectors  # noqa: E402

from bakeoff.brain.visualization import reduce  # noqa: E402

#: points of the untimed first call of each method (past 4,096 UMAP takes the approximate-neighbour path)
WARM_UP_SIZE = 5000
#: t-SNE is quadratic-ish and slow past this many points on a laptop: skipped unless asked
TSNE_LIMIT = 20_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000", help="comma-separated numbers of points")
    parser.add_argument("--methods", default="pca,umap,tsne", help="comma-separated: pca, umap, tsne")
    parser.add_argument("--dim", type=int, default=512)
    parser.add_argument("--all-sizes", action="store_true", help=f"t-SNE past {TSNE_LIMIT:,} points too")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    methods = [m.strip() for m in args.methods.split(",")]

    rows: dict[str, dict[int, str]] = {}
    warm = unit_vectors(WARM_UP_SIZE, args.dim, 1, "clustered", centers=100)
    for method in methods:  # imports, BLAS threads, numba's compilation (UMAP: about a minute, once per process)
        started = time.perf_counter()
        reduce(warm, method)
        rows[f"{method} (first call, {WARM_UP_SIZE:,} points)"] = {sizes[0]: f"{time.perf_counter() - started:.1f} s"}
    for n in sizes:
        vectors = unit_vectors(n, args.dim, 0, "clustered", centers=100)
        for method in methods:
            if method == "tsne" and n > TSNE_LIMIT and not args.all_sizes:
                rows.setdefault(method, {})[n] = "skipped"
                continue
            started = time.perf_counter()
            points = reduce(vectors, method)
            took = time.perf_counter() - started
            assert points.shape == (n, 2)
            rows.setdefault(method, {})[n] = f"{took:.1f} s"
    print(f"{args.dim}-d embeddings to 2-D points, {psutil.cpu_count()} CPUs\n")
    print("| method | " + " | ".join(f"{n:,} points" for n in sizes) + " |")
    print("|---|" + "---|" * len(sizes))
    for method, times in rows.items():
        print(f"| {method} | " + " | ".join(times.get(n, "-") for n in sizes) + " |")


if __name__ == "__main__":
    main()
