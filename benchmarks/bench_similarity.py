"""Similarity search: exact vs approximate on random unit vectors — latency, recall@k, build time, memory.

    python benchmarks/bench_similarity.py                  # 1,000,000 x 512, 100 queries, k=10
    python benchmarks/bench_similarity.py --size 100000    # a quick run
    python benchmarks/bench_similarity.py --data clustered # vectors around 1,000 centres (closer to real embeddings)

The vectors are float32, unit length, seeded; the queries are fresh vectors of the same kind.
Both backends are the ones ``bakeoff.brain.compute_similarity`` uses (:mod:`bakeoff.brain.search`):
``exact`` (one matrix product per query, ``argpartition``) and ``faiss`` (a compressed FAISS
scan for candidates, re-ranked exactly). Latency is per single query (the median, then the
95th percentile); recall@k is the share of the exact top k that the approximate search
returns. Memory is the process's resident size added by the vectors and by the index.
Uniform random vectors in 512 dimensions are the hard case for approximate search (every
vector is nearly as far from the query as its nearest neighbour); goal: recall@10 >= 0.95
at >= 10x the exact speed.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bakeoff.brain.search import ExactSearch, FaissSearch  # noqa: E402


def unit_vectors(n: int, dim: int, seed: int, data: str = "random", centers: int = 1000) -> np.ndarray:
    """``n`` float32 unit vectors, made in chunks (a million 512-d ones are 2 GB)."""
    rng = np.random.default_rng(seed)
    out = np.empty((n, dim), np.float32)
    middle = rng.standard_normal((centers, dim), dtype=np.float32) if data == "clustered" else None
    for start in range(0, n, 1 << 16):
        rows = min(1 << 16, n - start)
        chunk = rng.standard_normal((rows, dim), dtype=np.float32)
        if middle is not None:
            chunk = middle[rng.integers(0, centers, rows)] + 0.6 * chunk
        chunk /= np.linalg.norm(chunk, axis=1, keepdims=True)
        out[start : start + rows] = chunk
    return out


def rss_mb() -> float:
    return psutil.Process().memory_info().rss / 2**20


def timed_queries(search, queries: np.ndarray, k: int) -> tuple[list[np.ndarray], np.ndarray]:
    found, times = [], []
    for query in queries:
        started = time.perf_counter()
        idx, _ = search.search(query[None], k)
        times.append(time.perf_counter() - started)
        found.append(idx[0])
    return found, np.array(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=1_000_000, help="vectors in the index")
    parser.add_argument("--dim", type=int, default=512)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--data", choices=("random", "clustered"), default="random")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    before = rss_mb()
    started = time.perf_counter()
    vectors = unit_vectors(args.size, args.dim, args.seed, args.data)
    made_s = time.perf_counter() - started
    after_vectors = rss_mb()
    queries = unit_vectors(args.queries, args.dim, args.seed + 1, args.data)
    exact = ExactSearch(vectors)
    exact.search(queries[:1], args.k)  # warm up (BLAS threads, page faults)
    truth, exact_times = timed_queries(exact, queries, args.k)

    started = time.perf_counter()
    approx = FaissSearch(vectors)
    build_s = time.perf_counter() - started
    after_index = rss_mb()
    approx.search(queries[:1], args.k)
    found, approx_times = timed_queries(approx, queries, args.k)
    recall = float(np.mean([len(set(t.tolist()) & set(f.tolist())) / args.k for t, f in zip(truth, found, strict=True)]))

    batch = queries[: min(len(queries), 100)]
    started = time.perf_counter()
    exact.search(batch, args.k)
    exact_batch_qps = len(batch) / (time.perf_counter() - started)
    started = time.perf_counter()
    approx.search(batch, args.k)
    approx_batch_qps = len(batch) / (time.perf_counter() - started)

    exact_ms, approx_ms = np.median(exact_times) * 1e3, np.median(approx_times) * 1e3
    print(f"{args.size:,} x {args.dim} {args.data} unit vectors (float32, made in {made_s:.1f} s), "
          f"{args.queries} queries, k={args.k}, {psutil.cpu_count()} CPUs\n")
    print(f"| backend | build | query p50 | query p95 | speed vs exact | batch of 100 | recall@{args.k} | memory |")
    print("|---|---|---|---|---|---|---|---|")
    print(f"| exact (numpy) | - | {exact_ms:.1f} ms | {np.percentile(exact_times, 95) * 1e3:.1f} ms | 1x | "
          f"{exact_batch_qps:.0f} q/s | 1.000 | {after_vectors - before:,.0f} MB (vectors) |")
    print(f"| faiss (PQ fast scan + exact re-rank) | {build_s:.1f} s | {approx_ms:.2f} ms | "
          f"{np.percentile(approx_times, 95) * 1e3:.2f} ms | {exact_ms / approx_ms:.0f}x | {approx_batch_qps:.0f} q/s | "
          f"{recall:.3f} | +{after_index - after_vectors:,.0f} MB (index) |")


if __name__ == "__main__":
    main()
