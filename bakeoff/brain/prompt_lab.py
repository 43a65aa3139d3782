"""The prompt lab: re-score a model run with other prompts from its cached image embeddings.

A zero-shot prediction is ``argmax(scorer(image_embedding @ class_embedding.T))``; the image
embeddings are in the embedding cache (keyed by the model's fingerprint) and a class embedding
is the (ensembled) text embedding of the class's prompts. Changing a class's prompts therefore
needs only its prompts encoded (each prompt's text embedding is cached too) and one matrix
product, ``[n, d] @ [d, classes]``: tens of milliseconds for 10,000 images, instead of
running the image tower again.

:class:`PromptLab` loads the run's image embeddings once, :meth:`PromptLab.rescore` tries
prompts (per class, or templates for all) and says what they do to the overall accuracy and
each class's recall, and :meth:`PromptLab.save` writes the chosen prompts as a new prediction
field through ``apply_model`` (a normal model run, with its prompts in the run's config).

Example::

    import bakeoff.brain as fob

    lab = fob.PromptLab(dataset, "clip", gt_field="ground_truth")
    lab.baseline.accuracy                                      # the run's own prompts: 0.81
    result = lab.rescore(prompts={"cat": ["a photo of a cat", "a cat"]})
    result.accuracy, result.recall["cat"], result.confusion_row("cat")
    lab.save("clip_v2")                                        # a new field, as apply_model writes it
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from bakeoff.core.interface import RunStore, root_dataset
from bakeoff.errors import (
    BakeoffError,
    FieldError,
    FieldTypeError,
    InvalidOptionError,
    PromptError,
    UnknownFieldError,
    UnknownModelError,
    brief,
    suggest,
)
from bakeoff.inference.pipeline import compute_embeddings
from bakeoff.models.prompts import PromptSpec, ensemble
from bakeoff.models.scoring import top_predictions

if TYPE_CHECKING:  # pragma: no cover
    from bakeoff.core.collection import SampleCollection
    from bakeoff.models.base import ZeroShotModel

logger = logging.getLogger(__name__)

MISSING = "(none)"
"""How a missing prediction reads in a confusion row (as in ``evaluate_classifications``)."""
MAX_PROMPTS_PER_CLASS = 100
MAX_PROMPT_LENGTH = 1000


@dataclass
class PromptLabResult:
    """What a set of prompts does: the predictions and the metrics against the ground truth.

    ``accuracy`` is over the samples with a ground-truth label (a missing prediction is wrong);
    ``recall[label]`` and ``support[label]`` are per ground-truth label; ``changed``, ``fixed``
    and ``broken`` compare with the run's own prompts (:attr:`PromptLab.baseline`).
    """

    prompts: dict[str, list[str]]
    labels: list[str | None]
    confidences: np.ndarray
    accuracy: float
    recall: dict[str, float]
    support: dict[str, int]
    num_samples: int
    num_evaluated: int
    changed: int = 0
    fixed: int = 0
    broken: int = 0
    _truth: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64), repr=False)
    _predicted: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64), repr=False)
    _names: list[str] = field(default_factory=list, repr=False)

    def confusion_row(self, label: str) -> dict[str, int]:
        """``{predicted label: count}`` over the samples whose ground truth is ``label``, largest first.

        Example::

            >>> result.confusion_row("cat")            # doctest: +SKIP
            {'cat': 41, 'dog': 6, '(none)': 1}
        """
        if label not in self.support:
            raise UnknownFieldError(f"no ground-truth label {brief(label)}.{suggest(str(label), self.support)} "
                                    f"The labels are: {brief(sorted(self.support), 300)}")
        code = self._names.index(label)
        rows = self._predicted[self._truth == code]
        counts = np.bincount(rows + 1, minlength=len(self._names) + 1)  # +1: a missing prediction is -1
        named = [MISSING, *self._names]
        return {named[i]: int(counts[i]) for i in np.argsort(-counts, kind="stable") if counts[i]}

    def to_dict(self, focus: str | None = None) -> dict[str, Any]:
        """The metrics as JSON (no per-sample predictions), with ``focus``'s confusion row if given."""
        out: dict[str, Any] = {
            "accuracy": self.accuracy, "recall": self.recall, "support": self.support,
            "num_samples": self.num_samples, "num_evaluated": self.num_evaluated,
            "changed": self.changed, "fixed": self.fixed, "broken": self.broken}
        if focus is not None:
            out["focus"] = {"label": focus, "recall": self.recall.get(focus), "support": self.support.get(focus),
                            "prompts": self.prompts.get(focus), "confusion_row": self.confusion_row(focus)}
        return out


