"""FiftyOne Brain's methods on datasets and views: thin doors into :mod:`bakeoff.brain`.

Core never imports the brain: :func:`~bakeoff.core.operations.require` finds it (``import
bakeoff`` provided it; the brain loads on first use).

Example::

    import bakeoff.brain as fob

    fob.compute_similarity(dataset, model="demo-clip", brain_key="sim")
    dataset.sort_by_similarity("a red circle", k=25, brain_key="sim")
    dataset.list_brain_runs()                       # ['sim']
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from bakeoff.core.operations import BRAIN, require

if TYPE_CHECKING:  # types only: core never imports the layers above at run time
    from bakeoff.core.collection import SampleCollection
    from bakeoff.core.dataset import Dataset
    from bakeoff.core.view import DatasetView


class BrainMethods:
    """Mixed into :class:`~bakeoff.core.collection.SampleCollection`."""

    if TYPE_CHECKING:
        def _root(self) -> Dataset: ...  # SampleCollection's

    def sort_by_similarity(self, query: Any, k: int | None = None, reverse: bool = False,
                           dist_field: str | None = None, brain_key: str | None = None) -> DatasetView:
        """This collection sorted by similarity to ``query`` (text, a sample id or ids, or an embedding)
        with the similarity index ``brain_key`` from ``fob.compute_similarity``; the ``k`` most similar
        only when given. ``dist_field`` stores each sample's cosine distance. As FiftyOne's."""
        return require(BRAIN).sort_by_similarity(cast("SampleCollection", self), query, k=k, reverse=reverse, dist_field=dist_field,
                                                 brain_key=brain_key)

    def list_brain_runs(self, type: str | None = None, method: str | None = None) -> list[str]:  # noqa: A002
        """The keys of the dataset's brain runs, of one ``type`` ("similarity", "visualization"...) if given."""
        return require(BRAIN).list_brain_runs(self._root(), type, method)

    def has_brain_run(self, brain_key: str) -> bool:
        return require(BRAIN).has_brain_run(self._root(), brain_key)

    def get_brain_info(self, brain_key: str) -> dict[str, Any]:
        """The brain run's record: its key, type, config (model, method...) and when it ran."""
        return require(BRAIN).get_brain_info(self._root(), brain_key)

    def load_brain_results(self, brain_key: str, model: Any = None) -> Any:
        """The run's results: a similarity index, visualization points, duplicates..."""
        return require(BRAIN).load_brain_results(self._root(), brain_key, model)

    def load_brain_view(self, brain_key: str) -> Any:
        """The view the brain run was computed on."""
        return require(BRAIN).load_brain_view(self._root(), brain_key)

    def rename_brain_run(self, brain_key: str, new_brain_key: str) -> None:
        require(BRAIN).rename_brain_run(self._root(), brain_key, new_brain_key)

    def delete_brain_run(self, brain_key: str) -> None:
        """Delete the run's record, its stored data and the fields it wrote."""
        require(BRAIN).delete_brain_run(self._root(), brain_key)

    def delete_brain_runs(self) -> None:
        require(BRAIN).delete_brain_runs(self._root())
