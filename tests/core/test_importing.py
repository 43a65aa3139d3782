"""Dataset.from_dir: class-folder trees, subsets, bad folders, unreadable images."""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import bakeoff as fo
from bakeoff.inference import ImageDecodeError, load_image


def test_from_dir_reads_classes_skips_non_images_and_records_unreadable(image_tree):
    dataset = fo.Dataset.from_dir(image_tree, fo.types.ImageClassificationDirectoryTree, name="tree")
    assert len(dataset) == 13  # 12 good JPEGs + the corrupt one; notes.txt skipped
    assert dataset.distinct("ground_truth.label") == ["cat", "dog", "horse"]
    assert dataset.info["skipped_files"] == 1
    broken = [s for s in dataset if s.filepath.endswith("broken.jpg")]
    assert len(broken) == 1 and broken[0].metadata is None
    assert "Error" in broken[0].media_error  # e.g. "OSError: Truncated File Read"
    good = [s for s in dataset if s.metadata is not None]
    assert len(good) == 12 and all(s.media_error is None for s in good)
    assert {s.metadata.width for s in good} == {40, 41, 42, 43}


def test_from_dir_default_type_and_label_field(image_tree):
    dataset = fo.Dataset.from_dir(image_tree, label_field="truth", compute_metadata=False)
    assert dataset.values("truth.label")[:4] == ["cat"] * 4
    assert dataset.values("metadata") == [None] * 13


def test_max_samples_shuffle_draws_across_classes_reproducibly(image_tree):
    first = fo.Dataset.from_dir(image_tree, max_samples=6, shuffle=True, seed=3, compute_metadata=False)
    again = fo.Dataset.from_dir(image_tree, max_samples=6, shuffle=True, seed=3, compute_metadata=False)
    other = fo.Dataset.from_dir(image_tree, max_samples=6, shuffle=True, seed=4, compute_metadata=False)
    plain = fo.Dataset.from_dir(image_tree, max_samples=6, compute_metadata=False)
    assert first.values("filepath") == again.values("filepath")
    assert first.values("filepath") != other.values("filepath")
    assert plain.values("ground_truth.label") == ["cat"] * 4 + ["dog"] * 2  # first files, sorted
    assert len(first.distinct("ground_truth.label")) >= 2


def test_empty_folder_and_folder_without_class_subfolders(tmp_path, make_image):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(fo.DatasetImportError, match="it is empty"):
        fo.Dataset.from_dir(empty)
    flat = tmp_path / "flat"
    make_image(flat / "a.jpg")
    with pytest.raises(fo.DatasetImportError, match="no class subfolders"):
        fo.Dataset.from_dir(flat)
    no_images = tmp_path / "no-images"
    (no_images / "cat").mkdir(parents=True)
    (no_images / "cat" / "readme.md").write_text("hi")
    with pytest.raises(fo.DatasetImportError, match="no images"):
        fo.Dataset.from_dir(no_images)
    with pytest.raises(fo.DatasetImportError, match="is not a folder"):
        fo.Dataset.from_dir(tmp_path / "missing")
    assert fo.list_datasets() == []  # nothing half-made is left behind


def test_unsupported_dataset_type_is_refused(image_tree):
    with pytest.raises(fo.DatasetImportError, match="unsupported dataset_type"):
        fo.Dataset.from_dir(image_tree, dataset_type="COCODetectionDataset")


# -- what becomes a sample, what is skipped, what is unreadable -------------------------------


@pytest.fixture
def odd_tree(tmp_path, make_image):
    """cat/: two images, a dangling symlink, a symlink loop, a named pipe, all named like images; and what is
    no image: a folder named x.jpg, a subfolder, a hidden file, a text file."""
    root = tmp_path / "odd"
    cat = root / "cat"
    make_image(cat / "a.jpg")
    make_image(cat / "b.png", fmt="PNG")
    os.symlink(cat / "gone.jpg", cat / "dangling.jpg")
    os.symlink(cat / "loop.jpg", cat / "loop.jpg")
    os.mkfifo(cat / "pipe.jpg")
    (cat / "folder.jpg").mkdir()
    make_image(cat / "nested" / "deep.jpg")
    make_image(cat / "._a.jpg")
    (cat / "notes.txt").write_text("hi")
    return root


@pytest.mark.timeout(10)
def test_entries_named_like_images_become_samples_and_the_unreadable_ones_say_why(odd_tree):
    dataset = fo.Dataset.from_dir(odd_tree)
    names = [os.path.basename(p) for p in dataset.values("filepath")]
    assert names == ["a.jpg", "b.png", "dangling.jpg", "loop.jpg", "pipe.jpg"]  # sorted by name
    errors = dict(zip(names, dataset.values("media_error"), strict=True))
    assert errors["a.jpg"] is None and errors["b.png"] is None
    assert errors["dangling.jpg"].startswith("ImageDecodeError: dangling symlink: its target")
    assert errors["loop.jpg"].startswith("ImageDecodeError: symlink loop")
    assert errors["pipe.jpg"].startswith("ImageDecodeError: not a regular file (named pipe)")
    assert dataset.count("metadata") == 2
    assert dataset.info["skipped"] == {
        "folder named like an image": 1,
        "subfolder (class folders are not searched recursively)": 1,
        "hidden (name starts with '.')": 1,
        "not an image file name": 1,
    }
    assert dataset.info["skipped_files"] == 4


