"""Nearest neighbours over unit vectors: exact (numpy) and approximate (FAISS), behind one interface.

Both answer in cosine *similarity* (the dot product of unit vectors); callers turn it into
FiftyOne's cosine *distance*, ``1 - similarity``.

- :class:`ExactSearch`: batched matrix products over the float32 matrix, ``argpartition`` for
  the top k. Exact, no build step; a query scans every vector (0.25-0.6 s per query for a
  million 512-d vectors on 2 shared cores, memory-bound).
- :class:`FaissSearch`: a compressed scan that finds candidates, then the exact re-rank of
  those candidates over the same float32 matrix. The compressed index is FAISS's
  ``IndexPQFastScan`` with 4-bit codes over 2-dimensional sub-vectors (128 bytes per 512-d
  vector, scanned with SIMD lookup tables), asked for ``max(50 k, 500)`` candidates.

Why FAISS, and why this index (see ``benchmarks/bench_similarity.py``):

- ``faiss-cpu`` is Meta's library, released several times a year, with ``abi3`` wheels for
  Linux (x86-64, arm64), macOS and Windows: ``pip install faiss-cpu`` needs no compiler.
  ``usearch`` also ships wheels, but its HNSW build of 100k vectors had not finished after
  several minutes on 2 cores (FAISS's: 110 s); ``hnswlib`` has no wheels (it compiles from
  source); ``pynndescent`` is numba-compiled, slow to build and slow on its first call.
- Graph indexes (HNSW, in FAISS or usearch) reach high recall on real embeddings, which lie
  near a low-dimensional surface, but not on the benchmark's uniform random 512-d vectors:
  FAISS's HNSW found 0.57 of the true top 10 at 8.5x the exact speed on 100k of them. The
  compressed scan does not depend on how the vectors are spread: on a million 512-d vectors,
  recall@10 0.998 at 33x the exact speed (random) and 0.966 at 22x (clustered), built in under
  a minute on 2 cores, 200 MB beside the 2 GB float32 matrix. It still reads every code, so
  it is linear in the number of vectors, with 16x less memory to read per vector.

Searches the compressed index cannot answer (``reverse=True``, ``k=None``, or ``k`` so large
that the candidates would be a quarter of the index) run exactly.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from bakeoff.errors import BrainError, InvalidOptionError, MissingDependencyError

logger = logging.getLogger(__name__)

#: up to this many vectors, ``backend=None`` searches exactly
EXACT_LIMIT = 1_000_000
BACKENDS = ("exact", "faiss")
#: FiftyOne's name for its in-memory backend is accepted for the exact one
ALIASES = {"sklearn": "exact"}
#: similarities computed per block (rows x vectors), about 128 MB of float32
BLOCK_ELEMENTS = 1 << 25
#: candidates fetched per wanted neighbour before the exact re-rank, and their minimum
CANDIDATE_FACTOR, MIN_CANDIDATES = 50, 500
#: below this many vectors the compressed index is not worth training: those searches are exact
MIN_FAISS_SIZE = 1024
#: vectors used to train the compressed index's codebooks
TRAIN_SIZE = 8192


def choose_backend(backend: str | None, size: int) -> str:
    """The backend to use: the one asked for, else exact up to :data:`EXACT_LIMIT` vectors and FAISS past it
    (exact when FAISS is not installed, with a log message)."""
    if backend is None:
        if size <= EXACT_LIMIT:
            return "exact"
        try:
            import faiss  # noqa: F401
        except ImportError:
            logger.warning("%d vectors: exact search (pip install 'bakeoff[brain]' for the faster approximate one)",
                           size)
            return "exact"
        return "faiss"
    name = ALIASES.get(backend, backend) if isinstance(backend, str) else backend
    if name not in BACKENDS:
        raise InvalidOptionError(f"unknown similarity backend {backend!r}: use one of {list(BACKENDS)} "
                                 "(or None: exact up to a million vectors, approximate past it)")
    return name


def build_search(vectors: np.ndarray, backend: str) -> ExactSearch:
    """The search structure of ``backend`` over unit-row ``vectors``."""
    return FaissSearch(vectors) if backend == "faiss" else ExactSearch(vectors)


def _top(sims: np.ndarray, k: int, reverse: bool) -> tuple[np.ndarray, np.ndarray]:
    """Columns of the ``k`` highest (``reverse``: lowest) values per row, best first, ties by column."""
    keys = sims if reverse else -sims
    if k < keys.shape[1]:
        part = np.argpartition(keys, k - 1, axis=1)[:, :k]
    else:
        part = np.broadcast_to(np.arange(keys.shape[1]), keys.shape).copy()
    order = np.lexsort((part, np.take_along_axis(keys, part, axis=1)), axis=1)
    cols = np.take_along_axis(part, order, axis=1)
    return cols, np.take_along_axis(sims, cols, axis=1)


class ExactSearch:
    """Brute force over ``vectors`` (float32, unit rows)."""

    name = "exact"

    def __init__(self, vectors: np.ndarray) -> None:
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)

    def __len__(self) -> int:
        return len(self.vectors)

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])

    def search(self, queries: np.ndarray, k: int | None, reverse: bool = False,
               rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``(indices, similarities)``, each ``[m, k]``: the ``k`` most similar vectors to each query (least
        similar with ``reverse``), best first; ``k=None`` ranks every vector. ``rows`` limits the search
        to those rows of the matrix (indices stay those of the whole matrix)."""
        queries = np.atleast_2d(np.asarray(queries, dtype=np.float32))
        matrix = self.vectors if rows is None else self.vectors[rows]
        n = len(matrix)
        k = n if k is None else min(k, n)
        if n == 0 or k == 0:
            empty = np.zeros((len(queries), 0))
            return empty.astype(np.int64), empty.astype(np.float32)
        step = max(1, BLOCK_ELEMENTS // max(len(queries), 1))
        best_idx, best_sim = [], []
        for start in range(0, n, step):  # top k per block, then the top k of those
            sims = queries @ matrix[start : start + step].T
            cols, vals = _top(sims, min(k, sims.shape[1]), reverse)
            best_idx.append(cols + start)
            best_sim.append(vals)
        idx, sims = np.concatenate(best_idx, axis=1), np.concatenate(best_sim, axis=1)
        if len(best_idx) > 1:
            cols, sims = _top_merge(idx, sims, k, reverse)
            idx = cols
        if rows is not None:
            idx = np.asarray(rows)[idx]
        return idx, sims

    def neighbors(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        """For every vector, its ``k`` nearest *other* vectors: ``(indices, similarities)``, ``[n, k]``."""
        n = len(self)
        k = min(k, n - 1)
        if k <= 0:
            return np.zeros((n, 0), np.int64), np.zeros((n, 0), np.float32)
        step = max(1, BLOCK_ELEMENTS // max(n, 1))
        out_idx, out_sim = np.empty((n, k), np.int64), np.empty((n, k), np.float32)
        for start in range(0, n, step):
            block = self.vectors[start : start + step]
            idx, sims = self.search(block, k + 1)
            out_idx[start : start + len(block)], out_sim[start : start + len(block)] = _drop_self(
                idx, sims, np.arange(start, start + len(block)), k)
        return out_idx, out_sim


def _top_merge(idx: np.ndarray, sims: np.ndarray, k: int, reverse: bool) -> tuple[np.ndarray, np.ndarray]:
    """The top ``k`` of per-block winners, ties broken by the smaller index."""
    keys = sims if reverse else -sims
    order = np.lexsort((idx, keys), axis=1)[:, :k]
    return np.take_along_axis(idx, order, axis=1), np.take_along_axis(sims, order, axis=1)


def _drop_self(idx: np.ndarray, sims: np.ndarray, own: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Remove each row's own index from its ``k + 1`` neighbours (or the last one, when ties pushed it out)."""
    is_self = idx == own[:, None]
    drop = np.where(is_self.any(axis=1), is_self.argmax(axis=1), idx.shape[1] - 1)
    keep = np.ones_like(idx, dtype=bool)
    keep[np.arange(len(idx)), drop] = False
    return idx[keep].reshape(len(idx), -1)[:, :k], sims[keep].reshape(len(idx), -1)[:, :k]


class FaissSearch(ExactSearch):
    """A FAISS compressed index for candidates, re-ranked exactly over the float32 matrix."""

    name = "faiss"

    def __init__(self, vectors: np.ndarray, seed: int = 0) -> None:
        super().__init__(vectors)
        self.index: Any = None
        if len(self) < MIN_FAISS_SIZE:
            logger.info("%d vectors: searched exactly (the compressed index needs %d)", len(self), MIN_FAISS_SIZE)
            return
        faiss = import_faiss()
        self.pad = (-self.dim) % 4  # 2-d sub-vectors, an even number of them: pad with zeros (dot products unchanged)
        padded_dim = self.dim + self.pad
        index = faiss.IndexPQFastScan(padded_dim, padded_dim // 2, 4, faiss.METRIC_INNER_PRODUCT)
        rng = np.random.default_rng(seed)
        train = self.vectors[np.sort(rng.choice(len(self), min(len(self), TRAIN_SIZE), replace=False))]
        index.train(self._padded(train))
        for start in range(0, len(self), 1 << 16):
            index.add(self._padded(self.vectors[start : start + (1 << 16)]))
        self.index = index

    def _padded(self, x: np.ndarray) -> np.ndarray:
        x = np.ascontiguousarray(x, dtype=np.float32)
        return np.pad(x, ((0, 0), (0, self.pad))) if self.pad else x

    def search(self, queries: np.ndarray, k: int | None, reverse: bool = False,
               rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        queries = np.atleast_2d(np.asarray(queries, dtype=np.float32))
        if k is None or self.index is None or reverse or rows is not None:
            return super().search(queries, k, reverse, rows)
        wanted = max(CANDIDATE_FACTOR * k, MIN_CANDIDATES)
        if wanted * 4 > len(self):  # a quarter of the index: the exact scan is as fast
            return super().search(queries, k, reverse, rows)
        _, candidates = self.index.search(self._padded(queries), wanted)
        out_idx, out_sim = [], []
        for query, cand in zip(queries, candidates, strict=True):
            cand = np.unique(cand[cand >= 0])  # sorted: ties break by index, as in the exact search
            sims = self.vectors[cand] @ query
            cols, vals = _top(sims[None], min(k, len(cand)), False)
            out_idx.append(cand[cols[0]])
            out_sim.append(vals[0])
        return np.stack(out_idx), np.stack(out_sim)

    def neighbors(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        if self.index is None:
            return super().neighbors(k)
        n = len(self)
        k = min(k, n - 1)
        out_idx, out_sim = np.empty((n, k), np.int64), np.empty((n, k), np.float32)
        for start in range(0, n, 4096):
            block = self.vectors[start : start + 4096]
            idx, sims = self.search(block, k + 1)
            out_idx[start : start + len(block)], out_sim[start : start + len(block)] = _drop_self(
                idx, sims, np.arange(start, start + len(block)), k)
        return out_idx, out_sim


def import_faiss() -> Any:
    try:
        import faiss
    except ImportError:
        raise MissingDependencyError("the approximate similarity backend needs FAISS: pip install faiss-cpu "
                                     "(or pip install 'bakeoff[brain]'), or use backend='exact'") from None
    return faiss


def check_vectors(vectors: Any, dim: int, what: str = "query") -> np.ndarray:
    """``vectors`` as float32 ``[m, dim]`` unit rows, else :class:`BrainError` naming the problem."""
    try:
        array = np.asarray(vectors, dtype=np.float32)
    except (TypeError, ValueError):
        raise BrainError(f"the {what} must be numbers, got an array of {type(vectors).__name__}") from None
    if array.ndim not in (1, 2) or array.shape[-1] != dim or array.size == 0:
        raise BrainError(f"the {what} has shape {array.shape}; this index holds {dim}-dimensional embeddings: pass "
                         f"one vector of {dim} numbers or an array [m, {dim}]")
    array = np.atleast_2d(array)
    norms = np.linalg.norm(array, axis=1)
    if not np.all(np.isfinite(array)) or np.any(norms == 0):
        raise BrainError(f"the {what} has NaN, infinite or all-zero vectors: pass finite, non-zero vectors")
    return array / norms[:, None]
