"""Duplicates, uniqueness and mistakenness: planted copies, outliers and label flips are found."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from PIL import Image

import bakeoff as fo
import bakeoff.brain as fob
from bakeoff.core.interface import RunStore
from bakeoff.errors import BrainError, FieldError, InvalidOptionError, LabelErrorsError

pytestmark = pytest.mark.parametrize("database", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture
def shapes_with_copies(tmp_path, shapes_root):
    """32 demo-shapes images plus a byte-identical copy of image 0 labelled otherwise, a byte-identical copy of
    image 1 labelled the same, and a JPEG re-encoding of image 2 (a near-duplicate)."""
    files = sorted(shapes_root.glob("*/*.png"))
    dataset = fo.Dataset()
    samples = [fo.Sample(filepath=str(f), ground_truth=fo.Classification(label=f.parent.name)) for f in files]
    shutil.copy(files[0], tmp_path / "copy0.png")
    shutil.copy(files[1], tmp_path / "copy1.png")
    Image.open(files[2]).convert("RGB").save(tmp_path / "near2.jpg", quality=90)
    other = next(f.parent.name for f in files if f.parent.name != files[0].parent.name)
    samples += [fo.Sample(filepath=str(tmp_path / "copy0.png"), ground_truth=fo.Classification(label=other)),
                fo.Sample(filepath=str(tmp_path / "copy1.png"),
                          ground_truth=fo.Classification(label=files[1].parent.name)),
                fo.Sample(filepath=str(tmp_path / "near2.jpg"), ground_truth=fo.Classification(label=files[2].parent.name))]
    dataset.add_samples(samples)
    return dataset


def test_planted_copies_are_found_with_the_pairs_labelled_differently(shapes_with_copies, demo_clip):
    dataset = shapes_with_copies
    ids = dataset.values("id")
    dups = fob.compute_near_duplicates(dataset, threshold=0.01, model=demo_clip, brain_key="dups")
    assert sorted(dups.duplicate_ids) == sorted(ids[32:35])      # the later copy of each pair
    assert dups.neighbors_map == {ids[0]: [(ids[32], pytest.approx(0.0, abs=1e-5))],
                                  ids[1]: [(ids[33], pytest.approx(0.0, abs=1e-5))],
                                  ids[2]: [(ids[34], pytest.approx(dups.neighbors_map[ids[2]][0][1]))]}
    pairs = {(p.id_a, p.id_b): p for p in dups.pairs}
    assert set(pairs) == {(ids[0], ids[32]), (ids[1], ids[33]), (ids[2], ids[34])}
    assert pairs[ids[0], ids[32]].exact and pairs[ids[1], ids[33]].exact and not pairs[ids[2], ids[34]].exact
    assert 0 < pairs[ids[2], ids[34]].distance <= 0.01
    assert [(p.id_a, p.id_b) for p in dups.conflicting_pairs] == [(ids[0], ids[32])]
    assert dups.summary() == {"thresh": 0.01, "pairs": 3, "exact_pairs": 2, "conflicting_pairs": 1, "duplicates": 3,
                              "label_field": "ground_truth"}
    view = dups.duplicates_view(type_field="dup_type", dist_field="dup_dist")
    assert len(view) == 6 and view.count_values("dup_type") == {"nearest": 3, "duplicate": 3}
    # FiftyOne's exact duplicates: by file bytes alone
    assert fob.compute_exact_duplicates(dataset) == {ids[0]: [ids[32]], ids[1]: [ids[33]]}
    # the run comes back with its duplicates found again
    from bakeoff.brain.results import forget

    forget(dataset)
    assert fob.load_brain_results(dataset, "dups").summary() == dups.summary()
    # a fraction instead of a threshold: the threshold that makes that share duplicates
    dups.find_duplicates(fraction=3 / 35)
    assert sorted(dups.duplicate_ids) == sorted(ids[32:35])
    with pytest.raises(InvalidOptionError, match="thresh"):
        dups.find_duplicates(thresh=3.0)
    with pytest.raises(InvalidOptionError, match="not both"):
        dups.find_duplicates()


def test_uniqueness_ranks_an_outlier_first_and_copies_last(vector_dataset):
    rng = np.random.default_rng(2)
    vectors = rng.standard_normal((50, 16)) * 0.3 + 5.0   # a tight crowd
    vectors[7] = vectors[3]                               # a copy
    vectors[20] = -5.0                                    # the odd one out
    dataset = vector_dataset(vectors.astype(np.float32))
    fob.compute_uniqueness(dataset, embeddings=vectors)
    scores = np.array(dataset.values("uniqueness"))
    assert scores.argmax() == 20 and scores[20] == pytest.approx(1.0)
    assert scores.min() >= 0 and set(np.argsort(scores)[:2]) == {3, 7}
    assert fob.get_brain_info(dataset, "uniqueness")["type"] == "uniqueness"
    assert fob.load_brain_results(dataset, "uniqueness") is None      # as FiftyOne: the field is the result
    with pytest.raises(FieldError):
        fob.compute_uniqueness(dataset, embeddings=vectors, uniqueness_field="not a name")
    fob.delete_brain_run(dataset, "uniqueness")
    assert not dataset.has_field("uniqueness")


def test_uniqueness_of_images_leaves_unreadable_ones_empty(shapes_with_copies, demo_clip, tmp_path):
    dataset = shapes_with_copies
    (tmp_path / "broken.png").write_bytes(b"not a png")
    dataset.add_sample(fo.Sample(filepath=str(tmp_path / "broken.png")))
    fob.compute_uniqueness(dataset, model=demo_clip, uniqueness_field="unique")
    scores = dataset.values("unique")
    assert scores[-1] is None and all(0 <= s <= 1 for s in scores[:-1]) and max(scores[:-1]) == pytest.approx(1.0)
    assert scores[32] < np.median(scores[:-1])     # a byte-identical copy is not unique
    assert fob.get_brain_info(dataset, "unique")["results"]["missing_size"] == 1


CLASSES = [f"c{k}" for k in range(8)]


def _scored_dataset(labels: list[str], truth: list[int], logits: bool = True) -> fo.Dataset:
    """A model run 'clip' whose logits favour each sample's true class (as apply_model would store them)."""
    rng = np.random.default_rng(5)
    dataset = fo.Dataset()
    samples = []
    for i, (label, t) in enumerate(zip(labels, truth, strict=True)):
        z = rng.normal(0.0, 1.0, len(CLASSES))
        z[t] += 3.0
        samples.append(fo.Sample(f"/{i}.png", ground_truth=fo.Classification(label=label),
                                 clip=fo.Classification(label=CLASSES[int(z.argmax())], confidence=0.5,
                                                        logits=(4 * z).tolist() if logits else None)))
    dataset.add_samples(samples)
    RunStore(dataset, "model").save("clip", {"classes": CLASSES, "scorer": {"probabilities": "softmax"}}, {})
    return dataset


