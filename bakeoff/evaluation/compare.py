"""``bakeoff.compare``: every model against the ground truth and against each other, in one call.

Example::

    import bakeoff as fo
    comparison = fo.compare(dataset)              # every Classification field but the ground truth
    print(comparison)                             # percent correct (95% CI), mean confidence, ...
    comparison.all_wrong()                        # views, as the tutorial builds by hand
    comparison.right_wrong("siglip", "clip")
    comparison.likely_label_errors()             # labels the models find unlikely (needs stored logits)
    comparison.per_class_wins()                  # per class: each model's recall, the winner or a tie
    comparison.describe_duplicates()             # copies among the samples, from a near-duplicates brain run

A prediction is right when its label equals the ground truth, a missing label
counting as the label "(none)" on both sides (``evaluate_classifications``'
``simple`` method).
"""

from __future__ import annotations

from itertools import combinations
from typing import TYPE_CHECKING, Any

import numpy as np

from bakeoff.core.expressions import ViewExpression
from bakeoff.core.expressions import ViewField as F
from bakeoff.core.interface import value_lists
from bakeoff.errors import EvaluationError, InvalidOptionError, LabelErrorsError, NotComparedError, brief, suggest
from bakeoff.evaluation import class_wins
from bakeoff.evaluation.classification import DEFAULT_MISSING, ClassificationResults, _check_label_field
from bakeoff.evaluation.duplicate_check import DuplicatesCheck, check_duplicates
from bakeoff.evaluation.label_errors import DEFAULT_MIN_SCORE, LabelErrorScores, check_min_score, score_label_errors
from bakeoff.evaluation.label_errors import METHOD as LABEL_ERROR_METHOD
from bakeoff.evaluation.metrics import mcnemar_pvalue

if TYPE_CHECKING:
    from bakeoff.core.collection import SampleCollection
    from bakeoff.core.view import DatasetView


def classification_fields(collection: SampleCollection, gt_field: str) -> list[str]:
    from bakeoff.core.fields import EmbeddedDocumentField
    from bakeoff.core.labels import Classification

    schema = collection.get_field_schema(ftype=EmbeddedDocumentField, embedded_doc_type=Classification)
    return [name for name in schema if name != gt_field]


def compare(collection: SampleCollection, pred_fields: list[str] | None = None, gt_field: str = "ground_truth",
            missing: str | None = None, confidence_level: float = 0.95, seed: int | None = 0, *,
            fields: list[str] | None = None) -> Comparison:
    """Compare prediction fields (default: every Classification field but ``gt_field``).

    ``fields=`` is another name for ``pred_fields`` (the CLI's ``--fields``); give one of them.

    Example::

        comparison = compare(dataset, fields=["clip", "siglip"])
    """
    if fields is not None:
        if pred_fields is not None:
            raise InvalidOptionError(f"got pred_fields={pred_fields!r} and fields={fields!r}: they are the same "
                                     "argument; give one of them")
        pred_fields = fields
    if isinstance(pred_fields, str):
        pred_fields = [pred_fields]
    return Comparison(collection, pred_fields, gt_field, missing, confidence_level, seed)


