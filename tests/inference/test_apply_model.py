"""apply_model end to end on tiny local models: equality with the adapter, cache, resume, bad images."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import bakeoff as fo
import bakeoff.zoo as foz
from bakeoff.inference import ImageDecodeError, load_image

CLASSES = ["red square", "green circle", "blue triangle", "a dog", "a cat"]


@pytest.fixture
def clip_dir(tiny_model_dir) -> Path:
    return tiny_model_dir("open_clip", "clip")


def _load(folder: Path, classes=CLASSES):
    return foz.load_zoo_model("open-clip-torch", clip_model=f"local-dir:{folder}", pretrained="", classes=classes)


@pytest.fixture
def photos(caltech101_subset):
    """40 real photos across classes (greyscale ones included)."""
    return fo.Dataset.from_dir(caltech101_subset / "101_ObjectCategories", max_samples=40, shuffle=True, seed=4,
                               compute_metadata=False)


@pytest.fixture
def generated(tmp_path, make_image):
    """Images in every mode the decoder converts, plus a large JPEG for draft mode."""
    folder = tmp_path / "modes" / "all"
    make_image(folder / "rgb.jpg", size=(64, 48), color=(200, 20, 20))
    make_image(folder / "grey.png", size=(40, 40), mode="L")
    Image.new("CMYK", (30, 50), (10, 200, 30, 0)).save(folder / "cmyk.jpg")
    Image.new("RGBA", (32, 32), (0, 0, 255, 100)).save(folder / "alpha.png")
    Image.new("P", (20, 30), 3).save(folder / "palette.png")
    Image.fromarray((np.arange(48 * 48, dtype=np.uint16) * 20).reshape(48, 48)).save(folder / "deep.png")
    make_image(folder / "large.jpg", size=(1400, 1100), color=(20, 200, 20))
    return fo.Dataset.from_dir(folder.parent, compute_metadata=False)


def _assert_equal_to_adapter(dataset, field, model):
    for sample in dataset:
        alone = model.predict([load_image(sample.filepath)])
        stored = sample[field]
        assert stored.label == alone.labels[0]
        assert stored.confidence == pytest.approx(float(alone.confidences[0]), abs=1e-5)
        np.testing.assert_allclose(stored.logits, alone.logits[0], atol=1e-5)


def test_stored_predictions_equal_classifying_each_image_alone(photos, generated, clip_dir):
    model = _load(clip_dir)
    for dataset in (photos, generated):
        summary = dataset.apply_model(model, label_field="tiny", store_logits=True, batch_size=8)
        assert summary.failed == 0 and summary.decoded == len(dataset)
        _assert_equal_to_adapter(dataset, "tiny", model)
    info = photos.get_model_run_info("tiny")
    assert info["config"]["classes"] == CLASSES and info["config"]["status"] == "complete"
    assert info["results"]["num_samples"] == 40 and info["config"]["fingerprint"] == model.fingerprint


def test_new_classes_rescore_from_the_cache_without_decoding(photos, clip_dir):
    model = _load(clip_dir)
    photos.apply_model(model, label_field="first", batch_size=16)
    model.classes = photos.distinct("ground_truth.label")
    cached = photos.apply_model(model, label_field="rescored", store_logits=True)
    assert cached.decoded == 0 and cached.per_field["rescored"]["from_cache"] == 40
    fresh = photos.apply_model(model, label_field="fresh", store_logits=True, use_cache=False)
    assert fresh.decoded == 40
    assert photos.values("rescored.label") == photos.values("fresh.label")
    np.testing.assert_allclose(photos.values("rescored.confidence"), photos.values("fresh.confidence"), atol=1e-6)
    embeddings = photos.compute_embeddings(model)
    assert embeddings.shape[0] == 40
    np.testing.assert_allclose(embeddings[0], model.encode_images([load_image(photos.first().filepath)])[0], atol=1e-5)


def test_a_changed_file_is_encoded_again(tmp_path, make_image, clip_dir):
    path = make_image(tmp_path / "imgs" / "x" / "a.jpg", color=(250, 0, 0))
    make_image(tmp_path / "imgs" / "x" / "b.jpg", color=(0, 0, 250))
    dataset = fo.Dataset.from_dir(tmp_path / "imgs", compute_metadata=False)
    model = _load(clip_dir)
    dataset.apply_model(model, label_field="p", store_logits=True)
    time.sleep(0.01)
    make_image(path, size=(50, 50), color=(0, 250, 0))  # same path, new content
    again = dataset.apply_model(model, label_field="p", store_logits=True)
    assert again.per_field["p"]["encoded"] == 1 and again.per_field["p"]["from_cache"] == 1
    _assert_equal_to_adapter(dataset, "p", model)


def test_two_models_share_one_decode(photos, clip_dir, tiny_model_dir):
    a = _load(clip_dir)
    b = foz.load_zoo_model("zero-shot-classification-transformer-torch",
                           name_or_path=str(tiny_model_dir("transformers", "clip")), classes=CLASSES)
    summary = photos.apply_models({"a": a, "b": b}, store_logits=True)
    assert summary.decoded == 40  # not 80
    _assert_equal_to_adapter(photos, "a", a)
    _assert_equal_to_adapter(photos, "b", b)


def test_confidence_threshold_empties_low_confidence_labels(photos, clip_dir):
    model = _load(clip_dir)
    photos.apply_model(model, label_field="all")
    threshold = float(np.median(photos.values("all.confidence")))
    photos.apply_model(model, label_field="confident", confidence_thresh=threshold)
    for conf, label in zip(photos.values("confident.confidence"), photos.values("confident.label"), strict=True):
        assert (label is None) == (conf < threshold)


def test_bad_arguments(photos, clip_dir):
    no_classes = _load(clip_dir, classes=None)
    with pytest.raises(Exception, match="no classes"):
        photos.apply_model(no_classes, label_field="x")
    with pytest.raises(fo.FieldError, match="exists as"):
        photos.apply_model(_load(clip_dir), label_field="filepath")
    with pytest.raises(TypeError, match="not a zero-shot model"):
        photos.apply_model("clip", label_field="x")


@pytest.fixture
def broken(tmp_path, make_image):
    folder = tmp_path / "broken" / "things"
    make_image(folder / "00_good.jpg", color=(10, 10, 200))
    (folder / "01_empty.jpg").write_bytes(b"")
    good = folder / "02_truncated.jpg"
    make_image(good, size=(200, 200), color=(40, 150, 20))
    good.write_bytes(good.read_bytes()[:300])
    (folder / "03_text.jpg").write_text("this is not a jpeg")
    make_image(folder / "04_bomb.png", size=(300, 300))
    make_image(folder / "05_good.png", color=(200, 200, 10))
    dataset = fo.Dataset.from_dir(folder.parent, compute_metadata=False)
    dataset.add_sample(fo.Sample(folder / "06_missing.jpg", ground_truth=fo.Classification(label="things")))
    return dataset


def test_broken_images_are_recorded_and_skipped(broken, clip_dir):
    model = _load(clip_dir)
    summary = broken.apply_model(model, label_field="p", batch_size=2, max_pixels=50_000)
    assert summary.failed == 5
    labels = dict(zip(broken.values("filepath"), broken.values("p.label"), strict=True))
    assert [Path(p).name for p, label in labels.items() if label is not None] == ["00_good.jpg", "05_good.png"]
    failures = broken.get_model_run_info("p")["results"]["failures"]
    reasons = {Path(broken[i].filepath).name: why for i, why in failures.items()}
    assert "empty" in reasons["01_empty.jpg"]
    assert "truncated" in reasons["02_truncated.jpg"].lower() or "Error" in reasons["02_truncated.jpg"]
    assert "identify" in reasons["03_text.jpg"]
    assert "decompression bomb" in reasons["04_bomb.png"]
    assert "does not exist" in reasons["06_missing.jpg"]


def test_skip_failures_false_stops_naming_the_file_and_keeps_committed_batches(broken, clip_dir):
    model = _load(clip_dir)
    with pytest.raises(ImageDecodeError, match="01_empty.jpg"):
        broken.apply_model(model, label_field="p", batch_size=1, skip_failures=False)
    assert broken.values("p.label")[0] is not None  # the first batch was committed


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their permissions")
def test_unreadable_permissions(tmp_path, make_image, clip_dir):
    path = make_image(tmp_path / "p" / "x" / "locked.jpg")
    path.chmod(0)
    dataset = fo.Dataset.from_dir(tmp_path / "p", compute_metadata=False)
    dataset.apply_model(_load(clip_dir), label_field="p")
    assert "permission" in next(iter(dataset.get_model_run_info("p")["results"]["failures"].values()))


RESUMABLE = """
import sys, time
import bakeoff as fo, bakeoff.zoo as foz
from bakeoff.inference import pipeline
dataset = fo.load_dataset("resume")
model = foz.load_zoo_model("open-clip-torch", clip_model="local-dir:{folder}", pretrained="", classes={classes!r})
original = pipeline.write_batch
def slow_write(*args, **kwargs):
    original(*args, **kwargs)
    print("batch", flush=True)
    time.sleep(0.3)
