"""Dataset types understood by :meth:`bakeoff.Dataset.from_dir`."""

from __future__ import annotations


class DatasetType:
    """Base class of dataset layouts."""


class ImageClassificationDirectoryTree(DatasetType):
    """One subfolder per class, holding that class's images::

        dataset_dir/
            horse/  image_0001.jpg ...
            zebra/  image_0001.jpg ...

    The folder name is the label (``label_fn`` of a zoo dataset may clean it).
    """


__all__ = ["DatasetType", "ImageClassificationDirectoryTree"]
