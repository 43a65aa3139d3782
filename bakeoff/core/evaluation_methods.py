"""FiftyOne's evaluation methods on datasets and views.

Thin doors: the work happens in :mod:`bakeoff.evaluation`, which core never imports;
:func:`~bakeoff.core.operations.require` finds it (``import bakeoff`` provided it; it loads,
with scikit-learn, on first use).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from bakeoff.core.operations import EVALUATION, require

if TYPE_CHECKING:  # types only: core never imports the layers above at run time
    from bakeoff.core.collection import SampleCollection
    from bakeoff.core.dataset import Dataset
    from bakeoff.core.view import DatasetView
    from bakeoff.evaluation.classification import ClassificationResults


class EvaluationMethods:
    """Mixed into :class:`~bakeoff.core.collection.SampleCollection`."""

    if TYPE_CHECKING:
        def _root(self) -> Dataset: ...  # SampleCollection's

    def evaluate_classifications(self, pred_field: str, gt_field: str = "ground_truth", eval_key: str | None = None,
                                 classes: list[str] | None = None, missing: str | None = None,
                                 method: str | None = None, progress: bool | None = None,
                                 k: int = 5) -> ClassificationResults:
        """Evaluate a Classification field against the ground truth (see :mod:`bakeoff.evaluation.classification`).

        ``method`` is ``"simple"`` (default), ``"top-k"`` (with ``k`` and the
        class order of the logits in ``classes``) or ``"binary"`` (with
        ``classes=(negative, positive)``), as in FiftyOne.

        Example::

            results = dataset.evaluate_classifications("clip", gt_field="ground_truth", eval_key="clip_eval")
            dataset.count_values("clip_eval")    # {False: 197, True: 803}
            results.print_report()
        """
        return require(EVALUATION).evaluate_classifications(
            cast("SampleCollection", self), pred_field, gt_field, eval_key=eval_key, classes=classes, missing=missing,
            method=method, k=k, progress=progress)

    def list_evaluations(self) -> list[str]:
        return require(EVALUATION).list_evaluations(self._root())

    def get_evaluation_info(self, eval_key: str) -> dict[str, Any]:
        return require(EVALUATION).get_evaluation_info(self._root(), eval_key)

    def stale_evaluations(self) -> dict[str, list[str]]:
        """``{eval_key: reasons}`` of the evaluations whose prediction or ground-truth field changed after
        they ran (their stored right/wrong field no longer describes the labels): evaluate them again."""
        return require(EVALUATION).stale_evaluations(self._root())

    def load_evaluation_results(self, eval_key: str) -> ClassificationResults:
        return require(EVALUATION).load_evaluation_results(self._root(), eval_key)

    def load_evaluation_view(self, eval_key: str) -> DatasetView:
        return require(EVALUATION).load_evaluation_view(self._root(), eval_key)

    def rename_evaluation(self, eval_key: str, new_eval_key: str) -> None:
        require(EVALUATION).rename_evaluation(self._root(), eval_key, new_eval_key)

    def delete_evaluation(self, eval_key: str) -> None:
        require(EVALUATION).delete_evaluation(self._root(), eval_key)

    def delete_evaluations(self) -> None:
        require(EVALUATION).delete_evaluations(self._root())
