"""Zero-shot image classifiers: one abstraction, adapters for open_clip and transformers, the zoo.

Importing this package does not import torch, transformers or open_clip; the
adapters import them when a model is loaded.

Example::

    >>> from bakeoff.models import load_zoo_model, list_zoo_models
    >>> "open-clip-torch" in list_zoo_models()
    True
    >>> model = load_zoo_model("clip-vit-base32-torch", classes=["cat", "dog"])   # doctest: +SKIP
"""

from bakeoff.models.base import Predictions, ZeroShotModel
from bakeoff.models.errors import (
    ModelConfigError,
    ModelNotAvailableOfflineError,
    NoClassesError,
    UnknownModelError,
)
from bakeoff.models.prompts import (
    TEXT_EMBEDDINGS,
    PromptSpec,
    TextEmbeddingCache,
    clean_class_name,
    ensemble,
)
from bakeoff.models.scoring import (
    Scorer,
    SigmoidScorer,
    SoftmaxScorer,
    TemperatureScorer,
)
from bakeoff.models.templates import TEMPLATE_SETS, get_template_set, list_template_sets
from bakeoff.models.zoo import (
    list_zoo_models,
    load_zoo_model,
    parse_model_name,
    register_model,
    zoo_model_info,
)

__all__ = [
    "TEMPLATE_SETS",
    "TEXT_EMBEDDINGS",
    "ModelConfigError",
    "ModelNotAvailableOfflineError",
    "NoClassesError",
    "Predictions",
    "PromptSpec",
    "Scorer",
    "SigmoidScorer",
    "SoftmaxScorer",
    "TemperatureScorer",
    "TextEmbeddingCache",
    "UnknownModelError",
    "ZeroShotModel",
    "clean_class_name",
    "ensemble",
    "get_template_set",
    "list_template_sets",
    "list_zoo_models",
    "load_zoo_model",
    "parse_model_name",
    "register_model",
    "zoo_model_info",
]
