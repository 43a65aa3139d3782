"""Two view stages the App's page adds for the brain, expanded when the view is built.

- ``{"_cls": "SortBySimilarity", "kwargs": {"query": "a dog on a beach", "k": 50, "brain_key": "sim"}}``:
  FiftyOne's stage (without ``dist_field``, which would write a field): the view's ``k`` samples
  most similar to a text or a sample id, by the similarity index ``brain_key``;
- ``{"_cls": "SelectRegion", "kwargs": {"brain_key": "map", "polygon": [[x, y], ...]}}``: the view's
  samples whose point of the visualization ``brain_key`` lies inside the polygon (a box or a lasso
  drawn on the embeddings map), however many they are.

The view JSON stays small (a query, a polygon) and keeps what the person asked for; each stage
becomes core's ``select`` of the matching ids when the view is built (``build_view``), so the
session's ``view`` in Python is a normal view. Their arguments are checked here: a bad one is an
:class:`~bakeoff.errors.InvalidViewError` (400), an unknown brain key a 404.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from bakeoff.core.view import DatasetView
from bakeoff.errors import BrainError, InvalidViewError, brief

if TYPE_CHECKING:  # pragma: no cover
    from bakeoff.core.collection import SampleCollection
    from bakeoff.core.dataset import Dataset

#: the most samples a similarity search returns to the App
MAX_K = 10_000
MAX_VERTICES = 1000
BrainKey = Annotated[str, StringConstraints(min_length=1, max_length=100)]


class SortBySimilarityArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: Annotated[str, StringConstraints(min_length=1, max_length=1000)]
    k: int = Field(50, ge=1, le=MAX_K)
    brain_key: BrainKey | None = None
    reverse: bool = False


class SelectRegionArgs(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    brain_key: BrainKey
    polygon: list[tuple[float, float]] = Field(min_length=3, max_length=MAX_VERTICES)


def sort_by_similarity(dataset: Dataset, view: SampleCollection, args: SortBySimilarityArgs) -> SampleCollection:
    """The view's ``k`` samples most similar to the query (a sample id of the index, else a text)."""
    from bakeoff.brain.similarity import load_similarity_index, similarity_key

    index = load_similarity_index(dataset, similarity_key(dataset, args.brain_key))
    if not index.supports_prompts and not index.get_embeddings([args.query])[1]:
        attach_zoo_model(index)  # a text query, an index built from a model object: find that model in the zoo
    ids, _ = index.search(args.query, args.k, args.reverse, samples=view)
    return view.select(ids, ordered=True)


def attach_zoo_model(index: Any) -> None:
    """Give an index built from a model object the zoo model with the same weights, for text queries."""
    from bakeoff.brain.prompt_lab import find_zoo_model
    from bakeoff.models.zoo import load_zoo_model

    fingerprint = index.embeddings_source.get("fingerprint")
    name = find_zoo_model(fingerprint) if fingerprint else None
    if name is not None:
        index.set_model(load_zoo_model(name, precision=fingerprint.rsplit(":", 1)[-1], progress=False))


def region_ids(dataset: Dataset, args: SelectRegionArgs) -> list[str]:
    """The sample ids of the visualization's points inside the polygon (even-odd rule)."""
    from bakeoff.brain.management import get_brain_info
    from bakeoff.brain.visualization import load_visualization

    kind = get_brain_info(dataset, args.brain_key)["type"]
    if kind != "visualization":
        raise BrainError(f"brain run {args.brain_key!r} is a {kind} run, not a visualization: select a region of a "
                         "map made by fob.compute_visualization")
    results = load_visualization(dataset, args.brain_key)
    inside = points_inside(map_points(results.points), np.asarray(args.polygon, dtype=np.float64))
    return [results.sample_ids[i] for i in np.flatnonzero(inside)]


def map_points(points: np.ndarray) -> np.ndarray:
    """``[n, 2]`` points of a visualization for the plane (1-d maps on a line, 3-d ones by their first two axes)."""
    points = np.asarray(points, dtype=np.float64)
    if points.ndim != 2 or not len(points):
        return np.zeros((0, 2))
    return points[:, :2] if points.shape[1] >= 2 else np.pad(points, ((0, 0), (0, 1)))


def points_inside(points: np.ndarray, polygon: np.ndarray) -> np.ndarray:
    """Which ``points`` lie inside ``polygon`` (its vertices in order; the last joins the first).

    Example::

        >>> points_inside(np.array([[0.5, 0.5], [2.0, 0.5]]), np.array([[0, 0], [1, 0], [1, 1], [0, 1]])).tolist()
        [True, False]
    """
    x, y = points[:, 0], points[:, 1]
    inside = np.zeros(len(points), bool)
    with np.errstate(divide="ignore", invalid="ignore"):
        for (x1, y1), (x2, y2) in zip(polygon, np.roll(polygon, -1, axis=0), strict=True):
            if y1 == y2:
                continue  # a horizontal edge crosses no horizontal ray
            straddles = (y1 > y) != (y2 > y)
            inside ^= straddles & (x < (x2 - x1) * (y - y1) / (y2 - y1) + x1)
    return inside


def _args(model: type[BaseModel], stage: dict[str, Any]) -> Any:
    try:
        return model(**stage.get("kwargs", {}))
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors()[:5])
        raise InvalidViewError(f"{stage['_cls']}: {problems} (got {brief(stage.get('kwargs'), 300)})") from None


def _with_stages(dataset: Dataset, view: SampleCollection, stages: list[dict[str, Any]]) -> SampleCollection:
    if not stages:
        return view
    before = view.to_dict()["stages"] if isinstance(view, DatasetView) else []
    return DatasetView.from_dict({"dataset": dataset.name, "stages": before + stages}, dataset)


def has_brain_stages(stages: list[dict[str, Any]]) -> bool:
    return any(isinstance(s, dict) and s.get("_cls") in ("SortBySimilarity", "SelectRegion") for s in stages)


def apply_stages(dataset: Dataset, stages: list[dict[str, Any]]) -> SampleCollection:
    """The view of ``stages``, where the brain's stages become ``select`` stages in place."""
    view: SampleCollection = dataset
    pending: list[dict[str, Any]] = []
    for stage in stages:
        kind = stage.get("_cls")
        if kind not in ("SortBySimilarity", "SelectRegion"):
            pending.append(stage)
            continue
        view, pending = _with_stages(dataset, view, pending), []
        if kind == "SortBySimilarity":
            view = sort_by_similarity(dataset, view, _args(SortBySimilarityArgs, stage))
        else:
            view = view.select(region_ids(dataset, _args(SelectRegionArgs, stage)))
    return _with_stages(dataset, view, pending)
