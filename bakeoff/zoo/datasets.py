"""The dataset zoo: named datasets found locally or downloaded with checksums.

Example::

    import bakeoff.zoo as foz
    dataset = foz.load_zoo_dataset("caltech256", max_samples=1000, shuffle=True, seed=51, persistent=True)

Offline, a copy in the zoo folder in the archive's own layout is used with no
network access: ``<zoo dir>/caltech256/256_ObjectCategories/001.ak47/001_0001.jpg``
or ``<zoo dir>/caltech101/101_ObjectCategories/accordion/image_0001.jpg``
(``bakeoff.config.dataset_zoo_dir``, default ``~/.bakeoff/zoo``).
"""

from __future__ import annotations

import logging
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bakeoff._config import config
from bakeoff.errors import ZooError, suggest
from bakeoff.zoo.download import download, extract, move_into_place

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ZooDataset:
    """How to find, fetch and label one zoo dataset."""

    name: str
    description: str
    url: str
    archive_name: str
    dir_in_archive: str  # the class-folder root inside the unpacked archive
    md5: str | None = None
    #: archive inside the first archive (Caltech-101's zip holds a .tar.gz), with its md5
    inner_archive: str | None = None
    inner_md5: str | None = None
    label_fn: Callable[[str], str] | None = None
    license: str = ""
    source: str = ""
    tags: tuple[str, ...] = field(default=())
    #: datasets made locally instead of downloaded: writes the class folders into the given folder
    generate: Callable[[Path], None] | None = None

    def local_dir(self, dataset_dir: str | Path | None = None) -> Path | None:
        """The class-folder root if a copy is already present, else None."""
        candidates = []
        if dataset_dir is not None:
            base = Path(dataset_dir).expanduser()
            candidates += [base / self.dir_in_archive, base]
        candidates.append(config.dataset_zoo_dir / self.name / self.dir_in_archive)
        for path in candidates:
            if path.is_dir() and any(p.is_dir() for p in path.iterdir()):
                return path
        return None

    def expected_dir(self, dataset_dir: str | Path | None = None) -> Path:
        base = Path(dataset_dir).expanduser() if dataset_dir is not None else config.dataset_zoo_dir / self.name
        return base / self.dir_in_archive

    def fetch(self, dataset_dir: str | Path | None = None, progress: bool = True) -> Path:
        """Download and unpack (or generate) into the zoo folder (or ``dataset_dir``); return the class-folder root."""
        target = self.expected_dir(dataset_dir)
        if self.generate is not None:
            with tempfile.TemporaryDirectory(dir=_scratch(target)) as scratch:
                self.generate(Path(scratch) / "classes")
                move_into_place(Path(scratch) / "classes", target)
            return target
        where = (
            f"download {self.url} on a connected machine and unpack it so that the class folders are in "
            f"{target} (e.g. {target}/<class>/<image>.jpg), or pass dataset_dir="
        )
        with tempfile.TemporaryDirectory(dir=_scratch(target)) as scratch:
            tmp = Path(scratch)
            archive = download(self.url, tmp / self.archive_name, self.md5, progress, where)
            extract(archive, tmp / "unpacked")
            if self.inner_archive:
                inner = next((tmp / "unpacked").rglob(self.inner_archive), None)
                if inner is None:
                    raise ZooError(f"{self.archive_name} from {self.url} does not hold {self.inner_archive}; {where}")
                if self.inner_md5:
                    from bakeoff.zoo.download import md5sum

                    if md5sum(inner) != self.inner_md5:
                        raise ZooError(f"checksum mismatch for {self.inner_archive} inside {self.url}; {where}")
                extract(inner, tmp / "inner")
                unpacked = tmp / "inner"
            else:
                unpacked = tmp / "unpacked"
            found = next((p for p in unpacked.rglob(self.dir_in_archive) if p.is_dir()), None)
            if found is None:
                raise ZooError(f"the archive from {self.url} holds no {self.dir_in_archive!r} folder; {where}")
            move_into_place(found, target)
        return target


def _scratch(target: Path) -> Path:
    # unpack next to the destination so the final move is a rename on the same disk
    target.parent.mkdir(parents=True, exist_ok=True)
    return target.parent


def _generate_demo_shapes(folder: Path) -> None:
    from bakeoff.demo.shapes import write_dataset

    write_dataset(folder, per_class=20, seed=0, size=64)


