"""``evaluate_classifications``: per-sample correctness fields plus a results object.

Semantics follow FiftyOne:

- ``simple``: the boolean field ``eval_key`` says whether the predicted label
  equals the ground truth, a missing label counting as the label ``missing``
  (default ``"(none)"``) — so a sample with neither is correct.
- ``top-k``: correct when the true label is among the ``k`` classes with the
  highest logits (class order from ``classes=`` or the model run that wrote the
  field); a prediction without logits warns and counts as its top-1.
- ``binary``: ``classes=(negative, positive)``; the field holds "TP", "FP",
  "FN" or "TN" (anything but the positive label counts as negative).

Results are recomputed from the stored fields when loaded again, on the view
the evaluation ran on.
"""

from __future__ import annotations

import logging
import warnings
from typing import TYPE_CHECKING, Any

import numpy as np

from bakeoff.errors import BakeoffError, FieldError, UnknownFieldError, suggest
from bakeoff.evaluation.metrics import bootstrap_accuracy_interval, calibration

if TYPE_CHECKING:
    from bakeoff.core.collection import SampleCollection

logger = logging.getLogger(__name__)

RUN_TYPE = "evaluation"
METHODS = ("simple", "top-k", "binary")
DEFAULT_MISSING = "(none)"


class ClassificationResults:
    """Labels of an evaluation and the metrics computed from them.

    Example::

        results = dataset.evaluate_classifications("clip", gt_field="ground_truth", eval_key="clip_eval")
        results.print_report()
        results.metrics()["accuracy"]
        results.confusion_matrix()
    """

    def __init__(self, ytrue: list[str], ypred: list[str], confs: list[float | None] | None = None,
                 classes: list[str] | None = None, missing: str = DEFAULT_MISSING, ids: list[str] | None = None,
                 top_k_correct: np.ndarray | None = None, k: int | None = None, eval_key: str | None = None,
                 pred_field: str | None = None, gt_field: str | None = None) -> None:
        self.ytrue = np.asarray(ytrue, dtype=object)
        self.ypred = np.asarray(ypred, dtype=object)
        self.confs = np.array([np.nan if c is None else c for c in (confs or [])], dtype=float)
        if classes is None:
            classes = sorted({*self.ytrue.tolist(), *self.ypred.tolist()} - {missing})
        self.classes = list(classes)
        self.missing = missing
        self.ids = list(ids or [])
        self.top_k_correct = top_k_correct
        self.k = k
        self.eval_key, self.pred_field, self.gt_field = eval_key, pred_field, gt_field

    # -- metrics --------------------------------------------------------------------------
    @property
    def correct(self) -> np.ndarray:
        return self.ytrue == self.ypred

    def _labels(self, classes: list[str] | None, include_missing: bool = False) -> list[str]:
        labels = list(self.classes if classes is None else classes)
        if include_missing and self.missing not in labels:
            labels.append(self.missing)
        return labels

    def report(self, classes: list[str] | None = None) -> dict[str, dict[str, float]]:
        """Per class precision, recall, f1-score and support (scikit-learn's classification report)."""
        from sklearn.metrics import classification_report

        labels = self._labels(classes)
        if not labels or not len(self.ytrue):
            return {}
        return classification_report(self.ytrue.astype(str), self.ypred.astype(str), labels=labels,
                                     output_dict=True, zero_division=0)

    def print_report(self, classes: list[str] | None = None, digits: int = 2) -> None:
        """Print the per-class report (the library's one print: the user asked for it)."""
        from sklearn.metrics import classification_report

        labels = self._labels(classes)
        if not labels or not len(self.ytrue):
            print("no samples or classes to report")
            return
        print(classification_report(self.ytrue.astype(str), self.ypred.astype(str), labels=labels,
                                    digits=digits, zero_division=0))

    def metrics(self, classes: list[str] | None = None, average: str = "micro", beta: float = 1.0) -> dict[str, Any]:
        """accuracy, precision, recall, fscore, support; plus balanced accuracy, top-k and calibration error."""
        from sklearn.metrics import precision_recall_fscore_support

        labels = self._labels(classes)
        n = len(self.ytrue)
        out: dict[str, Any] = {"accuracy": float(self.correct.mean()) if n else 0.0}
        if labels and n:
            p, r, f, _ = precision_recall_fscore_support(self.ytrue.astype(str), self.ypred.astype(str),
                                                         labels=labels, average=average, beta=beta, zero_division=0)
            out.update(precision=float(p), recall=float(r), fscore=float(f))
        else:
            out.update(precision=0.0, recall=0.0, fscore=0.0)
        out["support"] = int(np.isin(self.ytrue, labels).sum()) if labels else 0
        out["balanced_accuracy"] = self.balanced_accuracy()
        if self.top_k_correct is not None:
            out[f"top_{self.k}_accuracy"] = float(np.mean(self.top_k_correct)) if n else 0.0
        out["ece"] = self.calibration()["ece"]
        return out

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
        """Percentile-bootstrap interval of the accuracy."""
        return bootstrap_accuracy_interval(self.correct, level, resamples, seed)

    def calibration(self, bins: int = 15) -> dict[str, Any]:
        """Expected calibration error and reliability-diagram bins of the top-1 confidences."""
        if not len(self.confs):
            return {"ece": None, "bins": [], "num_samples": 0}
        return calibration(self.confs, self.correct, bins)

    def confusion_matrix(self, classes: list[str] | None = None, include_missing: bool = False) -> np.ndarray:
        """Rows are ground truth, columns predictions, over ``classes`` (plus the missing label if asked)."""
        from sklearn.metrics import confusion_matrix

        labels = self._labels(classes, include_missing)
        if not labels:
            return np.zeros((0, 0), dtype=int)
        if not len(self.ytrue):
            return np.zeros((len(labels), len(labels)), dtype=int)
        return confusion_matrix(self.ytrue.astype(str), self.ypred.astype(str), labels=labels)

    def plot_confusion_matrix(self, classes: list[str] | None = None, include_missing: bool = False, ax=None):
        """A matplotlib heatmap of :meth:`confusion_matrix`; returns the figure."""
        from bakeoff.evaluation.plots import confusion_matrix_figure

        labels = self._labels(classes, include_missing)
        return confusion_matrix_figure(self.confusion_matrix(classes, include_missing), labels, ax=ax)

    def save_report(self, path: str) -> str:
        """Write a self-contained HTML report of this evaluation; returns the path."""
        from bakeoff.evaluation.report import write_results_report

        return write_results_report(self, path)

    def __repr__(self) -> str:
        return (f"<{type(self).__name__}: {self.pred_field!r} vs {self.gt_field!r}, {len(self.ytrue)} samples, "
                f"{len(self.classes)} classes>")


