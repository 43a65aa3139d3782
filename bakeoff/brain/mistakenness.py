"""``compute_mistakenness``: how likely each ground-truth label is wrong, by FiftyOne's name.

The score is bakeoff's label-error method (:mod:`bakeoff.evaluation.label_errors`): the
fraction of the samples labelled otherwise that the models find more like this sample's label
than this sample, from the models' class probabilities (their stored logits, with the class
order their model runs recorded). 0 for a label the models agree with, uniform in [0, 1] for a
label drawn at random; higher is more likely a mistake, as FiftyOne's mistakenness. Several
prediction fields (models) can be passed; their probabilities are averaged per class.

Example::

    dataset.apply_model(clip, label_field="clip", store_logits=True)
    fob.compute_mistakenness(dataset, "clip", label_field="ground_truth")
    dataset.sort_by("mistakenness", reverse=True).limit(25)     # the labels to check first
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

from bakeoff.brain import runs
from bakeoff.brain.results import write_float_field
from bakeoff.brain.similarity import check_new_key
from bakeoff.errors import BrainError, brief

if TYPE_CHECKING:
    from bakeoff.core.collection import SampleCollection

TYPE = "mistakenness"


def compute_mistakenness(samples: SampleCollection, pred_field: str | Sequence[str], label_field: str = "ground_truth",
                         mistakenness_field: str = "mistakenness", use_logits: bool = True,
                         progress: Any = None) -> None:
    """Store each label's mistakenness in [0, 1] in the float field ``mistakenness_field`` (the run's brain key).

    ``pred_field``: the Classification field of a model applied with ``store_logits=True``, or a
    list of several. Samples whose label is not among the models' classes get None. The method
    always reads the logits (``use_logits`` is accepted for FiftyOne's calls); without stored
    logits it raises :class:`~bakeoff.errors.LabelErrorsError` saying how to store them.
    """
    from bakeoff.evaluation.label_errors import METHOD, score_label_errors
    from bakeoff.storage.identifiers import check_field_name

    fields = [pred_field] if isinstance(pred_field, str) else list(pred_field)
    if not fields or not all(isinstance(f, str) for f in fields):
        raise BrainError(f"pred_field must be a prediction field name or a list of them, got {brief(pred_field)}")
    check_field_name(mistakenness_field)
    dataset = runs.root_of(samples)
    check_new_key(dataset, mistakenness_field, TYPE)
    if len(samples) == 0:
        raise BrainError("compute_mistakenness() got an empty collection")
    ids = samples.values("id")
    labels = [getattr(v, "label", v) for v in samples.values(label_field)]
    # a missing label (None) is judged by no class: its score is NaN, stored as None
    found = score_label_errors(samples, fields, cast(list[str], [None if x is None else str(x) for x in labels]))
    values = [None if math.isnan(s) else float(s) for s in found.scores.tolist()]
    config = {"type": TYPE, "method": METHOD, "pred_fields": fields, "label_field": label_field,
              "fields": [mistakenness_field], "models": found.models, "left_out": found.left_out,
              "view": runs.view_stages(samples)}
    with runs.transaction(samples):  # the scores and the run's record: both or neither
        write_float_field(samples, mistakenness_field, ids, values)
        runs.save_record(dataset, mistakenness_field, config,
                         {"num_samples": len(ids), "num_scored": sum(v is not None for v in values)})
