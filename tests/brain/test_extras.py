"""bakeoff.brain without its extras: it imports, and the calls that need umap-learn or FAISS say how to get them."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import bakeoff.brain as fob
from bakeoff.errors import MissingDependencyError

pytestmark = pytest.mark.one_database


def test_importing_the_brain_loads_no_heavy_or_optional_library():
    code = ("import sys, bakeoff.brain; "
            "print([m for m in ('torch', 'transformers', 'faiss', 'umap', 'numba', 'sklearn') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_the_public_names_are_the_intended_ones():
    assert sorted(fob.__all__) == sorted(n for n in fob.__all__ if hasattr(fob, n))
    for name in ("compute_similarity", "compute_visualization", "compute_uniqueness", "compute_mistakenness",
                 "compute_near_duplicates", "compute_exact_duplicates", "list_brain_runs", "get_brain_info",
                 "load_brain_results", "rename_brain_run", "delete_brain_run", "sort_by_similarity"):
        assert callable(getattr(fob, name)), name


def test_missing_extras_name_the_pip_command(vector_dataset, monkeypatch):
    monkeypatch.setitem(sys.modules, "umap", None)   # what `import umap` sees when umap-learn is not installed
    monkeypatch.setitem(sys.modules, "faiss", None)
    vectors = np.random.default_rng(0).standard_normal((1100, 8)).astype(np.float32)
    dataset = vector_dataset(vectors)
    with pytest.raises(MissingDependencyError, match=r"pip install umap-learn .*bakeoff\[brain\]"):
        fob.compute_visualization(dataset, embeddings=vectors, method="umap")
    with pytest.raises(MissingDependencyError, match=r"pip install faiss-cpu"):
        fob.compute_similarity(dataset, embeddings=vectors, backend="faiss")
    # the defaults need neither: exact search, and PCA on request
    assert fob.compute_similarity(dataset, embeddings=vectors).backend == "exact"
    assert fob.compute_visualization(dataset, embeddings=vectors, method="pca").points.shape == (1100, 2)
