"""Building datasets from folders, and filling image metadata."""

from __future__ import annotations

import logging
import os
import random
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from bakeoff._config import config
from bakeoff.core.fields import StringField
from bakeoff.core.labels import Classification
from bakeoff.core.metadata import read_metadata
from bakeoff.core.sample import Sample
from bakeoff.core.schema import DEFAULT_FIELDS, flatten
from bakeoff.errors import DatasetImportError, FieldError, ImageDecodeError, InvalidOptionError, brief
from bakeoff.storage import samples as store
from bakeoff.storage.engine import read, write

if TYPE_CHECKING:
    from bakeoff.core.dataset import Dataset

logger = logging.getLogger(__name__)

#: File extensions treated as images (case-insensitive).
IMAGE_EXTENSIONS = frozenset(
    {".jpg", ".jpeg", ".png", ".gif", ".bmp", ".tif", ".tiff", ".webp", ".ppm", ".pgm", ".pbm", ".jfif"}
)

MEDIA_ERROR_FIELD = "media_error"


def _progress(progress: bool | None) -> bool:
    return config.show_progress_bars if progress is None else bool(progress)


#: Why an entry of a class folder did not become a sample (keys of ``dataset.info["skipped"]``).
SKIP_NOT_IMAGE = "not an image file name"
SKIP_HIDDEN = "hidden (name starts with '.')"
SKIP_FOLDER_NAMED_LIKE_IMAGE = "folder named like an image"
SKIP_SUBFOLDER = "subfolder (class folders are not searched recursively)"


def looks_like_image(name: str) -> bool:
    """True for a visible name with an image extension (``IMAGE_EXTENSIONS``, any case)."""
    return not name.startswith(".") and os.path.splitext(name)[1].lower() in IMAGE_EXTENSIONS


def _skip_reason(name: str, is_dir: bool) -> str | None:
    """None when the entry becomes a sample, else why it is skipped."""
    if name.startswith("."):
        return SKIP_HIDDEN
    if looks_like_image(name):
        return SKIP_FOLDER_NAMED_LIKE_IMAGE if is_dir else None
    return SKIP_SUBFOLDER if is_dir else SKIP_NOT_IMAGE


