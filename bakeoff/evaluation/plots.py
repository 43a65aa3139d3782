"""Matplotlib figures for evaluation results and comparisons (imported on first use)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from bakeoff.errors import MissingDependencyError


def _pyplot():
    try:
        import matplotlib

        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt
    except ImportError:
        raise MissingDependencyError("plots need matplotlib: pip install 'bakeoff[report]' (or pip install matplotlib)") from None
    return plt


def _text(value: object) -> str:
    """A class or model name shown as written: matplotlib reads text between two ``$`` as math."""
    return str(value).replace("$", r"\$")


def confusion_matrix_figure(matrix: np.ndarray, labels: Sequence[str], ax=None, title: str = ""):
    plt = _pyplot()
    labels = [_text(label) for label in labels]
    size = min(14, 2 + 0.35 * len(labels))
    fig = ax.figure if ax is not None else plt.figure(figsize=(size + 1, size))
    ax = ax if ax is not None else fig.add_subplot()
    image = ax.imshow(matrix, cmap="viridis", interpolation="nearest")
    ax.set_xticks(range(len(labels)), labels=labels, rotation=90, fontsize=7)
    ax.set_yticks(range(len(labels)), labels=labels, fontsize=7)
    ax.set_xlabel("predicted")
    ax.set_ylabel("ground truth")
    if title:
        ax.set_title(_text(title))
    if len(labels) <= 25:
        for (i, j), value in np.ndenumerate(matrix):
            if value:
                ax.text(j, i, str(value), ha="center", va="center", fontsize=7, color="white")
    fig.colorbar(image, ax=ax, fraction=0.046)
    fig.tight_layout()
    return fig


def reliability_figure(curves: dict[str, dict], ax=None):
    """Reliability diagram: accuracy vs confidence per bin, one line per model."""
    plt = _pyplot()
    fig = ax.figure if ax is not None else plt.figure(figsize=(5, 5))
    ax = ax if ax is not None else fig.add_subplot()
    ax.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1, label="perfect calibration")
    for name, cal in curves.items():
        points = [(b["confidence"], b["accuracy"]) for b in cal["bins"] if b["count"]]
        if points:
            xs, ys = zip(*points, strict=True)
            ece = cal["ece"]
            name = _text(name)
            ax.plot(xs, ys, marker="o", markersize=3, label=f"{name} (ECE {ece:.3f})" if ece is not None else name)
    ax.set_xlabel("confidence")
    ax.set_ylabel("accuracy")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def accuracy_figure(rows: Sequence[dict], ax=None):
    """Accuracy per model with its bootstrap interval as error bars."""
    plt = _pyplot()
    fig = ax.figure if ax is not None else plt.figure(figsize=(max(4, 1 + 0.8 * len(rows)), 4))
    ax = ax if ax is not None else fig.add_subplot()
    names = [_text(r["model"]) for r in rows]
    acc = np.array([r["accuracy"] for r in rows])
    lo = np.array([r["accuracy_ci"][0] for r in rows])
    hi = np.array([r["accuracy_ci"][1] for r in rows])
    ax.bar(names, acc * 100, color="#4c72b0")
    ax.errorbar(names, acc * 100, yerr=[(acc - lo) * 100, (hi - acc) * 100], fmt="none", color="black", capsize=4)
    ax.set_ylabel("accuracy (%), 95% bootstrap interval")
    ax.set_ylim(0, 100)
    ax.tick_params(axis="x", rotation=30)
    fig.tight_layout()
    return fig


def figure_to_png(fig) -> bytes:
    import io

    plt = _pyplot()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    plt.close(fig)
    return buffer.getvalue()