pipeline.write_batch = slow_write
dataset.apply_model(model, label_field="p", batch_size=4, store_logits=True, progress=False)
"""


def test_kill_minus_nine_then_resume_gives_the_uninterrupted_result(photos, clip_dir, bakeoff_home):
    photos.persistent = True
    photos.name = "resume"
    reference = photos.clone("reference")
    model = _load(clip_dir)
    reference.apply_model(model, label_field="p", batch_size=4, store_logits=True)

    env = {**os.environ, "BAKEOFF_HOME": str(bakeoff_home), "HF_HUB_OFFLINE": "1"}
    child = subprocess.Popen([sys.executable, "-c", RESUMABLE.format(folder=clip_dir, classes=CLASSES)],
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    batches = 0
    while batches < 3:
        line = child.stdout.readline()
        assert line, child.stderr.read()
        batches += line.startswith("batch")
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=30)
    done = photos.count("p")
    assert 12 <= done < 40  # whole batches of 4 survived, the rest is missing

    killed = photos.get_model_run_info("p")["results"]  # written with each batch: exact after kill -9
    assert killed["num_values"] == done and killed["calls"][0]["num_samples"] == done
    summary = photos.apply_model(model, label_field="p", batch_size=4, store_logits=True)
    assert summary.per_field["p"]["processed"] == 40 - done  # only what was missing
    results = photos.get_model_run_info("p")["results"]
    assert results["num_samples"] == results["num_values"] == 40 and results["num_failed"] == 0
    first, second = results["calls"]
    assert first["interrupted"] and first["ended_at"] is not None and first["num_samples"] == done
    assert not second["interrupted"] and second["num_samples"] == second["planned"] == 40 - done
    assert photos.values("p.label") == reference.values("p.label")
    np.testing.assert_allclose(np.stack(photos.values("p.logits")), np.stack(reference.values("p.logits")), atol=1e-6)
    assert photos.count("p") == 40 and len(set(photos.values("id"))) == 40


def test_compare_reports_top5_from_stored_logits(photos, clip_dir):
    model = _load(clip_dir, classes=photos.distinct("ground_truth.label"))
    photos.apply_model(model, label_field="tiny", store_logits=True)
    row = fo.compare(photos, pred_fields=["tiny"]).table[0]
    order = model.classes
    expected = np.mean([
        truth in [order[j] for j in np.argsort(-np.asarray(logits))[:5]]
        for truth, logits in zip(photos.values("ground_truth.label"), photos.values("tiny.logits"), strict=True)
    ])
    assert row["top5_accuracy"] == pytest.approx(expected)
    assert row["top5_accuracy"] >= row["accuracy"]
    results = photos.evaluate_classifications("tiny", eval_key="tiny_top5", method="top-k", k=5)  # classes from the run
    assert results.metrics()["top_5_accuracy"] == pytest.approx(expected)


def test_a_progress_callback_sees_every_batch_and_can_stop_the_run(photos, clip_dir):
    model = _load(clip_dir)
    calls = []

    def stop_after_two_batches(done, total):
        calls.append((done, total))
        if done >= 16:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        photos.apply_model(model, label_field="tiny", batch_size=8, progress=stop_after_two_batches)
    assert calls == [(0, 40), (8, 40), (16, 40)]
    assert photos.count("tiny") == 16  # both committed batches kept
    assert photos.get_model_run_info("tiny")["config"]["status"] == "running"
    calls.clear()
    resumed = photos.apply_model(model, label_field="tiny", batch_size=8, progress=lambda d, t: calls.append((d, t)))
    assert resumed.num_samples == 24 and photos.count("tiny") == 40
    assert calls[0] == (0, 24) and calls[-1] == (24, 24)
    photos.apply_model(model, label_field="whole", batch_size=8, progress=False)
    assert photos.values("tiny.label") == photos.values("whole.label")


@pytest.mark.parametrize("decode_ms, encode_ms, expected", [(2.0, 0.5, 1), (2.5, 52.0, 2)])
def test_torch_gives_its_threads_to_decoding_only_when_the_model_is_the_cheap_part(decode_ms, encode_ms, expected):
    import torch

    from bakeoff.inference.engine import Item, ThreadTuner
    from bakeoff.inference.pipeline import Task

    class CpuModel:
        device = "cpu"

    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        task = Task("f", CpuModel(), False, None)
        tuner = ThreadTuner([task], batch_size=4)
        for _ in range(2):
            batch = [Item(i, str(i), f"{i}.jpg", decode_s=decode_ms / 1e3) for i in range(4)]
            task.encoded += 4
            task.encode_s += 4 * encode_ms / 1e3
            tuner.observe(batch)
        assert torch.get_num_threads() == expected
        tuner.restore()
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


def test_a_run_lowers_torch_threads_only_while_it_is_the_only_run_in_the_process():
    import torch

    from bakeoff.inference.engine import Item, ThreadTuner
    from bakeoff.inference.pipeline import Task

    class CpuModel:
        device = "cpu"

    def decode_bound(tuner, task):
        for _ in range(2):
            task.encoded += 4
            task.encode_s += 4 * 0.5e-3
            tuner.observe([Item(i, str(i), f"{i}.jpg", decode_s=2e-3) for i in range(4)])

    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        first_task, second_task = Task("a", CpuModel(), False, None), Task("b", CpuModel(), False, None)
        first = ThreadTuner([first_task], batch_size=4)
        decode_bound(first, first_task)
        assert torch.get_num_threads() == 1  # alone: decoding gets the CPU
        second = ThreadTuner([second_task], batch_size=4)  # another run (an App job in a thread) starts
        assert torch.get_num_threads() == 2  # ...and finds torch as the process had it
        decode_bound(second, second_task)
        assert torch.get_num_threads() == 2  # two runs share the process: nobody lowers it
        first.restore()
        assert torch.get_num_threads() == 2
        second.restore()
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


def test_the_run_records_its_scorer_so_stored_logits_become_its_probabilities(photos, clip_dir, tiny_model_dir):
    from bakeoff.models.scoring import probabilities_from_config

    view = photos.limit(6)
    siglip = foz.load_zoo_model("zero-shot-classification-transformer-torch",
                                name_or_path=str(tiny_model_dir("transformers", "siglip")), classes=CLASSES)
    for name, model, kind in (("clip", _load(clip_dir), "softmax"), ("siglip", siglip, "sigmoid")):
        view.apply_model(model, label_field=name, store_logits=True)
        config = photos.get_model_run_info(name)["config"]
        assert config["scorer"]["probabilities"] == kind and config["scorer"]["family"] == model.family
        for label in view.values(name):
            probabilities = probabilities_from_config(label.logits, config)
            assert probabilities.max() == pytest.approx(label.confidence, abs=1e-5)
            assert (probabilities.sum() == pytest.approx(1.0, abs=1e-5)) == (kind == "softmax")


def test_apply_model_leaves_torch_threads_as_it_found_them(photos, clip_dir):
    import torch

    before = torch.get_num_threads()
    photos.apply_model(_load(clip_dir), label_field="tiny", batch_size=4, use_cache=False)
    assert torch.get_num_threads() == before


# -- memory bounded in bytes, only regular files ------------------------------------------------


def _old_deep_to_rgb(path) -> np.ndarray:
    """What the decoder made of a 16-bit image before bands and reduction: one float64 copy, truncated."""
    with Image.open(path) as image:
        array = np.asarray(image, dtype=np.float64)
    grey = np.clip(array / 65535.0 * 255.0, 0, 255).astype(np.uint8)
    return np.repeat(grey[:, :, None], 3, axis=2)


@pytest.mark.one_database
@pytest.mark.parametrize("band_pixels", [None, 1300 * 7])  # the default (one band here), and bands of 6-7 rows
def test_16_bit_images_decode_to_the_same_pixels_and_large_ones_are_reduced_early(tmp_path, monkeypatch, band_pixels):
    from bakeoff.media import decode

    if band_pixels:
        monkeypatch.setattr(decode, "_BAND_PIXELS", band_pixels)
    rng = np.random.default_rng(7)
    small = tmp_path / "small16.png"
    Image.fromarray(rng.integers(0, 65536, (300, 410), dtype=np.uint16)).save(small)
    assert Image.open(small).mode == "I;16"
    np.testing.assert_array_equal(np.asarray(load_image(small)), _old_deep_to_rgb(small))  # exactly as before
    # larger than 2 x draft_size: box-averaged by an integer factor (never below draft_size) before 8 bits
    big = tmp_path / "big16.png"
    Image.fromarray((np.arange(1100 * 1300, dtype=np.uint32) % 65536).astype(np.uint16).reshape(1100, 1300)).save(big)
    reduced = load_image(big, draft_size=512)
    assert reduced.mode == "RGB" and reduced.size == (650, 550)  # factor 1100 // 512 = 2
    reference = Image.fromarray(_old_deep_to_rgb(big)).reduce(2)  # full-size decode, then the same box filter
    assert np.abs(np.asarray(reduced, dtype=int) - np.asarray(reference, dtype=int)).max() <= 1  # 8-bit rounding
    full = load_image(big, draft_size=None)
    np.testing.assert_array_equal(np.asarray(full), _old_deep_to_rgb(big))


@pytest.mark.one_database
def test_exif_orientation_is_applied_to_8_bit_and_16_bit_images(tmp_path):
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to view
    deep, shallow = tmp_path / "rotated16.tif", tmp_path / "rotated8.jpg"
    pixels = np.zeros((20, 50), dtype=np.uint16)
    pixels[:, :10] = 65535  # a white band on the left becomes a band at the top
    Image.fromarray(pixels).save(deep, exif=exif)
    Image.fromarray((pixels >> 8).astype(np.uint8)).convert("RGB").save(shallow, exif=exif, quality=95)
    for path in (deep, shallow):
        image = load_image(path)
        assert image.size == (20, 50)
        top, bottom = np.asarray(image)[:10].mean(), np.asarray(image)[-30:].mean()
        assert top > 200 and bottom < 50, path.name
        assert image.getexif().get(0x0112, 1) == 1  # not rotated twice by a later exif_transpose


@pytest.mark.one_database
def test_the_byte_budget_counts_bit_depth_and_bands(tmp_path):
    from bakeoff.media.decode import estimate_decoded_bytes

    deep, shallow = tmp_path / "deep.png", tmp_path / "shallow.png"
    Image.fromarray(np.full((300, 300), 4000, dtype=np.uint16)).save(deep)
    Image.new("L", (300, 300), 15).save(shallow)
    assert estimate_decoded_bytes("I;16", (300, 300)) == 300 * 300 * (2 + 4)  # 16-bit pixels + the RGB result
    assert estimate_decoded_bytes("L", (300, 300)) == 300 * 300 * (1 + 4)
    assert estimate_decoded_bytes("RGB", (300, 300)) == 300 * 300 * 4  # Pillow holds RGB in 4 bytes; no copy
    limit = 500_000  # between the 8-bit (450,000) and the 16-bit (540,000) estimate: same pixels, not the same bytes
    assert load_image(shallow, max_decoded_bytes=limit).size == (300, 300)
    with pytest.raises(ImageDecodeError, match=r"300x300 pixels in mode 'I;16', 2 bytes each.*max_decoded_bytes"):
        load_image(deep, max_decoded_bytes=limit)


def test_an_image_over_the_byte_budget_is_a_failure_with_a_reason(tmp_path, make_image, clip_dir, monkeypatch):
    from bakeoff.media import decode

    folder = tmp_path / "budget" / "things"
    make_image(folder / "a_small.jpg", size=(40, 30))
    Image.fromarray(np.full((400, 400), 30000, dtype=np.uint16)).save(folder / "b_deep.png")
    dataset = fo.Dataset.from_dir(folder.parent, compute_metadata=False)
    monkeypatch.setattr(decode, "DEFAULT_MAX_DECODED_BYTES", 200_000)  # what apply_model and the App read
    summary = dataset.apply_model(_load(clip_dir), label_field="p")
    assert summary.failed == 1 and dataset.values("p.label")[0] is not None
    (reason,) = dataset.get_model_run_info("p")["results"]["failures"].values()
    assert "needs about 960,000 bytes" in reason and "above the limit of 200,000 bytes" in reason
    assert "mode 'I;16'" in reason and "max_decoded_bytes" in reason


@pytest.fixture
def special(tmp_path, make_image):
    """A good image, a named pipe, a dangling symlink and a symlink loop, all named like images."""
    folder = tmp_path / "special" / "things"
    make_image(folder / "a_good.jpg")
    os.mkfifo(folder / "b_pipe.jpg")
    os.symlink(folder / "nowhere.jpg", folder / "c_dangling.jpg")
    os.symlink(folder / "d_loop.jpg", folder / "d_loop.jpg")
    return folder


@pytest.mark.timeout(10)
def test_named_pipes_and_broken_links_fail_with_a_reason_and_never_hang(special, clip_dir):
    dataset = fo.Dataset.from_dir(special.parent, compute_metadata=False)
    assert len(dataset) == 4
    summary = dataset.apply_model(_load(clip_dir), label_field="p")
    assert summary.failed == 3
    failures = dataset.get_model_run_info("p")["results"]["failures"]
    reasons = {Path(dataset[i].filepath).name: why for i, why in failures.items()}
    assert reasons["b_pipe.jpg"].startswith("not a regular file (named pipe)")
    assert reasons["c_dangling.jpg"].startswith("dangling symlink")
    assert reasons["d_loop.jpg"].startswith("symlink loop")


@pytest.mark.one_database
@pytest.mark.timeout(10)
def test_every_local_read_refuses_what_is_not_a_regular_file(special, tmp_path, monkeypatch):
    import socket

    from bakeoff.media import files as media

    pipe = str(special / "b_pipe.jpg")
    for read in (load_image, media.open_media, media.local_or_buffer, media.read_media):
        with pytest.raises(ImageDecodeError, match="named pipe"):
            read(pipe)
    with pytest.raises(ImageDecodeError, match="folder"):
        load_image(str(special))
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(tmp_path / "s.jpg"))
        with pytest.raises(ImageDecodeError, match=r"not a regular file \(socket\)"):
            load_image(str(tmp_path / "s.jpg"))
    with pytest.raises(ImageDecodeError, match=r"character device"):
        media.open_media("/dev/null")
    # a file swapped for a pipe after the check: opened without blocking, then refused from the open descriptor
    monkeypatch.setattr(media, "regular_file_stat", lambda path: None)
    with pytest.raises(ImageDecodeError, match="named pipe"):
        media.open_media(pipe)


def test_import_finds_the_unreadable_images_that_apply_model_finds(broken, clip_dir):
    broken.compute_metadata()  # what from_dir does by default
    unreadable = {Path(p).name for p in broken.exists("media_error").values("filepath")}
    broken.apply_model(_load(clip_dir), label_field="p")
    failures = broken.get_model_run_info("p")["results"]["failures"]
    assert unreadable == {Path(broken[i].filepath).name for i in failures}
    assert unreadable == {"01_empty.jpg", "02_truncated.jpg", "03_text.jpg", "06_missing.jpg"}


# -- the run info of a resumed run describes the whole field ------------------------------------------


@pytest.fixture
def shapes_with_broken(tmp_path, make_image):
    """60 tiny images, three of them (positions 5, 25, 50) not images at all."""
    colors = [(200, 30, 30), (30, 200, 30), (30, 30, 200)]
    paths = []
    for k in range(60):
        path = tmp_path / "shapes" / f"{k:02d}.png"
        if k in (5, 25, 50):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("not an image")
        else:
            make_image(path, size=(24, 24), color=colors[k % 3])
        paths.append(path)
    dataset = fo.Dataset()
    dataset.add_samples([fo.Sample(p) for p in paths])
    return dataset


def _demo_model():
    return foz.load_zoo_model("demo-openclip", classes=["red square", "green square", "blue square"])


def _stop_at(limit):
    def progress(done, total):
        if done >= limit:
            raise KeyboardInterrupt
    return progress


def test_the_run_info_of_a_resumed_run_describes_every_call(shapes_with_broken, make_image):
    dataset, model = shapes_with_broken, _demo_model()
    ids = dataset.values("id")
    with pytest.raises(KeyboardInterrupt):  # Ctrl-C after two batches: 16 samples, one of them (5) unreadable
        dataset.apply_model(model, label_field="p", batch_size=8, progress=_stop_at(16))
    info = dataset.get_model_run_info("p")
    assert info["config"]["status"] == "running"
    results = info["results"]
    assert (results["num_samples"], results["num_values"], results["num_failed"]) == (16, 15, 1)
    assert list(results["failures"]) == [ids[5]]
    (call,) = results["calls"]
    assert call["interrupted"] and call["ended_at"] >= call["started_at"]
    assert (call["planned"], call["num_samples"], call["num_failed"]) == (60, 16, 1)

    make_image(Path(dataset[ids[5]].filepath), size=(24, 24))  # fixed meanwhile: the resumed call reads it
    summary = dataset.apply_model(model, label_field="p", batch_size=8, progress=False)
    assert summary.num_samples == 45 and summary.failed == 2
    info = dataset.get_model_run_info("p")
    assert info["config"]["status"] == "complete"
    results = info["results"]
    assert (results["num_samples"], results["num_values"], results["num_failed"]) == (60, 58, 2)
    assert results["num_values"] == dataset.count("p")
    assert sorted(results["failures"]) == sorted([ids[25], ids[50]])  # 5's failure went with its success
    first, second = results["calls"]
    assert first["interrupted"] and (first["num_samples"], first["num_failed"]) == (16, 1)
    assert not second["interrupted"] and (second["planned"], second["num_samples"], second["num_failed"]) == (45, 45, 2)
    assert second["started_at"] >= first["ended_at"] and second["ended_at"] >= second["started_at"]
    assert results["encoded"] == first["encoded"] + second["encoded"] == 58  # totals over the calls
    assert results["backend"] == "local"


def test_every_interrupted_call_is_listed_and_a_new_run_starts_afresh(shapes_with_broken):
    dataset, model = shapes_with_broken, _demo_model()
    for limit in (8, 16, 8):  # three Ctrl-Cs: 8 + 16 + 8 samples (each call counts from its own start)
        with pytest.raises(KeyboardInterrupt):
            dataset.apply_model(model, label_field="p", batch_size=8, progress=_stop_at(limit))
    dataset.apply_model(model, label_field="p", batch_size=8, progress=False)
    results = dataset.get_model_run_info("p")["results"]
    assert [c["num_samples"] for c in results["calls"]] == [8, 16, 8, 32]
    # what was missing at each start: the unreadable 5 is tried by every call, 25 from the third on
    assert [c["planned"] for c in results["calls"]] == [60, 53, 38, 32]
    assert [c["num_failed"] for c in results["calls"]] == [1, 1, 2, 3]
    assert [c["interrupted"] for c in results["calls"]] == [True, True, True, False]
    assert (results["num_samples"], results["num_values"], results["num_failed"]) == (60, 57, 3)
    assert dataset.count("p") == 57

    dataset.apply_model(model, label_field="p", batch_size=8, progress=False)  # finished: a new run, not a resume
    results = dataset.get_model_run_info("p")["results"]
    assert len(results["calls"]) == 1 and results["calls"][0]["planned"] == 60
    assert (results["num_samples"], results["num_values"], results["num_failed"]) == (60, 57, 3)


def test_a_run_stopped_by_an_unreadable_image_is_recorded_as_interrupted(shapes_with_broken):
    dataset, model = shapes_with_broken, _demo_model()
    with pytest.raises(ImageDecodeError):
        dataset.apply_model(model, label_field="p", batch_size=4, skip_failures=False, progress=False)
    results = dataset.get_model_run_info("p")["results"]
    (call,) = results["calls"]
    assert call["interrupted"] and call["num_samples"] == results["num_values"] == dataset.count("p") == 5  # 0-3, then 4 before 5 failed
    dataset.apply_model(model, label_field="p", batch_size=4, progress=False)
    results = dataset.get_model_run_info("p")["results"]
    assert (results["num_samples"], results["num_values"], results["num_failed"]) == (60, 57, 3)
    assert [c["interrupted"] for c in results["calls"]] == [True, False]