def test_mistakenness_puts_planted_flips_first():
    truth = [i % len(CLASSES) for i in range(240)]
    rng = np.random.default_rng(9)
    flipped = set(rng.choice(240, 24, replace=False).tolist())
    labels = [CLASSES[(t + 1 + int(rng.integers(0, 7))) % 8] if i in flipped else CLASSES[t]
              for i, t in enumerate(truth)]
    dataset = _scored_dataset(labels, truth)
    fob.compute_mistakenness(dataset, "clip", label_field="ground_truth")
    scores = np.array(dataset.values("mistakenness"), dtype=float)
    assert np.all((scores >= 0) & (scores <= 1))
    top = set(np.argsort(-scores)[:24].tolist())
    assert len(top & flipped) >= 20
    info = fob.get_brain_info(dataset, "mistakenness")
    assert info["config"]["pred_fields"] == ["clip"] and info["results"]["num_scored"] == 240
    with pytest.raises(BrainError, match="holds a mistakenness run"):
        fob.compute_similarity(dataset, embeddings=np.eye(240, 4), brain_key="mistakenness")


def test_mistakenness_needs_stored_logits():
    dataset = _scored_dataset(["c0", "c1", "c2"], [0, 1, 2], logits=False)
    with pytest.raises(LabelErrorsError, match="store_logits=True"):
        fob.compute_mistakenness(dataset, "clip")
    with pytest.raises(BrainError, match="pred_field"):
        fob.compute_mistakenness(dataset, [])
    assert not dataset.has_field("mistakenness") and fob.list_brain_runs(dataset) == []
