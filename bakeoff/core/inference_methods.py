"""FiftyOne's model methods on datasets and views: thin doors into :mod:`bakeoff.inference`.

Core never imports the inference layer: :func:`~bakeoff.core.operations.require` finds it
(``import bakeoff`` provided it; the pipeline, and torch, load on first use).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

from bakeoff.core.operations import INFERENCE, require

if TYPE_CHECKING:  # types only: core never imports the layers above at run time
    import numpy as np

    from bakeoff.core.collection import SampleCollection
    from bakeoff.core.dataset import Dataset
    from bakeoff.inference.pipeline import Summary


class InferenceMethods:
    """Mixed into :class:`~bakeoff.core.collection.SampleCollection`."""

    if TYPE_CHECKING:
        def _root(self) -> Dataset: ...  # SampleCollection's

    def apply_model(self, model: Any, label_field: str = "predictions", confidence_thresh: float | None = None,
                    store_logits: bool = False, batch_size: int | None = None, num_workers: int | None = None,
                    skip_failures: bool = True, progress: Any = None, use_cache: bool = True,
                    **kwargs: Any) -> Summary:
        """Classify every image of this collection with ``model`` into the Classification field ``label_field``.

        Decoding runs in worker threads while the model computes; results are
        committed one batch at a time; image embeddings are cached, so applying
        the same model again with new classes or prompts decodes nothing; an
        interrupted run resumes where it stopped. Unreadable images leave the
        field empty and are listed in ``get_model_run_info(label_field)``
        (``skip_failures=False`` stops at the first one instead). ``progress`` is
        True/False/None (the config's default) for the bar, or a callable
        ``progress(done, total)`` called after each committed batch; an exception
        it raises stops the run, keeping what was committed. ``backend="ray"`` (or
        ``bakeoff.config.backend``) decodes and encodes on Ray Data, with ``replicas=``,
        ``num_gpus=`` and ``num_cpus=`` per model replica and ``ray_address=``.

        Example::

            model = foz.load_zoo_model("clip-vit-base32-torch", classes=classes)
            dataset.apply_model(model, label_field="clip")
        """
        return self.apply_models({label_field: model}, confidence_thresh=confidence_thresh,
                                 store_logits=store_logits, batch_size=batch_size, num_workers=num_workers,
                                 skip_failures=skip_failures, progress=progress, use_cache=use_cache, **kwargs)

    def apply_models(self, models: Mapping[str, Any], confidence_thresh: float | None = None,
                     store_logits: bool = False, batch_size: int | None = None, num_workers: int | None = None,
                     skip_failures: bool = True, progress: Any = None, use_cache: bool = True,
                     **kwargs: Any) -> Summary:
        """Apply several models in one pass: each image is decoded once, each model preprocesses it its own way.

        Example::

            dataset.apply_models({"clip": clip, "siglip": siglip}, store_logits=True)
        """
        collection = cast("SampleCollection", self)
        affected = self._root()._live_in(collection)  # sample objects held in memory see the predictions, as in FiftyOne
        summary = require(INFERENCE).run(collection, models, batch_size=batch_size, num_workers=num_workers,
                                         store_logits=store_logits, confidence_thresh=confidence_thresh,
                                         skip_failures=skip_failures, progress=progress, use_cache=use_cache,
                                         **kwargs)
        self._root()._refresh_samples(affected)
        return summary

    def compute_embeddings(self, model: Any, embeddings_field: str | None = None, batch_size: int | None = None,
                           num_workers: int | None = None, skip_failures: bool = True, progress: bool | None = None,
                           backend: str | None = None, **backend_options: Any) -> np.ndarray:
        """Image embeddings ``[n, d]`` in collection order, from the cache where possible.

        With ``embeddings_field`` they are also stored on the samples; ``backend="ray"``
        encodes what the cache lacks on Ray (see ``apply_model``).
        """
        return require(INFERENCE).compute_embeddings(cast("SampleCollection", self), model, batch_size, num_workers,
                                                     skip_failures, progress, embeddings_field, backend,
                                                     **backend_options)

    def list_model_runs(self) -> list[str]:
        return require(INFERENCE).list_model_runs(self._root())

    def get_model_run_info(self, label_field: str) -> dict[str, Any]:
        """The run that wrote a field: ``config`` (model, fingerprint, classes, prompts, ``status``) and ``results``.

        ``results`` describe the whole field, over every call of a resumed run:
        ``num_values`` (samples with a value), ``num_failed`` and ``failures``
        (``{sample_id: reason}`` of the failures no later call retried with success;
        at most 1,000 named), ``num_samples`` (the two together), ``calls`` (each
        call's ``started_at``, ``ended_at``, ``planned``, ``num_samples``,
        ``num_failed``, ``interrupted``), totals of ``encoded``, ``from_cache``,
        ``decoded`` and ``duration_s``, and the last call's ``backend``. They are
        written with each committed batch, so they hold after a ``kill -9`` too.
        """
        return require(INFERENCE).get_model_run_info(self._root(), label_field)
