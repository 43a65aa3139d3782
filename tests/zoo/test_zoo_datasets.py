"""The dataset zoo: local copies, downloads through a local server, offline errors."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import http.server
import tarfile
import threading
import time

import pytest

import bakeoff as fo
import bakeoff.zoo as foz
from bakeoff.zoo import datasets as zoo_datasets


def test_caltech101_from_the_zoo_folder_shuffled_persistent_and_shared(caltech101_subset, bakeoff_home, run_python):
    (fo.config.dataset_zoo_dir).mkdir(parents=True)
    (fo.config.dataset_zoo_dir / "caltech101").symlink_to(caltech101_subset)
    dataset = foz.load_zoo_dataset("caltech101", max_samples=1000, shuffle=True, seed=51, persistent=True)
    assert len(dataset) == 1000 and dataset.persistent
    labels = dataset.distinct("ground_truth.label")
    assert len(labels) > 90 and "Faces_easy" in labels and "water_lilly" in labels  # folder names kept
    assert dataset.count("metadata") == 1000
    dataset.name = "CLIP-Comparison"

    # another process reopens it, reads, sets a field and its description
    code = """
import bakeoff as fo
d = fo.load_dataset("CLIP-Comparison")
assert len(d) == 1000, len(d)
labels = d.values("ground_truth.label")
d.set_values("guess", [fo.Classification(label=l, confidence=0.5) for l in labels])
f = d.get_field("guess"); f.description = "set by process 2"; f.info = {"by": "test"}; f.save()
print(d.first().filepath)
"""
    result = run_python(code, bakeoff_home)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == dataset.first().filepath
    dataset.reload()
    assert dataset.values("guess.label") == dataset.values("ground_truth.label")
    assert dataset.get_field("guess").description == "set by process 2"
    assert dataset.get_field("guess").info == {"by": "test"}

    # loading the same zoo dataset again returns the existing one
    assert foz.load_zoo_dataset("caltech101", max_samples=1000, shuffle=True, seed=51,
                                persistent=True, dataset_name="CLIP-Comparison") is dataset
    paths = dataset.values("filepath")
    again = foz.load_zoo_dataset("caltech101", max_samples=1000, shuffle=True, seed=51, persistent=True,
                                 dataset_name="CLIP-Comparison", overwrite=True)
    assert dataset.deleted and not again.has_field("guess")
    assert again.values("filepath") == paths  # same seed, same draw


def test_shuffle_draws_across_classes_not_the_first_files(caltech101_subset):
    dataset = foz.load_zoo_dataset("caltech101", max_samples=300, shuffle=True, seed=1,
                                   dataset_dir=caltech101_subset)
    first = foz.load_zoo_dataset("caltech101", max_samples=300, dataset_dir=caltech101_subset,
                                 dataset_name="first-300")
    assert len(dataset.distinct("ground_truth.label")) > 60
    assert len(first.distinct("ground_truth.label")) == 10  # 30 files per class, in sorted order


def test_caltech256_layout_drops_numeric_prefixes(tmp_path, make_image):
    root = tmp_path / "c256" / "256_ObjectCategories"
    for folder in ("001.ak47", "232.t-shirt", "257.clutter"):
        for i in range(2):
            make_image(root / folder / f"{folder[:3]}_{i:04d}.jpg")
    dataset = foz.load_zoo_dataset("caltech256", dataset_dir=tmp_path / "c256")
    assert dataset.distinct("ground_truth.label") == ["ak47", "clutter", "t-shirt"]
    assert dataset.name == "caltech256"


def test_unknown_zoo_dataset_suggests():
    with pytest.raises(fo.ZooError, match="Did you mean 'caltech256'"):
        foz.load_zoo_dataset("caltech-256")
    assert {"caltech101", "caltech256"} <= set(foz.list_zoo_datasets())


@pytest.fixture
def archive_server(tmp_path, make_image):
    """A local HTTP server serving a small Caltech-256-shaped tar archive."""
    src = tmp_path / "src"
    for folder in ("001.ak47", "002.american-flag"):
        for i in range(3):
            make_image(src / "256_ObjectCategories" / folder / f"{i}.jpg")
    archive = tmp_path / "served" / "256_ObjectCategories.tar"
    archive.parent.mkdir()
    with tarfile.open(archive, "w") as tf:
        tf.add(src / "256_ObjectCategories", arcname="256_ObjectCategories")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(archive.parent))
    handler.log_message = lambda *a, **k: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/256_ObjectCategories.tar"
    yield url, hashlib.md5(archive.read_bytes()).hexdigest()
    server.shutdown()


def _patch_zoo(monkeypatch, **changes):
    patched = dataclasses.replace(zoo_datasets.ZOO_DATASETS["caltech256"], **changes)
    monkeypatch.setitem(zoo_datasets.ZOO_DATASETS, "caltech256", patched)


def test_download_checks_md5_and_unpacks_into_the_zoo_folder(archive_server, monkeypatch):
    url, md5 = archive_server
    _patch_zoo(monkeypatch, url=url, md5=md5)
    dataset = foz.load_zoo_dataset("caltech256")
    assert len(dataset) == 6 and dataset.distinct("ground_truth.label") == ["ak47", "american-flag"]
    target = fo.config.dataset_zoo_dir / "caltech256" / "256_ObjectCategories" / "001.ak47" / "0.jpg"
    assert target.is_file() and dataset.first().filepath == str(target)
    # now the copy is local: no network needed even with a dead URL
    _patch_zoo(monkeypatch, url="http://127.0.0.1:9/none.tar", md5=md5)
    assert len(foz.load_zoo_dataset("caltech256", dataset_name="again")) == 6


def test_download_with_bad_checksum_fails_and_leaves_nothing(archive_server, monkeypatch):
    url, _ = archive_server
    _patch_zoo(monkeypatch, url=url, md5="0" * 32)
    with pytest.raises(fo.ZooDownloadError, match="checksum mismatch"):
        foz.load_zoo_dataset("caltech256")
    assert not (fo.config.dataset_zoo_dir / "caltech256" / "256_ObjectCategories").exists()
    assert fo.list_datasets() == []


@pytest.mark.parametrize("offline_env", [False, True])
def test_offline_without_a_copy_fails_fast_naming_url_and_folder(monkeypatch, offline_env):
    if offline_env:
        monkeypatch.setenv("BAKEOFF_OFFLINE", "1")
    else:  # a server that refuses connections stands in for "no network"
        _patch_zoo(monkeypatch, url="http://127.0.0.1:9/256_ObjectCategories.tar")
    start = time.monotonic()
    with pytest.raises(fo.ZooDownloadError) as info:
        foz.load_zoo_dataset("caltech256")
    assert time.monotonic() - start < 10
    message = str(info.value)
    expected_dir = fo.config.dataset_zoo_dir / "caltech256" / "256_ObjectCategories"
    assert "256_ObjectCategories.tar" in message and str(expected_dir) in message
