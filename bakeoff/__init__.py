"""bakeoff: which zero-shot image classifier works best on *your* images?

The public API follows FiftyOne's names::

    import bakeoff as fo
    import bakeoff.zoo as foz

    dataset = foz.load_zoo_dataset("caltech101", max_samples=1000, shuffle=True, persistent=True)
    dataset.distinct("ground_truth.label")

Importing bakeoff does not import torch, transformers or open_clip.
"""

from bakeoff import types
from bakeoff._config import Config, config
from bakeoff._wiring import wire as _wire
from bakeoff.core.aggregations import (
    Aggregation,
    Bounds,
    Count,
    CountValues,
    Distinct,
    HistogramValues,
    Mean,
    Quantiles,
    Std,
    Sum,
    Values,
)
from bakeoff.core.dataset import Dataset
from bakeoff.core.document import EmbeddedDocument
from bakeoff.core.expressions import ViewExpression, ViewField
from bakeoff.core.fields import (
    BooleanField,
    DateField,
    DateTimeField,
    DictField,
    EmbeddedDocumentField,
    Field,
    FloatField,
    IntField,
    ListField,
    ObjectIdField,
    StringField,
    VectorField,
)
from bakeoff.core.labels import Classification, Classifications, Label
from bakeoff.core.metadata import ImageMetadata, Metadata
from bakeoff.core.registry import (
    dataset_exists,
    delete_dataset,
    delete_non_persistent_datasets,
    list_datasets,
    load_dataset,
)
from bakeoff.core.sample import Sample
from bakeoff.core.transactions import snapshot, transaction
from bakeoff.core.view import DatasetView
from bakeoff.errors import (
    BakeoffError,
    DatasetExistsError,
    DatasetImportError,
    DatasetNotFoundError,
    FieldError,
    FieldTypeError,
    SampleNotFoundError,
    StorageError,
    UnknownFieldError,
    ZooDownloadError,
    ZooError,
)

__version__ = "0.1.0"

_wire()  # core's door methods (evaluate_classifications, apply_model, ...) find the layers that do the work


def compare(collection, pred_fields=None, gt_field="ground_truth", **kwargs):
    """Compare prediction fields against the ground truth and each other (see :mod:`bakeoff.evaluation.compare`).

    Example::

        comparison = fo.compare(dataset)
        print(comparison)
        comparison.all_wrong()
    """
    from bakeoff.evaluation.compare import compare as _compare

    return _compare(collection, pred_fields, gt_field, **kwargs)


def launch_app(dataset_or_view=None, port: int = 5151, address: str = "127.0.0.1", auto: bool = True,
               remote: bool = False, token: str | None = None):
    """Serve the App for a dataset or view and return its ``Session`` (see :mod:`bakeoff.app`).

    Example::

        session = fo.launch_app(dataset.match(F("clip_eval") == False), auto=False)
        session.url        # 'http://127.0.0.1:5151/?token=...': only whoever has the token can use the App
    """
    from bakeoff.app import launch_app as _launch_app

    return _launch_app(dataset_or_view, port=port, address=address, auto=auto, remote=remote, token=token)

__all__ = [
    "Aggregation", "Bounds", "Count", "CountValues", "DatasetView", "Distinct", "HistogramValues", "Mean",
    "Quantiles", "Std", "Sum", "Values", "ViewExpression", "ViewField", "compare", "launch_app",
    "BakeoffError", "BooleanField", "Classification", "Classifications", "Config", "Dataset", "DatasetExistsError",
    "DatasetImportError", "DatasetNotFoundError", "DateField", "DateTimeField", "DictField", "EmbeddedDocument",
    "EmbeddedDocumentField", "Field", "FieldError", "FieldTypeError", "FloatField", "ImageMetadata", "IntField",
    "Label", "ListField", "Metadata", "ObjectIdField", "Sample", "SampleNotFoundError", "StorageError",
    "StringField", "UnknownFieldError", "VectorField", "ZooDownloadError", "ZooError", "__version__", "config",
    "dataset_exists", "delete_dataset", "delete_non_persistent_datasets", "list_datasets", "load_dataset", "snapshot",
    "transaction", "types",
]