class BinaryClassificationResults(ClassificationResults):
    """Results of ``method="binary"``: also true/false positive counts of the positive class."""

    def __init__(self, *args, pos_label: str, neg_label: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.pos_label, self.neg_label = pos_label, neg_label

    def outcome_counts(self) -> dict[str, int]:
        pos_true, pos_pred = self.ytrue == self.pos_label, self.ypred == self.pos_label
        return {"TP": int((pos_true & pos_pred).sum()), "FP": int((~pos_true & pos_pred).sum()),
                "FN": int((pos_true & ~pos_pred).sum()), "TN": int((~pos_true & ~pos_pred).sum())}

    def metrics(self, classes=None, average: str = "binary", beta: float = 1.0) -> dict[str, Any]:
        from sklearn.metrics import precision_recall_fscore_support

        ytrue = (self.ytrue == self.pos_label).astype(int)
        ypred = (self.ypred == self.pos_label).astype(int)
        out: dict[str, Any] = {"accuracy": float((ytrue == ypred).mean()) if len(ytrue) else 0.0}
        p, r, f, _ = precision_recall_fscore_support(ytrue, ypred, average="binary", beta=beta, zero_division=0)
        out.update(precision=float(p), recall=float(r), fscore=float(f), support=int(ytrue.sum()))
        out.update(self.outcome_counts())
        return out


# -- running an evaluation --------------------------------------------------------------------


def _check_label_field(collection: SampleCollection, path: str, role: str) -> None:
    from bakeoff.core.fields import EmbeddedDocumentField
    from bakeoff.core.labels import Classification

    schema = collection.get_field_schema()
    field = schema.get(path)
    if field is None:
        options = [n for n, f in schema.items() if isinstance(f, EmbeddedDocumentField)]
        raise UnknownFieldError(f"no {role} field {path!r}.{suggest(path, options)} Classification fields: {options}")
    if not (isinstance(field, EmbeddedDocumentField) and issubclass(field.document_type, Classification)):
        raise FieldError(f"{role} field {path!r} is a {field!r}, not a Classification field")


def _model_run_classes(collection: SampleCollection, pred_field: str) -> list[str] | None:
    run = collection._root()._load_run("model", pred_field)
    return None if run is None else (run["config"] or {}).get("classes")


def evaluate_classifications(collection: SampleCollection, pred_field: str, gt_field: str = "ground_truth",
                             eval_key: str | None = None, classes: list[str] | None = None,
                             missing: str | None = None, method: str = "simple", k: int = 5,
                             progress: bool | None = None) -> ClassificationResults:
    """Evaluate ``pred_field`` against ``gt_field``; with ``eval_key``, store per-sample results and the run.

    Example::

        results = dataset.evaluate_classifications("clip", gt_field="ground_truth", eval_key="clip_eval")
        dataset.count_values("clip_eval")          # {False: 197, True: 803}
    """
    from bakeoff.storage.identifiers import check_field_name

    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; use one of {METHODS}")
    _check_label_field(collection, pred_field, "prediction")
    _check_label_field(collection, gt_field, "ground truth")
    if eval_key is not None:
        check_field_name(eval_key)
        if eval_key in (pred_field, gt_field):
            raise FieldError(f"eval_key {eval_key!r} would overwrite a label field; pick another key")
    missing = DEFAULT_MISSING if missing is None else missing

    ids, gts, preds, confs = collection._value_lists(
        ["id", f"{gt_field}.label", f"{pred_field}.label", f"{pred_field}.confidence"])
    ytrue = [missing if g is None else g for g in gts]
    ypred = [missing if p is None else p for p in preds]
    top_k = None
    if method == "binary":
        if classes is None or len(classes) != 2:
            raise ValueError(f"method='binary' needs classes=(negative, positive), got {classes!r}")
        neg, pos = classes
        outcome = [("T" if (t == pos) == (p == pos) else "F") + ("P" if p == pos else "N")
                   for t, p in zip(ytrue, ypred, strict=True)]
        values: list[Any] = outcome
        results: ClassificationResults = BinaryClassificationResults(
            ytrue, ypred, confs, classes=list(classes), missing=missing, ids=ids, pos_label=pos, neg_label=neg,
            eval_key=eval_key, pred_field=pred_field, gt_field=gt_field)
    else:
        if method == "top-k":
            order = classes or _model_run_classes(collection, pred_field)
            if not order:
                raise ValueError(f"method='top-k' needs the class order of {pred_field!r}'s logits: pass classes=[...]")
            top_k = _top_k_correct(collection.values(f"{pred_field}.logits"), ytrue, ypred, list(order), k)
            values = top_k.tolist()
        else:
            values = [t == p for t, p in zip(ytrue, ypred, strict=True)]
        results = ClassificationResults(ytrue, ypred, confs, classes=classes if method == "simple" else None,
                                        missing=missing, ids=ids, top_k_correct=top_k, k=k if top_k is not None else None,
                                        eval_key=eval_key, pred_field=pred_field, gt_field=gt_field)
    if eval_key is not None:
        _store(collection, eval_key, ids, values, method, pred_field, gt_field, classes, missing, k)
    return results


def _simple_expression(pred_field: str, gt_field: str):
    """``simple`` correctness as an expression: null-safe equality, so missing == missing."""
    from bakeoff.core.expressions import ViewField as F

    return F(f"{pred_field}.label") == F(f"{gt_field}.label")


def _top_k_correct(logits: list, ytrue: list[str], ypred: list[str], order: list[str], k: int) -> np.ndarray:
    index = {c: i for i, c in enumerate(order)}
    out = np.zeros(len(ytrue), dtype=bool)
    without = 0
    for i, (row, t, p) in enumerate(zip(logits, ytrue, ypred, strict=True)):
        if row is None or len(row) != len(order):
            without += 1
            out[i] = t == p
            continue
        top = np.argpartition(-np.asarray(row), min(k, len(row)) - 1)[:k] if k < len(row) else range(len(row))
        out[i] = t in index and index[t] in set(int(j) for j in top)
    if without:
        warnings.warn(f"{without} predictions have no logits (or logits of another length than the "
                      f"{len(order)} classes); they count as their top-1 prediction", stacklevel=3)
    return out


def _store(collection, eval_key, ids, values, method, pred_field, gt_field, classes, missing, k) -> None:
    from bakeoff.core.fields import BooleanField, StringField
    from bakeoff.core.transactions import transaction
    from bakeoff.core.view import DatasetView

    root = collection._root()
    ftype = StringField if method == "binary" else BooleanField
    stages = collection._stage_list() if isinstance(collection, DatasetView) else []
    config = {"method": method, "pred_field": pred_field, "gt_field": gt_field, "classes": classes,
              "missing": missing, "k": k, "eval_fields": [eval_key], "view": [s.to_dict() for s in stages]}
    # one transaction: other processes see the old evaluation or the new one, and a killed process leaves the old
    with transaction():
        if root.has_field(eval_key):
            existing = root._load_run(RUN_TYPE, eval_key)
            if existing is None:
                raise FieldError(f"field {eval_key!r} exists and is not an evaluation; pick another eval_key")
            root.delete_sample_field(eval_key)  # re-running an evaluation replaces it
        root.add_sample_field(eval_key, ftype)
        if method == "simple" and missing == DEFAULT_MISSING:
            # computed where the data is: one UPDATE statement, no rows sent back and forth
            collection._set_field_from_expression(eval_key, _simple_expression(pred_field, gt_field))
        elif ids:
            collection.set_values(eval_key, dict(zip(ids, values, strict=True)))
        root._save_run(RUN_TYPE, eval_key, config)


# -- managing runs ----------------------------------------------------------------------------


def list_evaluations(dataset) -> list[str]:
    return [r["key"] for r in dataset._list_runs(RUN_TYPE)]


def get_evaluation_info(dataset, eval_key: str) -> dict[str, Any]:
    run = dataset._load_run(RUN_TYPE, eval_key)
    if run is None:
        keys = list_evaluations(dataset)
        raise BakeoffError(f"no evaluation {eval_key!r} on dataset {dataset.name!r}.{suggest(eval_key, keys)} "
                           f"Evaluations: {keys}")
    return {"key": eval_key, "config": run["config"], "timestamp": run["updated_at"]}


def load_evaluation_view(dataset, eval_key: str):
    from bakeoff.core.stages import ViewStage
    from bakeoff.core.view import DatasetView

    config = get_evaluation_info(dataset, eval_key)["config"]
    return DatasetView(dataset, [ViewStage.from_dict(s) for s in config.get("view", [])])


def load_evaluation_results(dataset, eval_key: str) -> ClassificationResults:
    """Recompute the results of a stored evaluation from its fields, on the view it ran on."""
    config = get_evaluation_info(dataset, eval_key)["config"]
    view = load_evaluation_view(dataset, eval_key)
    classes = config["classes"]
    return evaluate_classifications(view, config["pred_field"], config["gt_field"], eval_key=None,
                                    classes=classes, missing=config["missing"], method=config["method"],
                                    k=config["k"])


def rename_evaluation(dataset, eval_key: str, new_eval_key: str) -> None:
    config = get_evaluation_info(dataset, eval_key)["config"]
    if dataset._load_run(RUN_TYPE, new_eval_key) is not None or dataset.has_field(new_eval_key):
        raise FieldError(f"cannot rename evaluation {eval_key!r} to {new_eval_key!r}: that name is taken")
    dataset.rename_sample_field(eval_key, new_eval_key)
    config["eval_fields"] = [new_eval_key]
    dataset._rename_run(RUN_TYPE, eval_key, new_eval_key)
    dataset._save_run(RUN_TYPE, new_eval_key, config)


def delete_evaluation(dataset, eval_key: str) -> None:
    config = get_evaluation_info(dataset, eval_key)["config"]
    for field in config.get("eval_fields", [eval_key]):
        if dataset.has_field(field):
            dataset.delete_sample_field(field)
    dataset._delete_run(RUN_TYPE, eval_key)


def delete_evaluations(dataset) -> None:
    for key in list_evaluations(dataset):
        delete_evaluation(dataset, key)
