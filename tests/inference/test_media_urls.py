"""Images behind fsspec URLs (memory://, file://) through import, apply_model, its cache and the App."""

from __future__ import annotations

import io
import uuid

import fsspec
import numpy as np
import pytest
from PIL import Image

import bakeoff as fo
import bakeoff.zoo as foz
from bakeoff.media.files import is_url, media_identity


def _jpeg(color) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (48, 40), color).save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.fixture
def memory_tree():
    """memory://<unique>/<class>/<n>.jpg: 2 classes x 3 images, plus a text file; removed afterwards."""
    fs = fsspec.filesystem("memory")
    root = f"/bakeoff-{uuid.uuid4().hex[:8]}"
    for c, color in (("red", (220, 20, 20)), ("blue", (20, 20, 220))):
        for i in range(3):
            fs.pipe(f"{root}/{c}/{i}.jpg", _jpeg(tuple(max(0, v - 30 * i) for v in color)))
    fs.pipe(f"{root}/red/readme.txt", b"not an image")
    yield f"memory://{root}"
    fs.rm(root, recursive=True)


def test_is_url():
    assert is_url("s3://b/k.jpg") and is_url("memory:///x") and is_url("file:///tmp/a.jpg")
    assert not is_url("/tmp/a.jpg") and not is_url("relative/x.jpg") and not is_url("C:\\x.jpg")


def test_a_dataset_behind_memory_urls_is_imported_classified_and_cached(memory_tree, tmp_path):
    dataset = fo.Dataset.from_dir(memory_tree)
    assert len(dataset) == 6 and all(p.startswith("memory://") for p in dataset.values("filepath"))
    assert dataset.values("metadata.width") == [48] * 6 and dataset.info["skipped_files"] == 1
    model = foz.load_zoo_model("demo-clip", classes=["red square", "blue square"])
    first = dataset.apply_model(model, label_field="clip", store_logits=True)
    assert first.failed == 0 and first.decoded == 6
    # the same bytes as local files give the same predictions
    local = tmp_path / "copy"
    fs = fsspec.filesystem("memory")
    for path in dataset.values("filepath"):
        target = local / path.split("/")[-2] / path.split("/")[-1]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(fs.cat(path))
    copy = fo.Dataset.from_dir(local)
    copy.apply_model(model, label_field="clip", store_logits=True)
    np.testing.assert_allclose(np.stack(dataset.values("clip.logits")), np.stack(copy.values("clip.logits")), atol=1e-5)
    # new classes: from the cache; a changed file: encoded again
    model.classes = ["red circle", "blue circle"]
    again = dataset.apply_model(model, label_field="clip2")
    assert again.decoded == 0
    changed = dataset.values("filepath")[0]
    fs.pipe(changed, _jpeg((10, 200, 10)))
    assert media_identity(changed)[0] == len(fs.cat(changed))
    third = dataset.apply_model(model, label_field="clip3")
    assert third.decoded == 1


def test_a_missing_url_is_recorded_like_a_missing_file(memory_tree):
    dataset = fo.Dataset()
    _, gone = dataset.add_samples([fo.Sample(filepath=f"{memory_tree}/red/0.jpg"),
                                   fo.Sample(filepath=f"{memory_tree}/gone.jpg")])
    summary = dataset.apply_model(foz.load_zoo_model("demo-clip", classes=["red square", "blue square"]),
                                  label_field="clip")
    assert summary.failed == 1 and dataset.count("clip") == 1
    failures = dataset.get_model_run_info("clip")["results"]["failures"]
    assert failures == {gone: "the file does not exist"}


def test_file_urls_work_through_the_pipeline_and_the_app(tmp_path, make_image):
    from app_client import app_client

    path = make_image(tmp_path / "a.jpg", size=(64, 48))
    dataset = fo.Dataset("urls")
    sample_id = dataset.add_sample(fo.Sample(filepath=f"file://{path}"))
    assert dataset.first().filepath == f"file://{path}"
    dataset.apply_model(foz.load_zoo_model("demo-openclip", classes=["red square", "blue square"]),
                        label_field="oc")
    assert dataset.count("oc") == 1
    with app_client() as client:
        assert client.get(f"/media/urls/{sample_id}").content == path.read_bytes()
        thumb = client.get(f"/thumbnails/urls/{sample_id}?size=32")
        assert thumb.status_code == 200 and Image.open(io.BytesIO(thumb.content)).size[0] == 32
        path.unlink()
        assert client.get(f"/thumbnails/urls/{sample_id}?size=48").status_code == 404


def test_memory_urls_in_the_app(memory_tree):
    from app_client import app_client

    dataset = fo.Dataset.from_dir(memory_tree, name="mem")
    with app_client() as client:
        sample = dataset.first()
        assert client.get(f"/media/mem/{sample.id}").content == fsspec.filesystem("memory").cat(sample.filepath)
        assert client.get(f"/thumbnails/mem/{sample.id}").headers["content-type"] == "image/jpeg"


def test_a_protocol_without_its_package_or_unknown_is_a_clear_error():
    with pytest.raises(fo.BakeoffError, match="nosuchfs"):
        fo.Dataset.from_dir("nosuchfs://bucket/pets")
    if not _installed("s3fs"):
        with pytest.raises(fo.BakeoffError, match="s3fs"):
            fo.Dataset.from_dir("s3://bucket/pets")


def test_a_missing_url_folder_is_a_clear_import_error():
    with pytest.raises(fo.DatasetImportError, match="does not exist"):
        fo.Dataset.from_dir("memory://no/such/folder")


def _installed(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None