def caltech256_label(folder: str) -> str:
    """``'001.ak47'`` -> ``'ak47'``, ``'232.t-shirt'`` -> ``'t-shirt'``."""
    return re.sub(r"^\d+\.", "", folder)


ZOO_DATASETS: dict[str, ZooDataset] = {
    z.name: z
    for z in (
        ZooDataset(
            name="caltech101",
            description="Caltech-101: 9,145 images of 101 object classes plus BACKGROUND_Google; labels are the folder names",
            url="https://data.caltech.edu/records/mzrjq-6wc02/files/caltech-101.zip?download=1",
            archive_name="caltech-101.zip",
            dir_in_archive="101_ObjectCategories",
            inner_archive="101_ObjectCategories.tar.gz",
            inner_md5="b224c7392d521a49829488ab0f1120d9",
            license="CC-BY-4.0",
            source="https://data.caltech.edu/records/mzrjq-6wc02",
            tags=("image", "classification"),
        ),
        ZooDataset(
            name="caltech256",
            description="Caltech-256: 30,607 images of 256 object classes plus clutter; labels drop the numeric prefix",
            url="https://data.caltech.edu/records/nyy15-4j048/files/256_ObjectCategories.tar?download=1",
            archive_name="256_ObjectCategories.tar",
            dir_in_archive="256_ObjectCategories",
            md5="67b4f42ca05d46448c6bb8ecd2220f6d",
            label_fn=caltech256_label,
            license="CC-BY-4.0",
            source="https://data.caltech.edu/records/nyy15-4j048",
            tags=("image", "classification"),
        ),
        ZooDataset(
            name="demo-shapes",
            description="bakeoff's synthetic demo: 1,280 64-px images of 8 colours x 8 shapes, generated "
                        "on first use (no download)",
            url="",
            archive_name="",
            dir_in_archive="shapes",
            license="CC0-1.0",
            source="bakeoff.demo.shapes (seed 0, 20 images per class)",
            tags=("image", "classification", "synthetic"),
            generate=_generate_demo_shapes,
        ),
    )
}


def list_zoo_datasets() -> list[str]:
    """Names of the zoo datasets."""
    return sorted(ZOO_DATASETS)


def get_zoo_dataset(name: str) -> ZooDataset:
    try:
        return ZOO_DATASETS[name]
    except KeyError:
        raise ZooError(
            f"unknown zoo dataset {name!r}.{suggest(name, ZOO_DATASETS)} Available: {', '.join(list_zoo_datasets())}"
        ) from None


def load_zoo_dataset(name: str, max_samples: int | None = None, shuffle: bool = False, seed: int | None = None,
                     persistent: bool = False, dataset_name: str | None = None, dataset_dir: str | Path | None = None,
                     overwrite: bool = False, download_if_necessary: bool = True, progress: bool | None = None,
                     label_field: str = "ground_truth"):
    """Load a zoo dataset, using a local copy when there is one.

    ``shuffle=True`` with ``max_samples`` draws a random subset across all classes,
    reproducible with ``seed``. A persistent dataset of the same name is returned
    as it is unless ``overwrite=True``.
    """
    from bakeoff.core.dataset import Dataset
    from bakeoff.core.importing import import_directory_tree
    from bakeoff.core.registry import dataset_exists, load_dataset

    zoo = get_zoo_dataset(name)
    if dataset_name is None:
        dataset_name = name if max_samples is None else f"{name}-{max_samples}"
    if dataset_exists(dataset_name) and not overwrite:
        existing = load_dataset(dataset_name)
        if existing.persistent or not persistent:
            return existing
    root = zoo.local_dir(dataset_dir)
    if root is None:
        if not download_if_necessary:
            raise ZooError(f"zoo dataset {name!r} is not in {zoo.expected_dir(dataset_dir)}; pass download_if_necessary=True")
        show = config.show_progress_bars if progress is None else progress
        root = zoo.fetch(dataset_dir, progress=show)
    dataset = import_directory_tree(
        Dataset, root, None, label_field, dataset_name, max_samples, shuffle, seed, persistent, True, True,
        progress, label_fn=zoo.label_fn,
    )
    dataset.info.update(zoo_dataset=name, source=zoo.source, license=zoo.license, shuffle=shuffle, seed=seed,
                        max_samples=max_samples)
    dataset.save()
    return dataset