class PromptLab:
    """Try prompts for a model run's classes on its cached image embeddings; save the best as a new run.

    Args:
        collection: the dataset or view to score (its samples' embeddings are loaded once; those the
            cache lacks are computed and cached, with a progress bar).
        pred_field: a field ``apply_model`` wrote: its run names the model, classes, prompts and scorer.
        gt_field: a Classification field with the true labels.
        model: the run's model, loaded (``load_zoo_model(...)``) or as a zoo name; by default the zoo
            model whose weights match the run's fingerprint (found without loading the others).
        progress: as in ``apply_model``, for computing missing embeddings.
        model_args: loader arguments when ``model`` is a zoo name.

    Example::

        lab = PromptLab(dataset, "clip", gt_field="ground_truth")
        lab.rescore(templates=["a photo of a {}.", "a close-up photo of a {}."]).accuracy
    """

    def __init__(self, collection: SampleCollection, pred_field: str, gt_field: str = "ground_truth",
                 model: ZeroShotModel | str | None = None, progress: bool | Callable[[int, int], Any] | None = None,
                 **model_args: Any) -> None:
        self.collection = collection
        self.pred_field, self.gt_field = pred_field, gt_field
        self.run_config = _model_run_config(collection, pred_field)
        self.classes: list[str] = list(self.run_config["classes"])
        self.run_prompts: dict[str, list[str]] = {c: list(p) for c, p in
                                                  zip(self.classes, self.run_config["prompts"], strict=True)}
        truth = _labels(collection, gt_field)
        self.model = _run_model(self.run_config, model, model_args)
        self.model.classes = self.classes
        self.sample_ids: list[str] = collection.values("id")
        embeddings = np.asarray(compute_embeddings(collection, self.model, progress=progress), dtype=np.float32)
        self._valid = np.asarray(~np.isnan(embeddings).any(axis=1), dtype=bool) if len(embeddings) \
            else np.zeros(0, bool)
        self._embeddings = np.ascontiguousarray(embeddings[self._valid])
        extra = sorted({t for t in truth if t is not None} - set(self.classes))
        self._names = [*self.classes, *extra]  # the model's classes, then ground-truth labels it cannot predict
        code = {name: i for i, name in enumerate(self._names)}
        self._truth = np.array([-1 if t is None else code[t] for t in truth], dtype=np.int64)
        self._class_cache: dict[tuple[tuple[str, ...], bool], np.ndarray] = {}
        self._baseline_codes: np.ndarray | None = None
        self.baseline = self.rescore()
        self._baseline_codes = self.baseline._predicted
        self.last = self.baseline

    def __repr__(self) -> str:
        return (f"<PromptLab {self.pred_field!r} vs {self.gt_field!r}: {len(self.sample_ids)} samples, "
                f"{len(self.classes)} classes, baseline accuracy {self.baseline.accuracy:.4f}>")

    # ---- prompts ---------------------------------------------------------------------------------
    def candidate_prompts(self, prompts: Mapping[str, str | Sequence[str]] | None = None,
                          templates: str | Sequence[str] | None = None) -> dict[str, list[str]]:
        """Every class's prompts: the run's, or ``templates`` for all, then ``prompts`` for some classes.

        Example::

            >>> lab.candidate_prompts(prompts={"cat": "a cat"})["cat"]      # doctest: +SKIP
            ['a cat']
        """
        if templates is not None:
            spec = PromptSpec.build(templates=templates)
            _check_prompts("templates", [t for group in spec.prompts_for(["x"]) for t in group])
            chosen = dict(zip(self.classes, spec.prompts_for(self.classes), strict=True))
        else:
            chosen = {c: list(p) for c, p in self.run_prompts.items()}
        if prompts is not None:
            if not isinstance(prompts, Mapping):
                raise PromptError(f"prompts must be {{class: [prompt, ...]}}, got {brief(prompts)}")
            for name, given in prompts.items():
                if name not in chosen:
                    raise PromptError(f"{brief(name)} is not a class of the run {self.pred_field!r}."
                                      f"{suggest(str(name), self.classes)} Its classes: {brief(self.classes, 300)}")
                group = [given] if isinstance(given, str) else list(given) if isinstance(given, Sequence) else None
                if not group:
                    raise PromptError(f"prompts[{brief(name)}] = {brief(given)}: give one or more prompt strings")
                _check_prompts(f"prompts[{brief(name)}]", group)
                chosen[name] = group
        return chosen

    def _class_embeddings(self, chosen: Mapping[str, list[str]]) -> np.ndarray:
        """``[classes, d]`` as ``apply_model`` makes them (``ZeroShotModel.text_embeddings``): the prompts'
        embeddings, ensembled when some class has several; each class computed once per prompts."""
        per_class = [chosen[c] for c in self.classes]
        ensembled = any(len(group) != 1 for group in per_class)
        missing = [tuple(g) for g in per_class if (tuple(g), ensembled) not in self._class_cache]
        if missing:
            flat = [p for group in missing for p in group]
            vectors = self.model.encode_texts(flat)  # cached per prompt: only new prompts reach the text tower
            if ensembled:
                vectors = ensemble(vectors, [len(g) for g in missing])
            for group, vector in zip(missing, vectors, strict=True):
                self._class_cache[(group, ensembled)] = vector
        return np.stack([self._class_cache[(tuple(g), ensembled)] for g in per_class])

    # ---- scoring ---------------------------------------------------------------------------------
    def rescore(self, prompts: Mapping[str, str | Sequence[str]] | None = None,
                templates: str | Sequence[str] | None = None) -> PromptLabResult:
        """Predictions and metrics with these prompts (relative to the run's: see :meth:`candidate_prompts`).

        Each call starts from the run's own prompts, so pass every class you change. The result
        becomes :attr:`last`, what :meth:`save` writes by default.

        Example::

            >>> lab.rescore(prompts={"cat": ["a photo of a cat", "a cat"]}).recall["cat"]   # doctest: +SKIP
            0.92
        """
        chosen = self.candidate_prompts(prompts, templates)
        text = self._class_embeddings(chosen)
        codes, confidences = score_embeddings(self._embeddings, text, self.model.scorer,
                                              self.run_config.get("confidence_thresh"))
        predicted = np.full(len(self._valid), -1, np.int64)
        predicted[self._valid] = codes
        confidence = np.full(len(self._valid), np.nan)
        confidence[self._valid] = confidences
        self.last = self._result(chosen, predicted, confidence)
        return self.last

    def _result(self, chosen: dict[str, list[str]], predicted: np.ndarray, confidence: np.ndarray) -> PromptLabResult:
        truth, names = self._truth, self._names
        evaluated = truth >= 0
        correct = evaluated & (predicted == truth)
        support = np.bincount(truth[evaluated], minlength=len(names))
        hits = np.bincount(truth[correct], minlength=len(names))
        labels: list[str | None] = [None if i < 0 else names[i] for i in predicted.tolist()]
        result = PromptLabResult(
            prompts=chosen, labels=labels, confidences=confidence,
            accuracy=float(correct.sum() / evaluated.sum()) if evaluated.any() else 0.0,
            recall={n: float(hits[i] / support[i]) for i, n in enumerate(names) if support[i]},
            support={n: int(support[i]) for i, n in enumerate(names) if support[i]},
            num_samples=len(truth), num_evaluated=int(evaluated.sum()),
            _truth=truth, _predicted=predicted, _names=names)
        if self._baseline_codes is not None:
            before = self._baseline_codes
            was = evaluated & (before == truth)
            result.changed = int((before != predicted).sum())
            result.fixed, result.broken = int((correct & ~was).sum()), int((was & ~correct).sum())
        return result

    # ---- saving ----------------------------------------------------------------------------------
    def save(self, label_field: str, prompts: Mapping[str, str | Sequence[str]] | None = None,
             templates: str | Sequence[str] | None = None, overwrite: bool = False,
             progress: bool | Callable[[int, int], Any] | None = None) -> dict[str, Any]:
        """Write predictions with these prompts (default: those of the last :meth:`rescore`) to ``label_field``.

        It is ``apply_model`` with the run's model, classes, scorer options and the chosen prompts,
        so the new field is a normal model run (``list_model_runs``, reports and the App see it),
        computed from the cached embeddings; the run's config also says where it came from
        (``config["prompt_lab"]``). Returns the new run's info.

        Example::

            >>> lab.save("clip_v2")["config"]["prompts"][0]     # doctest: +SKIP
            ['a photo of a cat', 'a cat']
        """
        chosen = self.last.prompts if prompts is None and templates is None \
            else self.candidate_prompts(prompts, templates)
        root = root_dataset(self.collection)
        if label_field == self.pred_field or (root.has_field(label_field) and not overwrite):
            raise FieldError(f"field {brief(label_field)} exists; pick a new label_field, or pass overwrite=True "
                             f"to replace it (never the lab's own {self.pred_field!r})")
        result = self.last if chosen == self.last.prompts else self.rescore(prompts=chosen)
        self.model.set_prompts(class_prompts={c: chosen[c] for c in self.classes})
        config = self.run_config
        self.collection.apply_model(self.model, label_field=label_field, store_logits=bool(config.get("store_logits")),
                                    confidence_thresh=config.get("confidence_thresh"),
                                    batch_size=config.get("batch_size"), progress=progress)
        changed = sorted(c for c in self.classes if chosen[c] != self.run_prompts[c])
        runs = RunStore(self.collection, "model")
        record = runs.load(label_field)
        if record is not None:  # where the prompts came from, beside what apply_model recorded
            runs.save(label_field, {**record["config"], "prompt_lab": {
                "source_field": self.pred_field, "gt_field": self.gt_field, "changed_classes": changed,
                "accuracy": result.accuracy}},
                record["results"])
        return self.collection.get_model_run_info(label_field)


