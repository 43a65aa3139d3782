"""Where core's door methods lead: the providers of :mod:`bakeoff.core.operations`, wired by the top layer.

Core offers ``dataset.evaluate_classifications``, ``dataset.apply_model`` and their kin but
never imports the layers that do the work; ``import bakeoff`` runs :func:`wire`, which tells
core where each implementation lives. The loaders import on first use, so ``import bakeoff``
stays free of scikit-learn and torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bakeoff.core.operations import BRAIN, EVALUATION, INFERENCE, provide

if TYPE_CHECKING:
    from bakeoff.core.operations import BrainProvider, EvaluationProvider, InferenceProvider


def load_evaluation() -> EvaluationProvider:
    from bakeoff.evaluation import classification

    return classification


def load_inference() -> InferenceProvider:
    from bakeoff.inference import pipeline

    return pipeline


def load_brain() -> BrainProvider:
    import bakeoff.brain

    return bakeoff.brain


def wire() -> None:
    """Provide every operation core's doors need (idempotent)."""
    provide(EVALUATION, load_evaluation)
    provide(INFERENCE, load_inference)
    provide(BRAIN, load_brain)
