"""Matplotlib figures for evaluation results and comparisons (imported on first use)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from bakeoff.errors import MissingDependencyError

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


def _require_matplotlib() -> None:
    """Select the non-interactive backend (unless one is already chosen), or say how to install matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg", force=False)
    except ImportError:
        raise MissingDependencyError("plots need matplotlib: pip install 'bakeoff[report]' (or pip install matplotlib)") from None


def _figure_and_axes(ax: Axes | None, figsize: tuple[float, float]) -> tuple[Figure, Axes]:
    """``ax`` and the figure it is drawn in (the whole figure, when ``ax`` is in a subfigure), or new ones."""
    _require_matplotlib()
    import matplotlib.pyplot as plt

    if ax is not None:
        return ax.figure.figure, ax  # a SubFigure's .figure is the figure that holds it; a Figure's is itself
    fig = plt.figure(figsize=figsize)
    return fig, fig.add_subplot()


def _text(value: object) -> str:
    """A class or model name shown as written: matplotlib reads text between two ``$`` as math."""
    return str(value).replace("$", r"\$")


def confusion_matrix_figure(matrix: npt.NDArray[np.integer[Any]], labels: Sequence[str | None], ax: Axes | None = None,
                            title: str = "") -> Figure:
    """Heatmap of counts, rows ground truth and columns predictions (a ``None`` label is shown as ``None``)."""
    names = [_text(label) for label in labels]
    size = min(14, 2 + 0.35 * len(names))
    fig, ax = _figure_and_axes(ax, (size + 1, size))
    image = ax.imshow(matrix, cmap="viridis", interpolation="nearest")
    ax.set_xticks(range(len(names)), labels=names, rotation=90, fontsize=7)
    ax.set_yticks(range(len(names)), labels=names, fontsize=7)
    ax.set_xlabel("predicted")
    ax.set_ylabel("ground truth")
    if title:
        ax.set_title(_text(title))
    if len(names) <= 25:
        for (i, j), value in np.ndenumerate(matrix):
            if value:
                ax.text(j, i, str(value), ha="center", va="center", fontsize=7, color="white")
    fig.colorbar(image, ax=ax, fraction=0.046)
    fig.tight_layout()
    return fig


def reliability_figure(curves: Mapping[str, Mapping[str, Any]], ax: Axes | None = None) -> Figure:
    """Reliability diagram: accuracy vs confidence per bin, one line per model (``curves``: :func:`calibration`'s)."""
    fig, ax = _figure_and_axes(ax, (5, 5))
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


def accuracy_figure(rows: Sequence[Mapping[str, Any]], ax: Axes | None = None, level: float = 0.95) -> Figure:
    """Accuracy per model with its bootstrap interval (at ``level``) as error bars (``rows``: ``Comparison.table``)."""
    fig, ax = _figure_and_axes(ax, (max(4, 1 + 0.8 * len(rows)), 4))
    names = [_text(r["model"]) for r in rows]
    acc = np.array([r["accuracy"] for r in rows])
    lo = np.array([r["accuracy_ci"][0] for r in rows])
    hi = np.array([r["accuracy_ci"][1] for r in rows])
    ax.bar(names, acc * 100, color="#4c72b0")
    ax.errorbar(names, acc * 100, yerr=[(acc - lo) * 100, (hi - acc) * 100], fmt="none", color="black", capsize=4)
    ax.set_ylabel(f"accuracy (%), {level * 100:g}% bootstrap interval")
    ax.set_ylim(0, 100)
    ax.tick_params(axis="x", rotation=30)
    fig.tight_layout()
    return fig


def figure_to_png(fig: Figure) -> bytes:
    import io

    _require_matplotlib()
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    plt.close(fig)
    return buffer.getvalue()