def score_embeddings(image_emb: np.ndarray, text_emb: np.ndarray, scorer: Any,
                     confidence_thresh: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(class index per image, -1 below the threshold; confidence)``, as ``apply_model`` scores.

    Example::

        >>> from bakeoff.models.scoring import SoftmaxScorer
        >>> img = np.array([[1.0, 0.0]], np.float32); txt = np.eye(2, dtype=np.float32)
        >>> score_embeddings(img, txt, SoftmaxScorer())[0].tolist()
        [0]
    """
    if not len(image_emb):
        return np.zeros(0, np.int64), np.zeros(0)
    logits = scorer.score(image_emb, text_emb)
    index, confidence = top_predictions(scorer.probabilities(logits))
    index = index.astype(np.int64)
    if confidence_thresh is not None:
        index[confidence < confidence_thresh] = -1
    return index, np.asarray(confidence, dtype=float)


def _check_prompts(what: str, prompts: Sequence[Any]) -> None:
    if len(prompts) > MAX_PROMPTS_PER_CLASS:
        raise PromptError(f"{what}: {len(prompts)} prompts; give at most {MAX_PROMPTS_PER_CLASS} per class")
    for prompt in prompts:
        if not isinstance(prompt, str) or not prompt.strip() or len(prompt) > MAX_PROMPT_LENGTH:
            raise PromptError(f"{what}: {brief(prompt)} is not a prompt; give non-empty strings of at most "
                              f"{MAX_PROMPT_LENGTH} characters")


def _model_run_config(collection: SampleCollection, pred_field: str) -> dict[str, Any]:
    runs = RunStore(collection, "model")
    record = runs.load(pred_field) if isinstance(pred_field, str) else None
    if record is None:
        keys = runs.keys()
        raise UnknownFieldError(f"no model run wrote {brief(pred_field)}.{suggest(str(pred_field), keys)} "
                                f"The prompt lab needs a field apply_model wrote; model runs: {keys}")
    config = record["config"] or {}
    if not config.get("classes") or len(config.get("prompts") or []) != len(config["classes"]):
        raise FieldError(f"the run of {pred_field!r} records no classes and prompts to start from; apply the "
                         "model again with this version of bakeoff")
    if config.get("status") != "complete":
        logger.warning("the run of %r did not finish (%s); its missing samples are scored all the same",
                       pred_field, config.get("status"))
    return dict(config)


def _labels(collection: SampleCollection, gt_field: str) -> list[str | None]:
    from bakeoff.core.fields import EmbeddedDocumentField
    from bakeoff.core.labels import Classification

    schema = collection.get_field_schema()
    if gt_field not in schema:
        raise UnknownFieldError(f"no field {brief(gt_field)}.{suggest(str(gt_field), schema)} "
                                f"The ground truth is a Classification field; fields: {list(schema)}")
    kind = schema[gt_field]
    if not (isinstance(kind, EmbeddedDocumentField) and issubclass(kind.document_type, Classification)):
        raise FieldTypeError(f"{gt_field!r} is {kind!r}, not a Classification field with the true labels")
    values: list[str | None] = collection.values(f"{gt_field}.label")
    return values


def _run_model(config: Mapping[str, Any], model: Any, model_args: Mapping[str, Any]) -> ZeroShotModel:
    """The run's model: the one given (checked against the run's fingerprint), or found in the zoo."""
    from bakeoff.models.zoo import load_zoo_model

    fingerprint = str(config.get("fingerprint"))
    if model is None:
        name = find_zoo_model(fingerprint)
        if name is None:
            raise UnknownModelError(f"no zoo model here has the weights of the run ({fingerprint}); pass the model "
                                    "that made it: PromptLab(..., model=load_zoo_model(name, ...))")
        model, model_args = name, {"precision": fingerprint.rsplit(":", 1)[-1], **model_args}
    if isinstance(model, str):
        model = load_zoo_model(model, classes=list(config["classes"]), progress=False, **model_args)
    elif model_args:
        raise InvalidOptionError(f"model arguments {sorted(model_args)} are for a zoo name, not a loaded model")
    if getattr(model, "fingerprint", None) != fingerprint:
        raise InvalidOptionError(f"{brief(model)} is not the run's model: its fingerprint "
                                 f"{getattr(model, 'fingerprint', None)!r} differs from the run's {fingerprint!r}")
    return model


def find_zoo_model(fingerprint: str) -> str | None:
    """The zoo name whose default weights, on this machine, have this fingerprint; nothing is loaded.

    Only entries whose weights are here are looked at (:func:`~bakeoff.models.zoo.zoo_model_offline`).

    Example::

        >>> find_zoo_model(load_zoo_model("demo-clip").fingerprint)     # doctest: +SKIP
        'demo-clip'
    """
    from bakeoff.models.zoo import list_zoo_models, zoo_model_info, zoo_model_offline

    library, _, rest = fingerprint.partition(":")
    identity = rest.rpartition(":")[0]
    for name in list_zoo_models():
        info = zoo_model_info(name)
        if info["library"] != {"open_clip": "open_clip", "transformers": "transformers"}.get(library):
            continue
        try:
            if zoo_model_offline(name)[0] is not True:
                continue
            if _zoo_identity(info) in (identity, identity.partition(":")[2]):
                return name
        except (BakeoffError, OSError, ImportError):  # an entry that cannot resolve here is not the one
            continue
    return None


def _zoo_identity(info: Mapping[str, Any]) -> str | None:
    defaults = info["defaults"]
    if info["library"] == "transformers":
        from bakeoff.models.transformers_adapter import resolve_path

        return resolve_path(str(defaults["name_or_path"]))[1]
    from bakeoff.models.open_clip_adapter import resolve_source

    return resolve_source(str(defaults["clip_model"]), defaults.get("pretrained"), defaults.get("quick_gelu")).identity
