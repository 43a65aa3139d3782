"""Matplotlib figures: drawn where the caller asks, and labelled with what was computed."""

from __future__ import annotations

import pytest

from bakeoff.evaluation.classification import ClassificationResults
from bakeoff.evaluation.plots import accuracy_figure, figure_to_png

plt = pytest.importorskip("matplotlib.pyplot")


def _results() -> ClassificationResults:
    return ClassificationResults(["cat", "dog", "dog", None], ["cat", "cat", "dog", "dog"], [0.9, 0.6, 0.8, 0.5])


def test_plot_confusion_matrix_draws_in_an_axes_of_a_subfigure_and_returns_the_whole_figure():
    figure = plt.figure()
    left, _ = figure.subfigures(1, 2)
    ax = left.add_subplot()
    returned = _results().plot_confusion_matrix(ax=ax)  # a SubFigure has no tight_layout: this raised AttributeError
    assert returned is figure
    assert [t.get_text() for t in ax.get_xticklabels()] == ["cat", "dog", "(none)"]  # missing shown: it has counts
    assert figure_to_png(returned).startswith(b"\x89PNG")


def test_plot_confusion_matrix_makes_a_figure_without_an_axes():
    figure = _results().plot_confusion_matrix(include_missing=False)
    assert [t.get_text() for t in figure.axes[0].get_yticklabels()] == ["cat", "dog"]
    plt.close(figure)


@pytest.mark.parametrize(("level", "shown"), [(0.95, "95%"), (0.9, "90%"), (0.995, "99.5%")])
def test_the_accuracy_chart_names_the_interval_level_it_was_computed_at(level, shown):
    rows = [{"model": "clip", "accuracy": 0.8, "accuracy_ci": (0.7, 0.9)}]
    figure = accuracy_figure(rows, level=level)
    assert figure.axes[0].get_ylabel() == f"accuracy (%), {shown} bootstrap interval"
    plt.close(figure)
