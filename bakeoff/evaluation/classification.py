"""``evaluate_classifications``: per-sample correctness fields plus a results object.

Semantics follow FiftyOne (``fiftyone.utils.eval.classification``):

- ``simple``: the boolean field ``eval_key`` says whether the predicted label
  equals the ground truth; a sample with neither label is correct.
- ``top-k``: needs the class order of the logits (``classes=``, or the model
  run that wrote the field). Correct when the true label is among the ``k``
  highest logits; the results then record the true label as the prediction.
  A sample without logits, or without a ground-truth label, is not correct.
- ``binary``: ``classes=(negative, positive)``; the field holds "TP", "FP",
  "FN" or "TN", and a missing label counts as the negative class everywhere.

In the results, a missing label is the label ``missing`` (default ``"(none)"``;
the negative class for ``binary``). ``metrics()`` counts the samples whose truth
or prediction is one of the classes asked about (by default every class but
``missing``), as FiftyOne does. Results are recomputed from the stored fields
when loaded again, on the view the evaluation ran on.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypedDict, Unpack

import numpy as np
import numpy.typing as npt

from bakeoff.core.interface import (
    RunStore,
    field_writes,
    root_dataset,
    set_field_from_expression,
    stages,
    value_lists,
)
from bakeoff.errors import EvaluationError, FieldError, UnknownFieldError, suggest
from bakeoff.evaluation.metrics import (
    accuracy_over,
    bootstrap_accuracy_interval,
    calibration,
    confusion_counts,
    empty_report,
    precision_recall_fscore,
    support_over,
)
from bakeoff.evaluation.top_k import evaluate_top_k

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from bakeoff.core.collection import SampleCollection
    from bakeoff.core.dataset import Dataset
    from bakeoff.core.expressions import ViewExpression
    from bakeoff.core.view import DatasetView

logger = logging.getLogger(__name__)

RUN_TYPE = "evaluation"
METHODS = ("simple", "top-k", "binary")
DEFAULT_MISSING = "(none)"
OTHER_LABEL = "(other)"
#: the keys of FiftyOne's ``metrics()``; bakeoff's add balanced_accuracy, ece, top_<k>_accuracy, TP/FP/FN/TN
FIFTYONE_METRICS = ("accuracy", "precision", "recall", "fscore", "support")


class _Source(TypedDict, total=False):
    """Where results came from: the keyword arguments every results class takes."""

    ids: list[str] | None
    eval_key: str | None
    pred_field: str | None
    gt_field: str | None


class ClassificationResults:
    """Labels of an evaluation and the metrics computed from them.

    ``metrics()``, ``report()``, ``print_report()`` and ``confusion_matrix()``
    give FiftyOne's answers; ``metrics()`` adds ``balanced_accuracy``, ``ece``
    and, for top-k, ``top_<k>_accuracy``.

    Example::

        results = dataset.evaluate_classifications("clip", gt_field="ground_truth", eval_key="clip_eval")
        results.print_report()
        results.metrics()["accuracy"]
        results.confusion_matrix()
    """

    def __init__(self, ytrue: Sequence[str | None], ypred: Sequence[str | None],
                 confs: Sequence[float | None] | None = None, classes: Sequence[str] | None = None,
                 missing: str = DEFAULT_MISSING, ids: list[str] | None = None,
                 top_k_correct: npt.ArrayLike | None = None, k: int | None = None, eval_key: str | None = None,
                 pred_field: str | None = None, gt_field: str | None = None) -> None:
        missing = DEFAULT_MISSING if missing is None else missing
        #: labels as an object array of str: a missing label is ``missing``
        self.ytrue: npt.NDArray[np.object_] = np.array([missing if y is None else y for y in ytrue], dtype=object)
        self.ypred: npt.NDArray[np.object_] = np.array([missing if y is None else y for y in ypred], dtype=object)
        self.confs = np.array([np.nan if c is None else c for c in (confs or [])], dtype=np.float64)
        if classes is None:
            classes = sorted({*self.ytrue.tolist(), *self.ypred.tolist()} - {missing})
        self.classes = list(classes)
        self.missing = missing
        self.ids = list(ids or [])
        self.top_k_correct = None if top_k_correct is None else np.asarray(top_k_correct, dtype=np.bool_)
        self.k = k
        self.eval_key, self.pred_field, self.gt_field = eval_key, pred_field, gt_field

    @property
    def correct(self) -> npt.NDArray[np.bool_]:
        """Per sample, whether the evaluation counts it correct (the stored ``eval_key`` values)."""
        if self.top_k_correct is not None:
            return self.top_k_correct
        return np.equal(self.ytrue, self.ypred, dtype=np.bool_)

    def _parse_classes(self, classes: list[str] | None) -> list[str]:
        """The classes a metric looks at: those asked for, else every class but the missing label."""
        if classes is not None:
            return list(classes)
        return [c for c in self.classes if c != self.missing]

    # -- FiftyOne's metrics -------------------------------------------------------------------
    def report(self, classes: list[str] | None = None) -> dict[str, Any]:
        """Per class precision, recall, f1-score and support (scikit-learn's classification report)."""
        from sklearn.metrics import classification_report

        labels = self._parse_classes(classes)
        if not len(self.ytrue) or not labels:
            return empty_report(labels)
        report: dict[str, Any] = classification_report(self.ytrue.astype(str), self.ypred.astype(str),
                                                       labels=np.asarray(labels), output_dict=True, zero_division=0)
        return report

    def print_report(self, classes: list[str] | None = None, digits: int = 2) -> None:
        """Print the per-class report (the library's one print: the user asked for it)."""
        from sklearn.metrics import classification_report

        labels = self._parse_classes(classes)
        if not labels:
            print("No classes to analyze")
            return
        if not len(self.ytrue):
            print("No samples to analyze")
            return
        print(classification_report(self.ytrue.astype(str), self.ypred.astype(str), labels=np.asarray(labels),
                                    digits=digits, zero_division=0))

    def _pos_label(self) -> str | None:
        return None

    def metrics(self, classes: list[str] | None = None, average: str = "micro", beta: float = 1.0) -> dict[str, Any]:
        """accuracy, precision, recall, fscore and support over ``classes``; plus bakeoff's extras.

        ``accuracy`` counts the samples whose truth or prediction is in
        ``classes`` (default: every class but the missing label); ``support``
        the truths in ``classes``. The extras: ``balanced_accuracy``, ``ece``
        and, for top-k, ``top_<k>_accuracy`` over every sample.
        """
        labels = self._parse_classes(classes)
        precision, recall, fscore = precision_recall_fscore(self.ytrue, self.ypred, labels, average, beta,
                                                            self._pos_label())
        out: dict[str, Any] = {"accuracy": accuracy_over(self.ytrue, self.ypred, labels), "precision": precision,
                               "recall": recall, "fscore": fscore, "support": support_over(self.ytrue, labels)}
        out["balanced_accuracy"] = self.balanced_accuracy()
        if self.top_k_correct is not None:
            out[f"top_{self.k}_accuracy"] = float(np.mean(self.top_k_correct)) if len(self.top_k_correct) else 0.0
        out["ece"] = self.calibration()["ece"]
        return out

    def print_metrics(self, classes: list[str] | None = None, average: str = "micro", beta: float = 1.0,
                      digits: int = 2) -> None:
        """Print FiftyOne's five metrics (accuracy, precision, recall, fscore, support) as a two-column table."""
        from bakeoff.evaluation.metrics import metrics_table

        metrics = self.metrics(classes=classes, average=average, beta=beta)
        print(metrics_table({k: metrics[k] for k in FIFTYONE_METRICS}, digits))

    def confusion_matrix(self, classes: list[str] | None = None, include_other: bool = False,
                         include_missing: bool = False) -> npt.NDArray[np.int64]:
        """Rows are ground truth, columns predictions, over ``classes`` (default: the results' classes).

        ``include_other`` adds a row and column for labels outside ``classes``
        (only with ``classes``), ``include_missing`` one for the missing label
        when ``classes`` lacks it (last).
        """
        return self._confusion_matrix(classes, include_other, include_missing)[0]

    def _confusion_matrix(self, classes: list[str] | None, include_other: bool | None, include_missing: bool | None,
                          other_label: str | None = None) -> tuple[npt.NDArray[np.int64], list[str | None]]:
        """The matrix and its labels; ``None`` for include_* means "only if that row or column has counts".

        ``other_label=None`` (``confusion_matrix()``'s) gathers the other labels under ``None``, a label no class has.
        """
        labels: list[str | None] = list(self.classes if classes is None else classes)
        if classes is None:
            include_other = False
        added_other = include_other is not False and other_label not in labels
        if added_other:
            labels.append(other_label)
        added_missing = include_missing is not False and self.missing not in labels
        if added_missing:
            labels.append(self.missing)
        ytrue: list[str | None] = self.ytrue.tolist()
        ypred: list[str | None] = self.ypred.tolist()
        if include_other is not False:
            known = {*labels, self.missing}
            ytrue = [y if y in known else other_label for y in ytrue]
            ypred = [y if y in known else other_label for y in ypred]
        matrix = confusion_counts(ytrue, ypred, labels)
        if added_other:  # "other" against "other" (or against missing) says nothing
            i = labels.index(other_label)
            matrix[i, i] = 0
            if added_missing:
                j = labels.index(self.missing)
                matrix[i, j] = matrix[j, i] = 0
        drop = [labels.index(label) for label, flag in ((other_label, include_other), (self.missing, include_missing))
                if flag is None and not matrix[:, labels.index(label)].any() and not matrix[labels.index(label)].any()]
        if drop:
            matrix = np.delete(np.delete(matrix, drop, axis=0), drop, axis=1)
            labels = [label for i, label in enumerate(labels) if i not in drop]
        return matrix, labels

    # -- bakeoff's extras ---------------------------------------------------------------------
    def balanced_accuracy(self) -> float:
        """Mean per-class recall over the ground-truth classes present (as CLIP_benchmark reports)."""
        index = {c: i for i, c in enumerate(self.classes)}
        truth = np.fromiter((index.get(t, -1) for t in self.ytrue), dtype=np.int64, count=len(self.ytrue))
        known = truth >= 0
        support = np.bincount(truth[known], minlength=len(index))
        hits = np.bincount(truth[known & self.correct], minlength=len(index))
        present = support > 0
        return float(np.mean(hits[present] / support[present])) if present.any() else 0.0

    def accuracy_interval(self, level: float = 0.95, resamples: int = 2000, seed: int | None = 0) -> tuple[float, float]:
        """Percentile-bootstrap interval of the share of samples counted correct."""
        return bootstrap_accuracy_interval(self.correct, level, resamples, seed)

    def calibration(self, bins: int = 15) -> dict[str, Any]:
        """Expected calibration error and reliability-diagram bins of the top-1 confidences."""
        if not len(self.confs):
            return {"ece": None, "bins": [], "num_samples": 0}
        return calibration(self.confs, self.correct, bins)

    def plot_confusion_matrix(self, classes: list[str] | None = None, include_other: bool | None = None,
                              include_missing: bool | None = None, other_label: str = OTHER_LABEL,
                              ax: Axes | None = None) -> Figure:
        """A matplotlib heatmap of the confusion matrix; returns the figure.

        ``include_other``/``include_missing`` of ``None`` add that row and
        column only when it has counts.
        """
        from bakeoff.evaluation.plots import confusion_matrix_figure

        matrix, labels = self._confusion_matrix(classes, include_other, include_missing, other_label)
        return confusion_matrix_figure(matrix, labels, ax=ax)

    def save_report(self, path: str) -> str:
        """Write a self-contained HTML report of this evaluation; returns the path."""
        from bakeoff.evaluation.report import write_results_report

        return write_results_report(self, path)

    def __repr__(self) -> str:
        return (f"<{type(self).__name__}: {self.pred_field!r} vs {self.gt_field!r}, {len(self.ytrue)} samples, "
                f"{len(self.classes)} classes>")


class BinaryClassificationResults(ClassificationResults):
    """Results of ``method="binary"``: a missing label is the negative class; metrics are of the positive one.

    ``metrics()`` adds the TP/FP/FN/TN counts; ``scores`` holds each sample's
    confidence in the positive class (``1 - confidence`` for a negative
    prediction, 0 without a confidence) for :meth:`average_precision`.
    """

    def __init__(self, ytrue: Sequence[str | None], ypred: Sequence[str | None],
                 confs: Sequence[float | None] | None = None, classes: Sequence[str] | None = None, *,
                 pos_label: str, neg_label: str, **source: Unpack[_Source]) -> None:
        super().__init__(ytrue, ypred, confs, classes, missing=neg_label, **source)
        self.pos_label, self.neg_label = pos_label, neg_label
        known = np.nan_to_num(self.confs, nan=0.0) if len(self.confs) else np.zeros(len(self.ypred))
        self.scores = np.where(self.ypred == pos_label, known, 1.0 - known)

    def _parse_classes(self, classes: list[str] | None) -> list[str]:
        return list(self.classes if classes is None else classes)

    def _pos_label(self) -> str | None:
        return self.pos_label

    def outcome_counts(self) -> dict[str, int]:
        pos_true, pos_pred = self.ytrue == self.pos_label, self.ypred == self.pos_label
        return {"TP": int((pos_true & pos_pred).sum()), "FP": int((~pos_true & pos_pred).sum()),
                "FN": int((pos_true & ~pos_pred).sum()), "TN": int((~pos_true & ~pos_pred).sum())}

    def metrics(self, classes: list[str] | None = None, average: str = "binary", beta: float = 1.0) -> dict[str, Any]:
        """As :meth:`ClassificationResults.metrics`, of the positive class by default; plus TP/FP/FN/TN."""
        try:
            out = super().metrics(classes, average, beta)
        except ValueError as error:  # scikit-learn: labels other than (negative, positive) with average="binary"
            others = sorted({*self.ytrue.tolist(), *self.ypred.tolist()} - {self.neg_label, self.pos_label})
            raise EvaluationError(f"{error} Labels other than {self.neg_label!r} and {self.pos_label!r}: "
                                  f"{others[:5]}; pass average='micro' or 'macro'") from None
        out.update(self.outcome_counts())
        return out

    def average_precision(self, average: str = "micro") -> float:
        """Average precision of :attr:`scores` for the positive class (scikit-learn's)."""
        from sklearn.metrics import average_precision_score

        return float(average_precision_score(self.ytrue.astype(str), self.scores, pos_label=self.pos_label,
                                             average=average))


# -- running an evaluation --------------------------------------------------------------------


def _check_label_field(collection: SampleCollection, path: str, role: str) -> None:
    from bakeoff.core.fields import EmbeddedDocumentField
    from bakeoff.core.labels import Classification

    schema = collection.get_field_schema()
    field = schema.get(path)
    if field is None:
        options = [n for n, f in schema.items()
                   if isinstance(f, EmbeddedDocumentField) and issubclass(f.document_type, Classification)]
        raise UnknownFieldError(f"no {role} field {path!r}.{suggest(path, options)} Classification fields: {options}")
    if not (isinstance(field, EmbeddedDocumentField) and issubclass(field.document_type, Classification)):
        raise FieldError(f"{role} field {path!r} is a {field!r}, not a Classification field")


def _model_run_classes(collection: SampleCollection, pred_field: str) -> list[str] | None:
    run = RunStore(collection, "model").load(pred_field)  # what apply_model recorded
    classes: list[str] | None = None if run is None else (run["config"] or {}).get("classes")
    return classes


def evaluate_classifications(collection: SampleCollection, pred_field: str, gt_field: str = "ground_truth",
                             eval_key: str | None = None, classes: list[str] | None = None,
                             missing: str | None = None, method: str | None = "simple", k: int = 5,
                             progress: bool | None = None) -> ClassificationResults:
    """Evaluate ``pred_field`` against ``gt_field``; with ``eval_key``, store per-sample results and the run.

    Example::

        results = dataset.evaluate_classifications("clip", gt_field="ground_truth", eval_key="clip_eval")
        dataset.count_values("clip_eval")          # {False: 197, True: 803}
    """
    from bakeoff.storage.identifiers import check_field_name

    method = "simple" if method is None else method  # FiftyOne's default backend
    if method not in METHODS:
        raise EvaluationError(f"unknown method {method!r}; use one of {METHODS}")
    binary = _binary_classes(classes) if method == "binary" else None
    _check_label_field(collection, pred_field, "prediction")
    _check_label_field(collection, gt_field, "ground truth")
    if eval_key is not None:
        check_field_name(eval_key)
        if eval_key in (pred_field, gt_field):
            raise FieldError(f"eval_key {eval_key!r} would overwrite a label field; pick another key")
    missing = DEFAULT_MISSING if missing is None else missing

    ids, gts, preds, confs = value_lists(
        collection, ["id", f"{gt_field}.label", f"{pred_field}.label", f"{pred_field}.confidence"])
    fields: _Source = {"ids": ids, "eval_key": eval_key, "pred_field": pred_field, "gt_field": gt_field}
    if binary is not None:
        neg, pos = binary
        values: list[Any] = [("T" if (t == pos) == (p == pos) else "F") + ("P" if p == pos else "N")
                             for t, p in zip(gts, preds, strict=True)]
        results: ClassificationResults = BinaryClassificationResults(
            gts, preds, confs, classes=[neg, pos], pos_label=pos, neg_label=neg, **fields)
    elif method == "top-k":
        order = classes if classes is not None else _model_run_classes(collection, pred_field)
        if order is None:
            raise EvaluationError(f"method='top-k' needs the class order of {pred_field!r}'s logits: "
                                  "pass classes=[...]")
        ypred, confs, values = evaluate_top_k(gts, preds, collection.values(f"{pred_field}.logits"), list(order), k)
        results = ClassificationResults(gts, ypred, confs, classes=list(order), missing=missing,
                                        top_k_correct=np.array(values, dtype=bool), k=k, **fields)
    else:
        # by default the labels seen, before missing ones become ``missing`` (which may be a real class)
        seen = sorted({label for label in (*gts, *preds) if label is not None}) if classes is None else classes
        values = []  # computed by the database in ``_store``
        results = ClassificationResults(gts, preds, confs, classes=list(seen), missing=missing, **fields)
    if eval_key is not None:
        _store(collection, eval_key, ids, values, method, pred_field, gt_field, classes, missing, k)
    return results


def _binary_classes(classes: list[str] | None) -> tuple[str, str]:
    if classes is None or len(classes) != 2:
        raise EvaluationError(f"method='binary' needs classes=(negative, positive), got {classes!r}")
    return classes[0], classes[1]


def _simple_expression(pred_field: str, gt_field: str) -> ViewExpression:
    """``simple`` correctness as an expression: null-safe equality, so missing == missing."""
    from bakeoff.core.expressions import ViewField as F

    return F(f"{pred_field}.label") == F(f"{gt_field}.label")


def _store(collection: SampleCollection, eval_key: str, ids: list[str], values: Sequence[bool | str], method: str,
           pred_field: str, gt_field: str, classes: list[str] | None, missing: str, k: int) -> None:
    from bakeoff.core.fields import BooleanField, StringField
    from bakeoff.core.transactions import transaction

    root = root_dataset(collection)
    ftype = StringField if method == "binary" else BooleanField
    runs = RunStore(collection, RUN_TYPE)
    config: dict[str, Any] = {"method": method, "pred_field": pred_field, "gt_field": gt_field, "classes": classes,
              "missing": missing, "k": k, "eval_fields": [eval_key],
              "view": [s.to_dict() for s in stages(collection)]}
    # one transaction: other processes see the old evaluation or the new one, and a killed process leaves the old
    with transaction():
        if root.has_field(eval_key):
            existing = runs.load(eval_key)
            if existing is None:
                raise FieldError(f"field {eval_key!r} exists and is not an evaluation; pick another eval_key")
            root.delete_sample_field(eval_key)  # re-running an evaluation replaces it
        root.add_sample_field(eval_key, ftype)
        if method == "simple":
            # computed where the data is: one UPDATE statement, no rows sent back and forth; compares the
            # labels themselves, so ``missing`` never makes a missing prediction equal a real label
            set_field_from_expression(collection, eval_key, _simple_expression(pred_field, gt_field))
        elif ids:
            collection.set_values(eval_key, dict(zip(ids, values, strict=True)))
        # what the fields were when evaluated: a later write to either shows the evaluation stale
        config["field_writes"] = field_writes(root, [pred_field, gt_field])
        runs.save(eval_key, config)


# -- managing runs ----------------------------------------------------------------------------


def list_evaluations(dataset: Dataset) -> list[str]:
    return RunStore(dataset, RUN_TYPE).keys()


def get_evaluation_info(dataset: Dataset, eval_key: str) -> dict[str, Any]:
    """``key``, ``config``, ``timestamp``, and ``stale``: why the evaluation no longer describes the
    fields (a list of reasons; empty while its prediction and ground-truth fields are unchanged)."""
    run = RunStore(dataset, RUN_TYPE).load(eval_key)
    if run is None:
        keys = list_evaluations(dataset)
        raise EvaluationError(f"no evaluation {eval_key!r} on dataset {dataset.name!r}.{suggest(eval_key, keys)} "
                              f"Evaluations: {keys}")
    config = run["config"]
    return {"key": eval_key, "config": config, "timestamp": run["updated_at"], "stale": _stale(dataset, config)}


def _stale(dataset: Dataset, config: dict[str, Any]) -> list[str]:
    recorded = config.get("field_writes")
    if not recorded:  # recorded before bakeoff counted writes: unknown, not claimed stale
        return []
    now = field_writes(dataset, list(recorded))
    reasons = []
    for path, writes in recorded.items():
        if path not in now:
            reasons.append(f"field {path!r} was deleted or renamed")
        elif now[path] != writes:
            reasons.append(f"field {path!r} changed after the evaluation ran")
    return reasons


def stale_evaluations(dataset: Dataset) -> dict[str, list[str]]:
    """``{eval_key: reasons}`` of the evaluations whose fields changed after they ran."""
    out = {}
    for key in list_evaluations(dataset):
        reasons = get_evaluation_info(dataset, key)["stale"]
        if reasons:
            out[key] = reasons
    return out


def load_evaluation_view(dataset: Dataset, eval_key: str) -> DatasetView:
    from bakeoff.core.stages import ViewStage
    from bakeoff.core.view import DatasetView

    config = get_evaluation_info(dataset, eval_key)["config"]
    return DatasetView(dataset, [ViewStage.from_dict(s) for s in config.get("view", [])])


def load_evaluation_results(dataset: Dataset, eval_key: str) -> ClassificationResults:
    """Recompute the results of a stored evaluation from its fields, on the view it ran on."""
    info = get_evaluation_info(dataset, eval_key)
    config = info["config"]
    if info["stale"]:
        logger.warning("evaluation %r is stale (%s): these results describe the fields as they are now, not as "
                       "evaluated; run evaluate_classifications(%r, eval_key=%r) again to refresh the stored %r field",
                       eval_key, "; ".join(info["stale"]), config["pred_field"], eval_key, eval_key)
    view = load_evaluation_view(dataset, eval_key)
    with warnings.catch_warnings():  # warned about (samples without logits) when the evaluation ran
        warnings.simplefilter("ignore")
        return evaluate_classifications(view, config["pred_field"], config["gt_field"], eval_key=None,
                                        classes=config["classes"], missing=config["missing"],
                                        method=config["method"], k=config["k"])


def rename_evaluation(dataset: Dataset, eval_key: str, new_eval_key: str) -> None:
    config = get_evaluation_info(dataset, eval_key)["config"]
    runs = RunStore(dataset, RUN_TYPE)
    if runs.load(new_eval_key) is not None or dataset.has_field(new_eval_key):
        raise FieldError(f"cannot rename evaluation {eval_key!r} to {new_eval_key!r}: that name is taken")
    dataset.rename_sample_field(eval_key, new_eval_key)
    config["eval_fields"] = [new_eval_key]
    runs.rename(eval_key, new_eval_key)
    runs.save(new_eval_key, config)


def delete_evaluation(dataset: Dataset, eval_key: str) -> None:
    config = get_evaluation_info(dataset, eval_key)["config"]
    for field in config.get("eval_fields", [eval_key]):
        if dataset.has_field(field):
            dataset.delete_sample_field(field)
    RunStore(dataset, RUN_TYPE).delete(eval_key)


def delete_evaluations(dataset: Dataset) -> None:
    for key in list_evaluations(dataset):
        delete_evaluation(dataset, key)
