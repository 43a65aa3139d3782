"""Dataset.from_dir: class-folder trees, subsets, bad folders, unreadable images."""

from __future__ import annotations

import pytest

import bakeoff as fo


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
