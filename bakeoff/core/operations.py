"""Dataset methods whose work lives above core: core's half of a dependency inversion.

``dataset.evaluate_classifications`` and ``dataset.apply_model`` are FiftyOne's names, so
they are methods of core's classes, but their work lives in :mod:`bakeoff.evaluation` and
:mod:`bakeoff.inference`, which import core. Core never imports them back, not even inside
a function: a door method asks this registry for the implementation, and the top layer
(:mod:`bakeoff._wiring`, run by ``import bakeoff``) said where it is::

    # bakeoff/_wiring.py (the top layer)
    provide(EVALUATION, load_evaluation)          # load_evaluation() imports bakeoff.evaluation...

    # bakeoff/core/evaluation_methods.py (core)
    return require(EVALUATION).evaluate_classifications(self, pred_field, ...)

A loader runs on first use, so ``import bakeoff`` imports neither scikit-learn nor torch.
Each :class:`Operation` names a :class:`~typing.Protocol` of what its provider offers:
a type checker holds the provider (a module, usually) to it.

A new family of door methods (say ``dataset.sort_by_similarity``, FiftyOne's door into the
brain, which bakeoff offers as ``bakeoff.brain.sort_by_similarity`` for now) adds a protocol,
an ``Operation`` here and one ``provide`` line in :mod:`bakeoff._wiring`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from bakeoff.errors import MissingDependencyError

if TYPE_CHECKING:  # types only: core never imports the layers above at run time
    import numpy as np

    from bakeoff.core.collection import SampleCollection
    from bakeoff.core.dataset import Dataset
    from bakeoff.core.view import DatasetView
    from bakeoff.evaluation.classification import ClassificationResults
    from bakeoff.inference.pipeline import Summary

T = TypeVar("T")


@dataclass(frozen=True)
class Operation(Generic[T]):
    """A family of dataset methods that a higher layer implements; ``T`` is what its provider offers."""

    #: the registry's key, e.g. "evaluation"
    name: str
    #: what stops working without a provider (for the error message)
    methods: str


class EvaluationProvider(Protocol):
    """What :class:`~bakeoff.core.evaluation_methods.EvaluationMethods` calls (:mod:`bakeoff.evaluation.classification`)."""

    def evaluate_classifications(self, collection: SampleCollection, pred_field: str, gt_field: str = ...,
                                 eval_key: str | None = ..., classes: list[str] | None = ...,
                                 missing: str | None = ..., method: str | None = ..., k: int = ...,
                                 progress: bool | None = ...) -> ClassificationResults: ...

    def list_evaluations(self, dataset: Dataset) -> list[str]: ...

    def get_evaluation_info(self, dataset: Dataset, eval_key: str) -> dict[str, Any]: ...

    def stale_evaluations(self, dataset: Dataset) -> dict[str, list[str]]: ...

    def load_evaluation_results(self, dataset: Dataset, eval_key: str) -> ClassificationResults: ...

    def load_evaluation_view(self, dataset: Dataset, eval_key: str) -> DatasetView: ...

    def rename_evaluation(self, dataset: Dataset, eval_key: str, new_eval_key: str) -> None: ...

    def delete_evaluation(self, dataset: Dataset, eval_key: str) -> None: ...

    def delete_evaluations(self, dataset: Dataset) -> None: ...


class InferenceProvider(Protocol):
    """What :class:`~bakeoff.core.inference_methods.InferenceMethods` calls (:mod:`bakeoff.inference.pipeline`)."""

    def run(self, collection: SampleCollection, models: Mapping[str, Any], batch_size: int | None = ...,
            num_workers: int | None = ..., store_logits: bool = ..., confidence_thresh: float | None = ...,
            skip_failures: bool = ..., progress: bool | Callable[[int, int], Any] | None = ...,
            use_cache: bool = ..., max_pixels: int | None = ..., draft_size: int | None = ...,
            backend: str | None = ..., **backend_options: Any) -> Summary: ...

    def compute_embeddings(self, collection: SampleCollection, model: Any, batch_size: int | None = ...,
                           num_workers: int | None = ..., skip_failures: bool = ...,
                           progress: bool | Callable[[int, int], Any] | None = ...,
                           embeddings_field: str | None = ..., backend: str | None = ...,
                           **backend_options: Any) -> np.ndarray: ...

    def list_model_runs(self, dataset: Dataset) -> list[str]: ...

    def get_model_run_info(self, dataset: Dataset, label_field: str) -> dict[str, Any]: ...


class BrainProvider(Protocol):
    """What :class:`~bakeoff.core.brain_methods.BrainMethods` calls (:mod:`bakeoff.brain`)."""

    def sort_by_similarity(self, collection: SampleCollection, query: Any, k: int | None = ...,
                           reverse: bool = ..., dist_field: str | None = ...,
                           brain_key: str | None = ...) -> DatasetView: ...

    def list_brain_runs(self, dataset: SampleCollection, type: str | None = ...,  # noqa: A002
                        method: str | None = ...) -> list[str]: ...

    def has_brain_run(self, dataset: SampleCollection, brain_key: str) -> bool: ...

    def get_brain_info(self, dataset: SampleCollection, brain_key: str) -> dict[str, Any]: ...

    def load_brain_results(self, dataset: SampleCollection, brain_key: str, model: Any = ...) -> Any: ...

    def load_brain_view(self, dataset: SampleCollection, brain_key: str) -> SampleCollection: ...

    def rename_brain_run(self, dataset: SampleCollection, brain_key: str, new_brain_key: str) -> None: ...

    def delete_brain_run(self, dataset: SampleCollection, brain_key: str) -> None: ...

    def delete_brain_runs(self, dataset: SampleCollection) -> None: ...


EVALUATION: Operation[EvaluationProvider] = Operation(
    "evaluation", "evaluate_classifications() and the other evaluation methods of datasets and views")
INFERENCE: Operation[InferenceProvider] = Operation(
    "inference", "apply_model(), apply_models(), compute_embeddings() and the model-run methods")
BRAIN: Operation[BrainProvider] = Operation(
    "brain", "sort_by_similarity() and the brain-run methods (list_brain_runs(), load_brain_results()...)")

_loaders: dict[str, Callable[[], Any]] = {}
_provided: dict[str, Any] = {}


def provide(operation: Operation[T], loader: Callable[[], T]) -> None:
    """Say where ``operation`` is implemented: ``loader()`` returns the provider, on first use.

    Providing again replaces the earlier provider (the next :func:`require` loads the new one).
    """
    _loaders[operation.name] = loader
    _provided.pop(operation.name, None)


def require(operation: Operation[T]) -> T:
    """The provider of ``operation`` (loaded on the first call), else :class:`~bakeoff.errors.MissingDependencyError`."""
    provider: T | None = _provided.get(operation.name)
    if provider is not None:
        return provider
    loader = _loaders.get(operation.name)
    if loader is None:
        raise MissingDependencyError(
            f"{operation.methods} need bakeoff's {operation.name!r} layer, and nothing provided it: "
            f"`import bakeoff` provides it (bakeoff/_wiring.py); reinstall bakeoff if that import fails")
    loaded = loader()
    _provided[operation.name] = loaded
    return loaded


def provided() -> list[str]:
    """The names of the operations that have a provider, e.g. ``['evaluation', 'inference']``."""
    return sorted(_loaders)