class Comparison:
    """Per-model metrics, pairwise statistics, and the views a careful reader looks at."""

    def __init__(self, collection: SampleCollection, pred_fields: list[str] | None, gt_field: str,
                 missing: str | None, confidence_level: float, seed: int | None) -> None:
        self.collection = collection
        self.gt_field = gt_field
        self.missing = DEFAULT_MISSING if missing is None else missing
        self.models = list(pred_fields) if pred_fields is not None else classification_fields(collection, gt_field)
        if not self.models:
            raise EvaluationError(f"nothing to compare: no Classification fields besides {gt_field!r}; "
                                  "apply a model first or pass pred_fields=[...]")
        _check_label_field(collection, gt_field, "ground truth")
        for model in self.models:
            _check_label_field(collection, model, "prediction")
        paths = ["id", f"{gt_field}.label"]
        for model in self.models:
            paths += [f"{model}.label", f"{model}.confidence"]
        values = value_lists(collection, paths)
        self.ids: list[str] = values[0]
        ytrue = [self.missing if v is None else v for v in values[1]]
        self.results: dict[str, ClassificationResults] = {}
        for i, model in enumerate(self.models):
            labels, confs = values[2 + 2 * i], values[3 + 2 * i]
            ypred = [self.missing if v is None else v for v in labels]
            self.results[model] = ClassificationResults(ytrue, ypred, confs, missing=self.missing, ids=self.ids,
                                                        pred_field=model, gt_field=gt_field)
        classes = sorted(set().union(*(set(r.classes) for r in self.results.values())))
        for r in self.results.values():
            r.classes = classes
        self.classes = classes
        self.correct = {m: r.correct for m, r in self.results.items()}
        self.confidence_level = confidence_level
        self.table = [self._row(m, confidence_level, seed) for m in self.models]
        self.pairs = [self._pair(a, b) for a, b in combinations(self.models, 2)]
        self._label_error_cache: LabelErrorScores | None = None

    # -- statistics -----------------------------------------------------------------------
    def _row(self, model: str, level: float, seed: int | None) -> dict[str, Any]:
        results = self.results[model]
        confs = results.confs[np.isfinite(results.confs)]
        return {
            "model": model,
            "accuracy": float(results.correct.mean()) if len(results.correct) else 0.0,
            "accuracy_ci": results.accuracy_interval(level, seed=seed),
            "balanced_accuracy": results.balanced_accuracy(),
            "top5_accuracy": self._top_k(model, 5),
            "mean_confidence": float(confs.mean()) if len(confs) else None,
            "ece": results.calibration()["ece"],
            "num_samples": len(results.ytrue),
            "num_predicted": int((results.ypred != self.missing).sum()),
        }

    def _top_k(self, model: str, k: int) -> float | None:
        """Top-k accuracy where the field's logits and class order (from its model run) are known."""
        from bakeoff.evaluation.classification import _model_run_classes
        from bakeoff.evaluation.top_k import top_k_correct

        order = _model_run_classes(self.collection, model)
        if not order or self.collection.count(f"{model}.logits") == 0:
            return None
        results = self.results[model]
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            correct = top_k_correct(self.collection.values(f"{model}.logits"), list(results.ytrue),
                                     list(results.ypred), order, k)
        return float(correct.mean()) if len(correct) else None

    def _pair(self, a: str, b: str) -> dict[str, Any]:
        ca, cb = self.correct[a], self.correct[b]
        a_only, b_only = int((ca & ~cb).sum()), int((~ca & cb).sum())
        same = self.results[a].ypred == self.results[b].ypred
        return {
            "a": a, "b": b,
            "agreement": float(same.mean()) if len(same) else 0.0,
            "both_right": int((ca & cb).sum()), "both_wrong": int((~ca & ~cb).sum()),
            "a_right_b_wrong": a_only, "a_wrong_b_right": b_only,
            "mcnemar_p": mcnemar_pvalue(a_only, b_only),
        }

    def pair(self, a: str, b: str) -> dict[str, Any]:
        for row in self.pairs:
            if (row["a"], row["b"]) == (a, b):
                return row
            if (row["a"], row["b"]) == (b, a):
                return {**row, "a": a, "b": b, "a_right_b_wrong": row["a_wrong_b_right"],
                        "a_wrong_b_right": row["a_right_b_wrong"]}
        raise NotComparedError(f"no pair ({brief(a)}, {brief(b)}); the compared models are {self.models}")

    # -- views ----------------------------------------------------------------------------
    def _right(self, model: str) -> ViewExpression:
        self._check_model(model)
        return F(f"{model}.label") == F(f"{self.gt_field}.label")

    def _wrong(self, model: str) -> ViewExpression:
        return ~self._right(model)

    def _check_model(self, model: str) -> None:
        if model not in self.models:
            raise NotComparedError(f"{brief(model)} is not among the compared models {self.models}.{suggest(model, self.models)}")

    def all_right(self) -> DatasetView:
        return self.collection.match(F().all([self._right(m) for m in self.models]))

    def all_wrong(self) -> DatasetView:
        return self.collection.match(F().all([self._wrong(m) for m in self.models]))

    def only_right(self, model: str) -> DatasetView:
        """Samples that ``model`` alone gets right."""
        return self.collection.match(self._only(model))

    def _only(self, model: str) -> ViewExpression:
        return F().all([self._right(model), *[self._wrong(m) for m in self.models if m != model]])

    def only_one_right(self) -> DatasetView:
        """Samples exactly one model gets right (see :meth:`only_right` for which)."""
        return self.collection.match(F().any([self._only(m) for m in self.models]))

    def right_wrong(self, a: str, b: str) -> DatasetView:
        """Samples model ``a`` gets right and model ``b`` gets wrong."""
        return self.collection.match(self._right(a) & self._wrong(b))

    def likely_label_errors(self, min_score: float = DEFAULT_MIN_SCORE) -> DatasetView:
        """Samples whose label the models find less likely than on ``min_score`` of the images labelled otherwise.

        The method is an out-of-class rank test on the models' own class
        probabilities (see :mod:`bakeoff.evaluation.label_errors`): the
        probabilities come from each field's stored logits, with the class order
        and scorer its model run recorded, and are averaged over the models. A
        sample labelled ``j`` scores the fraction of the samples labelled
        otherwise that get a higher probability of ``j``; it is flagged when
        that fraction is at least ``min_score`` (in (0, 1], default 0.2). A
        label replaced by a random other class is found with probability
        about ``1 - min_score``; on ``demo-shapes`` no correct label is flagged
        (``benchmarks/bench_label_errors.py``). The view is ordered by score,
        highest first (see :meth:`label_error_scores`).

        Fields without logits (``apply_model(..., store_logits=False)``, the
        default, or predictions no model run wrote) are left out, with a
        logged warning and their reason in :meth:`label_error_info`; when no
        field has logits this raises :class:`~bakeoff.errors.LabelErrorsError`.
        Samples without a ground-truth label, or whose label no model scored,
        are not judged.

        Example::

            comparison = fo.compare(dataset)        # models applied with store_logits=True
            suspects = comparison.likely_label_errors()
            comparison.label_error_scores()[suspects.first().id]    # ('red ring', 0.93)
        """
        scores = self.label_error_scores(min_score)
        ranked = sorted(scores, key=lambda i: -scores[i][1])
        return self.collection.select(ranked, ordered=True)

    def label_error_scores(self, min_score: float = DEFAULT_MIN_SCORE) -> dict[str, tuple[str, float]]:
        """``{sample_id: (suggested label, score)}`` of :meth:`likely_label_errors`, highest score first.

        The score is the fraction of the samples labelled otherwise that the
        models find more like the sample's label (in [0, 1]); the suggested label
        is the most probable other class. Ties are ordered by the probability of
        the given label, lowest first.
        """
        check_min_score(min_score)
        found = self._label_errors()
        flagged = np.flatnonzero(np.nan_to_num(found.scores, nan=-1.0) >= min_score)
        order = flagged[np.lexsort((found.own[flagged], -found.scores[flagged]))]
        return {self.ids[i]: (found.suggested[i], float(found.scores[i])) for i in order}

    def label_error_info(self, min_score: float = DEFAULT_MIN_SCORE) -> dict[str, Any]:
        """How :meth:`likely_label_errors` decides: method, ``min_score``, the models used and those left out."""
        found = self._label_errors()
        return {"method": LABEL_ERROR_METHOD, "min_score": min_score, "models": found.models,
                "left_out": found.left_out, "num_judged": int(np.isfinite(found.scores).sum())}

    def describe_label_errors(self, min_score: float = DEFAULT_MIN_SCORE) -> str:
        """One line for people: how many likely label errors, found how, or why none were looked for."""
        try:
            count = len(self.label_error_scores(min_score))
        except LabelErrorsError as error:
            return f"likely label errors: not looked for: {error}"
        info = self.label_error_info(min_score)
        left_out = f"; left out, without logits: {', '.join(info['left_out'])}" if info["left_out"] else ""
        return (f"likely label errors: {count} of {info['num_judged']:,} labels (score >= {min_score:g}: "
                f"{info['method']}, logits of {', '.join(info['models'])}{left_out})")

    def _label_errors(self) -> LabelErrorScores:
        if self._label_error_cache is None:
            ytrue = next(iter(self.results.values())).ytrue.tolist()
            self._label_error_cache = score_label_errors(self.collection, self.models, ytrue)
        return self._label_error_cache

    # -- per class, duplicates ------------------------------------------------------------
    def per_class_wins(self, alpha: float = 0.05) -> list[dict[str, Any]]:
        """Where each model wins: per ground-truth class, each model's recall and the winner, largest gap first.

        Each row: ``class``, ``support``, ``recall`` (``{model: share right}``), ``winner`` (None: a tie,
        or one model), ``p_value`` and ``gap`` (best recall minus the runner-up's). A model wins a class
        when McNemar's exact test on the class's samples finds it better than each other model at
        ``alpha``, Holm-corrected, as :func:`~bakeoff.evaluation.verdict.verdict` decides overall (see
        :mod:`bakeoff.evaluation.class_wins`). Samples without a ground-truth label are left out.

        Example::

            rows = fo.compare(dataset, fields=["clip", "siglip"]).per_class_wins()
            rows[0]    # {'class': 'cat', 'support': 40, 'recall': {'clip': 0.95, 'siglip': 0.6},
                       #  'winner': 'clip', 'p_value': 0.0002, 'gap': 0.35}
        """
        ytrue = next(iter(self.results.values())).ytrue
        return class_wins.class_wins(ytrue, self.correct, self.missing, alpha)

    def per_class_caption(self, alpha: float = 0.05) -> str:
        """How :meth:`per_class_wins` decides, in one sentence (the tables' caption)."""
        return class_wins.RULE.format(alpha=alpha)

    def duplicates_check(self, brain_key: str | None = None) -> DuplicatesCheck:
        """What the near-duplicates brain run ``brain_key`` (default: the latest) says of the compared samples:
        exact and near pairs holding one of them, pairs whose ground truths differ, samples involved.

        The comparison does not look for duplicates itself (that needs embeddings: ``bakeoff.brain``);
        without a run, ``brain_key`` is None and :meth:`DuplicatesCheck.describe` says how to make one.
        """
        return check_duplicates(self.collection, self.ids, self.gt_field, brain_key)

    def describe_duplicates(self, brain_key: str | None = None) -> str:
        """One line for people: the counts of :meth:`duplicates_check`, or how to compute them."""
        return self.duplicates_check(brain_key).describe()

    # -- output ---------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {"gt_field": self.gt_field, "models": self.models, "table": self.table, "pairs": self.pairs,
                "num_samples": len(self.ids),
                "counts": {"all_right": len(self.all_right()), "all_wrong": len(self.all_wrong()),
                           "only_one_right": {m: len(self.only_right(m)) for m in self.models}},
                "per_class": self.per_class_wins(), "duplicates": self.duplicates_check().to_dict()}

    def save_report(self, path: str, max_thumbnails: int = 24) -> str:
        """Write a self-contained HTML report (tables, charts, thumbnails); returns the path."""
        from bakeoff.evaluation.report import write_comparison_report

        return write_comparison_report(self, path, max_thumbnails)

    def interval_name(self) -> str:
        """The accuracy interval's column name: ``"95% CI"`` at the default ``confidence_level``."""
        return f"{self.confidence_level * 100:g}% CI"

    def formatted_table(self) -> list[dict[str, str]]:
        """The per-model table as display strings ("-" where a metric does not apply)."""
        def pct(x: float | None) -> str:
            return f"{x * 100:.1f}%" if x is not None else "-"

        def num(x: float | None) -> str:
            return f"{x:.3f}" if x is not None else "-"

        return [{"model": r["model"], "accuracy": pct(r["accuracy"]),
                 "ci": f"{r['accuracy_ci'][0] * 100:.1f}-{r['accuracy_ci'][1] * 100:.1f}%",
                 "balanced": pct(r["balanced_accuracy"]), "top5": pct(r["top5_accuracy"]),
                 "confidence": num(r["mean_confidence"]), "ece": num(r["ece"])} for r in self.table]

    def __str__(self) -> str:
        head = f"{'model':<24}{'percent correct':>17}{self.interval_name():>17}{'balanced':>10}{'top-5':>8}{'mean conf':>11}{'ECE':>7}"
        lines = [f"{len(self.ids)} samples, ground truth {self.gt_field!r}", head, "-" * len(head)]
        for cells in self.formatted_table():
            lines.append(f"{cells['model']:<24}{cells['accuracy']:>17}{cells['ci']:>17}{cells['balanced']:>10}"
                         f"{cells['top5']:>8}{cells['confidence']:>11}{cells['ece']:>7}")
        if self.pairs:
            lines += ["", f"{'pair':<40}{'agree':>8}{'A right B wrong':>17}{'A wrong B right':>17}{'McNemar p':>11}"]
            for p in self.pairs:
                lines.append(f"{p['a'] + ' vs ' + p['b']:<40}{p['agreement'] * 100:>7.1f}%{p['a_right_b_wrong']:>17}"
                             f"{p['a_wrong_b_right']:>17}{p['mcnemar_p']:>11.3g}")
        both = np.logical_and.reduce([self.correct[m] for m in self.models])
        none = np.logical_and.reduce([~self.correct[m] for m in self.models])
        lines += ["", f"all right: {int(both.sum())}   all wrong: {int(none.sum())}", ""]
        lines += class_wins.text_table(self.per_class_wins(), self.models, 0.05)
        lines += ["", self.describe_duplicates()]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.__str__()