def _is_dir(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir()  # follows symlinks
    except OSError:  # a symlink loop, no permission: not a folder we could search
        return False


def scan_directory_tree(dataset_dir: str | os.PathLike, label_fn: Callable[[str], str] | None = None
                        ) -> tuple[list[tuple[str, str]], dict[str, int]]:
    """``([(filepath, label), ...] sorted by class folder then file name, {skip reason: count})``.

    Every entry of a class folder whose name looks like an image (``IMAGE_EXTENSIONS``, not hidden)
    becomes a sample, whatever it is: a dangling symlink, a symlink loop, a named pipe or an
    unreadable file too (``compute_metadata`` records why in ``media_error``), except folders named
    like images. What is skipped is counted per reason (``SKIP_*``); nothing is opened or read.

    ``dataset_dir`` may be an fsspec URL (``s3://bucket/pets``, ``memory://pets``): the samples then keep URLs.
    """
    from bakeoff.media.files import is_url

    if is_url(os.fspath(dataset_dir)):
        return _scan_url_tree(os.fspath(dataset_dir), label_fn)
    root = Path(dataset_dir).expanduser()
    if not root.is_dir():
        raise DatasetImportError(f"dataset_dir {str(root)!r} is not a folder; pass the folder that holds one subfolder per class")
    class_dirs = sorted((p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")), key=lambda p: p.name)
    if not class_dirs:
        loose = [p.name for p in root.iterdir() if p.is_file()][:3]
        hint = f" (it holds files such as {loose}, but no class subfolders)" if loose else " (it is empty)"
        raise DatasetImportError(
            f"no class subfolders in {str(root)!r}{hint}; an image classification directory tree "
            "has one subfolder per class, e.g. dataset_dir/horse/0001.jpg"
        )
    items: list[tuple[str, str]] = []
    skipped: Counter[str] = Counter()
    for class_dir in class_dirs:
        label = label_fn(class_dir.name) if label_fn else class_dir.name
        folder = class_dir.absolute()
        with os.scandir(folder) as entries:
            for entry in sorted(entries, key=lambda e: e.name):
                reason = _skip_reason(entry.name, _is_dir(entry))
                if reason is None:
                    items.append((str(folder / entry.name), label))
                else:
                    skipped[reason] += 1
    if not items:
        raise DatasetImportError(
            f"no images in the {len(class_dirs)} class folders of {str(root)!r} "
            f"(looked for {', '.join(sorted(IMAGE_EXTENSIONS))}; skipped {describe_skipped(skipped) or 'nothing'})"
        )
    return items, dict(skipped)


def describe_skipped(skipped: dict[str, int]) -> str:
    """``"2 entries; not an image file name: 1; folder named like an image: 1"``, or ``""`` when none."""
    total = sum(skipped.values())
    if not total:
        return ""
    parts = "; ".join(f"{reason}: {count}" for reason, count in sorted(skipped.items(), key=lambda kv: (-kv[1], kv[0])))
    return f"{total} {'entry' if total == 1 else 'entries'}; {parts}"


def _scan_url_tree(url: str, label_fn: Callable[[str], str] | None) -> tuple[list[tuple[str, str]], dict[str, int]]:
    from bakeoff.media.files import list_folder

    try:
        entries = list_folder(url)
    except FileNotFoundError:
        raise DatasetImportError(f"dataset_dir {url!r} does not exist; pass the folder that holds one subfolder "
                                 "per class") from None
    class_dirs = sorted((e for e in entries if e[1] and not _basename(e[0]).startswith(".")), key=lambda e: e[0])
    if not class_dirs:
        raise DatasetImportError(f"no class subfolders in {url!r}; an image classification directory tree has one "
                                 "subfolder per class, e.g. s3://bucket/pets/horse/0001.jpg")
    items: list[tuple[str, str]] = []
    skipped: Counter[str] = Counter()
    for folder, _ in class_dirs:
        name = _basename(folder)
        label = label_fn(name) if label_fn else name
        for path, is_dir in sorted(list_folder(folder)):
            reason = _skip_reason(_basename(path), is_dir)
            if reason is None:
                items.append((path, label))
            else:
                skipped[reason] += 1
    if not items:
        raise DatasetImportError(f"no images in the {len(class_dirs)} class folders of {url!r} "
                                 f"(skipped {describe_skipped(skipped) or 'nothing'})")
    return items, dict(skipped)


def _basename(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1]


def select_items(items: list, max_samples: int | None, shuffle: bool, seed: int | None) -> list:
    """The first ``max_samples`` items, or a reproducible random draw across all of them when shuffling."""
    if max_samples is not None and max_samples < 0:
        raise InvalidOptionError(f"max_samples must be >= 0 (or None for all), got {brief(max_samples)}")
    if shuffle:
        items = list(items)
        random.Random(seed).shuffle(items)
    return items[:max_samples] if max_samples is not None else items


def import_directory_tree(cls, dataset_dir, dataset_type, label_field, name, max_samples, shuffle, seed,
                          persistent, overwrite, compute_metadata, progress, label_fn=None) -> Dataset:
    from bakeoff.types import ImageClassificationDirectoryTree

    if dataset_type is None:
        dataset_type = ImageClassificationDirectoryTree
    if dataset_type is not ImageClassificationDirectoryTree and not isinstance(dataset_type, ImageClassificationDirectoryTree):
        raise DatasetImportError(
            f"unsupported dataset_type {dataset_type!r}; bakeoff imports "
            "bakeoff.types.ImageClassificationDirectoryTree"
        )
    builtin = isinstance(label_field, str) and label_field in DEFAULT_FIELDS
    if builtin or not isinstance(label_field, str):
        raise FieldError(f"label_field must name a field for the labels, such as 'ground_truth'; got "
                         f"{brief(label_field)}{', a built-in field' if builtin else ''}")

    def labelled(path: str, label: str) -> Sample:
        sample = Sample(path)
        sample[label_field] = Classification(label=label)
        return sample

    items, skipped = scan_directory_tree(dataset_dir, label_fn)
    items = select_items(items, max_samples, shuffle, seed)
    dataset = cls(name, persistent=persistent, overwrite=overwrite)
    try:
        dataset.add_samples(labelled(path, label) for path, label in items)
        if skipped:
            logger.info("skipped %s in the class folders of %s", describe_skipped(skipped), dataset_dir)
        source = os.fspath(dataset_dir)
        dataset._set_info(import_source=source if "://" in source else str(Path(source).expanduser().absolute()),
                          skipped_files=sum(skipped.values()), skipped=skipped)
        if compute_metadata:
            dataset.compute_metadata(progress=progress)
    except BaseException:
        dataset.delete()  # never leave a half-imported dataset behind
        raise
    return dataset


def fill_metadata(collection, overwrite: bool, num_workers: int | None, skip_failures: bool,
                  progress: bool | None) -> int:
    """Read image headers in threads and write ``metadata`` in batches; returns the failure count."""
    from tqdm.auto import tqdm

    from bakeoff.core.dataset import WRITE_BATCH_SIZE

    dataset = collection._root()
    if not overwrite:
        collection = collection.exists("metadata", False)
    schema, builder = collection._builder()
    table = dataset._sync()[1]
    with read(dataset._engine) as conn:
        todo = conn.execute(builder.select([store.ROWID, "filepath"])).all()
    if not todo:
        return 0
    meta_field = schema.fields["metadata"]
    has_error_field = MEDIA_ERROR_FIELD in schema.fields
    failures = 0
    rows: list[dict] = []
    results = read_metadata([r.filepath for r in todo], num_workers)
    bar = tqdm(total=len(todo), desc="metadata", unit="img", disable=not _progress(progress))
    with bar:
        for (rowid, filepath), (meta, error) in zip(todo, results, strict=True):
            if error is not None:
                if not skip_failures:
                    raise ImageDecodeError(filepath, error)
                failures += 1
                if not has_error_field:
                    dataset._add_fields({MEDIA_ERROR_FIELD: StringField(description="why the image could not be read")})
                    schema, table = dataset._sync()
                    has_error_field = True
            row = {store.ROWID: rowid}
            flatten("metadata", meta_field, meta, row)
            if has_error_field:
                row[MEDIA_ERROR_FIELD] = error
            rows.append(row)
            bar.update()
            if len(rows) >= WRITE_BATCH_SIZE:
                _write_rows(dataset, table, rows)
                rows = []
        _write_rows(dataset, table, rows)
    return failures


def _write_rows(dataset: Dataset, table, rows: list[dict]) -> None:
    if not rows:
        return
    names = set().union(*(r.keys() for r in rows))
    rows = [{n: r.get(n) for n in names} for r in rows]
    with write(dataset._engine) as conn:
        store.update_rows(conn, table, store.ROWID, rows)
