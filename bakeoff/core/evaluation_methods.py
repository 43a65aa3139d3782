"""FiftyOne's evaluation methods on datasets and views.

A thin facade: the work happens in :mod:`bakeoff.evaluation`, imported on
first use (it needs scikit-learn), so core stays free of it.
"""

from __future__ import annotations

from typing import Any


class EvaluationMethods:
    def evaluate_classifications(self, pred_field: str, gt_field: str = "ground_truth", eval_key: str | None = None,
                                 classes: list[str] | None = None, missing: str | None = None,
                                 method: str | None = None, progress: bool | None = None, k: int = 5):
        """Evaluate a Classification field against the ground truth (see :mod:`bakeoff.evaluation.classification`).

        ``method`` is ``"simple"`` (default), ``"top-k"`` (with ``k`` and the
        class order of the logits in ``classes``) or ``"binary"`` (with
        ``classes=(negative, positive)``), as in FiftyOne.

        Example::

            results = dataset.evaluate_classifications("clip", gt_field="ground_truth", eval_key="clip_eval")
            dataset.count_values("clip_eval")    # {False: 197, True: 803}
            results.print_report()
        """
        from bakeoff.evaluation import classification

        return classification.evaluate_classifications(
            self, pred_field, gt_field, eval_key=eval_key, classes=classes, missing=missing,
            method=method, k=k, progress=progress)

    def list_evaluations(self) -> list[str]:
        from bakeoff.evaluation import classification

        return classification.list_evaluations(self._root())

    def get_evaluation_info(self, eval_key: str) -> dict[str, Any]:
        from bakeoff.evaluation import classification

        return classification.get_evaluation_info(self._root(), eval_key)

    def stale_evaluations(self) -> dict[str, list[str]]:
        """``{eval_key: reasons}`` of the evaluations whose prediction or ground-truth field changed after
        they ran (their stored right/wrong field no longer describes the labels): evaluate them again."""
        from bakeoff.evaluation import classification

        return classification.stale_evaluations(self._root())

    def load_evaluation_results(self, eval_key: str):
        from bakeoff.evaluation import classification

        return classification.load_evaluation_results(self._root(), eval_key)

    def load_evaluation_view(self, eval_key: str):
        from bakeoff.evaluation import classification

        return classification.load_evaluation_view(self._root(), eval_key)

    def rename_evaluation(self, eval_key: str, new_eval_key: str) -> None:
        from bakeoff.evaluation import classification

        classification.rename_evaluation(self._root(), eval_key, new_eval_key)

    def delete_evaluation(self, eval_key: str) -> None:
        from bakeoff.evaluation import classification

        classification.delete_evaluation(self._root(), eval_key)

    def delete_evaluations(self) -> None:
        from bakeoff.evaluation import classification

        classification.delete_evaluations(self._root())