@pytest.mark.timeout(10)
def test_compute_metadata_on_a_named_pipe_returns_instead_of_hanging(tmp_path):
    os.mkfifo(tmp_path / "pipe.jpg")
    dataset = fo.Dataset()
    dataset.add_sample(fo.Sample(tmp_path / "pipe.jpg"))
    assert dataset.compute_metadata() == 1
    assert "not a regular file (named pipe)" in dataset.first().media_error
    with pytest.raises(OSError, match="named pipe"):
        dataset.compute_metadata(overwrite=True, skip_failures=False)


def test_a_folder_named_like_an_image_behind_a_url_is_skipped_and_counted():
    import uuid

    import fsspec

    fs = fsspec.filesystem("memory")
    root = f"/odd-{uuid.uuid4().hex[:8]}"
    buffer = io.BytesIO()
    Image.new("RGB", (20, 10)).save(buffer, "JPEG")
    fs.pipe(f"{root}/cat/a.jpg", buffer.getvalue())
    fs.pipe(f"{root}/cat/album.jpg/inside.jpg", buffer.getvalue())
    try:
        dataset = fo.Dataset.from_dir(f"memory://{root}")
        assert len(dataset) == 1 and dataset.info["skipped"] == {"folder named like an image": 1}
    finally:
        fs.rm(root, recursive=True)


def _variants(folder: Path) -> dict[str, bool]:
    """Files that are complete or cut short in different ways, and whether the decoder reads each."""
    rng = np.random.default_rng(3)
    pixels = Image.fromarray(rng.integers(0, 255, (120, 160, 3), dtype=np.uint8))
    folder.mkdir(parents=True)
    jpeg, png, gif = io.BytesIO(), io.BytesIO(), io.BytesIO()
    pixels.save(jpeg, "JPEG")
    pixels.save(png, "PNG")
    pixels.convert("P").save(gif, "GIF")
    files = {
        "jpeg_complete.jpg": jpeg.getvalue(),
        "jpeg_trailing_bytes.jpg": jpeg.getvalue() + b"\0" * 200,  # data after the end marker: still readable
        "jpeg_cut_in_half.jpg": jpeg.getvalue()[: len(jpeg.getvalue()) // 2],  # header intact, scan cut
        "jpeg_no_end_marker.jpg": jpeg.getvalue()[:-2],
        "png_complete.png": png.getvalue(),
        "png_cut_in_half.png": png.getvalue()[: len(png.getvalue()) // 2],
        "png_no_iend.png": png.getvalue()[:-12],  # only the end chunk missing: Pillow decodes it
        "gif_no_trailer.gif": gif.getvalue()[:-1],
    }
    readable = {}
    for name, data in files.items():
        (folder / name).write_bytes(data)
        try:
            load_image(str(folder / name))
            readable[name] = True
        except ImageDecodeError:
            readable[name] = False
    return readable


def test_the_import_check_is_as_strict_as_the_decoder_for_truncated_files(tmp_path):
    readable = _variants(tmp_path / "cut" / "things")
    assert readable == {"jpeg_complete.jpg": True, "jpeg_trailing_bytes.jpg": True, "jpeg_cut_in_half.jpg": False,
                        "jpeg_no_end_marker.jpg": False, "png_complete.png": True, "png_cut_in_half.png": False,
                        "png_no_iend.png": True, "gif_no_trailer.gif": True}
    dataset = fo.Dataset.from_dir(tmp_path / "cut")
    found = {os.path.basename(p): m is not None for p, m in zip(dataset.values("filepath"), dataset.values("metadata"),
                                                                 strict=True)}
    assert found == readable
    errors = [e for e in dataset.values("media_error") if e]
    assert len(errors) == 3 and all("truncated" in e for e in errors)


@pytest.mark.parametrize("label_field", ["filepath", "tags", "metadata", "id", "created_at", None, 3])
def test_a_label_field_that_cannot_hold_the_labels_is_refused_before_anything_is_made(image_tree, label_field):
    # "filepath" was a bare TypeError from Sample(); "tags" and "metadata" a message that named no field
    before = fo.list_datasets()
    with pytest.raises(fo.FieldError, match="label_field must name a field for the labels"):
        fo.Dataset.from_dir(image_tree, label_field=label_field, compute_metadata=False)
    assert fo.list_datasets() == before
