"""Views: a dataset seen through a chain of stages, evaluated lazily in the database.

Example::

    from bakeoff import ViewField as F
    view = dataset.match((F("siglip_eval") == True) & (F("clip_eval") == False))
    len(view); view.first(); view.values("filepath")
    dataset.save_view("siglip-only", view)
"""

from __future__ import annotations

import copy
import json
from typing import TYPE_CHECKING, Any

from bakeoff.core.collection import SampleCollection
from bakeoff.core.expressions import quote
from bakeoff.core.stages import ViewStage
from bakeoff.errors import InvalidViewError

if TYPE_CHECKING:
    from bakeoff.core.dataset import Dataset


class DatasetView(SampleCollection):
    """A read-mostly window on a dataset; chain more stages to narrow it further.

    Its samples are objects of their own (FiftyOne's ``SampleView``): saving one updates the
    dataset's sample object too.
    """

    _yields_dataset_samples = False

    def __init__(self, dataset: Dataset, stages: list[ViewStage] | None = None, name: str | None = None) -> None:
        self._dataset = dataset
        self._stages = list(stages or [])
        self._name = name

    @property
    def name(self) -> str | None:
        """The saved view's name for a view saved or loaded by name, else None; set by ``dataset.save_view``."""
        return self._name

    @property
    def is_saved(self) -> bool:
        return self._name is not None

    @property
    def media_type(self) -> str | None:
        return self._dataset.media_type

    # the dataset's properties, read and set through any of its views (as FiftyOne)
    @property
    def info(self) -> dict[str, Any]:
        return self._dataset.info

    @info.setter
    def info(self, value: dict[str, Any]) -> None:
        self._dataset.info = value

    @property
    def classes(self) -> dict[str, list[str]]:
        return self._dataset.classes

    @classes.setter
    def classes(self, value: dict[str, list[str]]) -> None:
        self._dataset.classes = value

    @property
    def default_classes(self) -> list[str]:
        return self._dataset.default_classes

    @default_classes.setter
    def default_classes(self, value: list[str]) -> None:
        self._dataset.default_classes = value

    @property
    def tags(self) -> list[str]:
        return self._dataset.tags

    @tags.setter
    def tags(self, value: list[str]) -> None:
        self._dataset.tags = value

    @property
    def description(self) -> str | None:
        return self._dataset.description

    @description.setter
    def description(self, value: str | None) -> None:
        self._dataset.description = value

    def __copy__(self) -> DatasetView:
        return DatasetView(self._dataset, self._stages, self._name)

    def __deepcopy__(self, memo: dict) -> DatasetView:
        # the dataset stays the same object (as FiftyOne); the stages are copied
        return DatasetView(self._dataset, copy.deepcopy(self._stages, memo), self._name)

    def _root(self) -> Dataset:
        return self._dataset

    def _stage_list(self) -> list[ViewStage]:
        return self._stages

    @property
    def dataset(self) -> Dataset:
        return self._dataset

    @property
    def dataset_name(self) -> str:
        return self._dataset.name

    @property
    def stages(self) -> list[ViewStage]:
        return list(self._stages)

    # -- serialization --------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {"dataset": self._dataset.name, "stages": [s.to_dict() for s in self._stages]}

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    @classmethod
    def from_dict(cls, data: dict[str, Any], dataset: Dataset | None = None) -> DatasetView:
        """Rebuild a view from :meth:`to_dict` output (on ``dataset``, or the named one).

        Every stage and expression is checked as it is read (:class:`~bakeoff.errors.InvalidViewError`).
        """
        if not isinstance(data, dict) or not isinstance(data.get("stages", []), list):
            raise InvalidViewError(f"a view must be an object like {{'dataset': 'name', 'stages': [...]}}, "
                                   f"got {quote(data)}")
        if dataset is None:
            from bakeoff.core.registry import load_dataset

            dataset = load_dataset(data["dataset"])
        view = cls(dataset, [ViewStage.from_dict(s) for s in data.get("stages", [])])
        view._builder()  # fail now on stages that no longer fit the dataset
        return view

    @classmethod
    def from_json(cls, text: str, dataset: Dataset | None = None) -> DatasetView:
        return cls.from_dict(json.loads(text), dataset)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DatasetView) and other._dataset == self._dataset and other._stages == self._stages

    __hash__ = None  # type: ignore[assignment]  # unhashable; mypy's false positive: python/mypy#4266

    def _describe(self) -> str:
        return f"this view of dataset {self._dataset.name!r}"

    def __repr__(self) -> str:
        schema = self._view_schema()
        fields = list(schema.fields)
        lines = [
            f"Dataset:     {self._dataset.name}",
            "Media type:  image",
            f"Num samples: {len(self)}",
            "Sample fields:",
            *[f"    {name}: {schema.fields[name]!r}" for name in fields],
            "View stages:",
            *[f"    {i}. {stage!r}" for i, stage in enumerate(self._stages, 1)],
        ]
        return "\n".join(lines)
