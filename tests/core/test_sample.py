"""Samples: field access, saving, reloading, copying between datasets, deleting."""

from __future__ import annotations

import numpy as np
import pytest

import bakeoff as fo


def test_item_and_attribute_access_and_paths():
    sample = fo.Sample("~/x.jpg", ground_truth=fo.Classification(label="cat", confidence=0.5), n=1)
    assert sample["ground_truth"].label == "cat" and sample.ground_truth.confidence == 0.5
    assert sample.get_field("ground_truth.label") == "cat"
    assert sample.filepath.endswith("/x.jpg") and not sample.filepath.startswith("~")
    assert "n" in sample and sample.has_field("n") and not sample.has_field("m")
    with pytest.raises(KeyError):
        sample["missing"]
    with pytest.raises(fo.FieldError, match="set by bakeoff"):
        sample["id"] = "abc"
    with pytest.raises(fo.FieldTypeError):
        fo.Sample("x.jpg", tags="not-a-list")
    assert fo.Sample("s3://bucket/key.jpg").filepath == "s3://bucket/key.jpg"


def test_classification_validates_and_compares():
    a = fo.Classification(label="cat", confidence=1, logits=np.array([1, 2], dtype=np.int64))
    assert a.confidence == 1.0 and a.logits.dtype == np.float32
    assert a == fo.Classification(label="cat", confidence=1.0, logits=[1.0, 2.0])
    assert a != fo.Classification(label="cat", confidence=1.0)
    with pytest.raises(fo.FieldTypeError):
        fo.Classification(label=3)
    with pytest.raises(AttributeError, match="has no attribute 'score'"):
        a.score = 2
    assert a.to_dict() == {"_cls": "Classification", "label": "cat", "confidence": 1.0, "logits": [1.0, 2.0]}


def test_reload_drops_unsaved_edits_and_set_values_reaches_the_sample():
    dataset = fo.Dataset()
    sample = fo.Sample("a.jpg", n=1)
    dataset.add_sample(sample)
    dataset.set_values("n", [5])
    assert sample.n == 5  # FiftyOne: set_values re-reads the in-memory samples
    sample["n"] = 9
    sample.reload()
    assert sample.n == 5


def test_samples_of_another_dataset_are_copied_not_moved():
    first, second = fo.Dataset(), fo.Dataset()
    sample = fo.Sample("a.jpg", n=1)
    first.add_sample(sample)
    new_id = second.add_sample(sample)
    assert new_id != sample.id and sample.dataset is first
    assert second[new_id].n == 1 and len(first) == 1


def test_delete_samples_and_clear():
    dataset = fo.Dataset()
    ids = dataset.add_samples([fo.Sample(f"{i}.jpg", n=i) for i in range(5)])
    dataset.delete_samples([ids[1], dataset[ids[3]]])
    assert dataset.values("n") == [0, 2, 4]
    with pytest.raises(fo.SampleNotFoundError, match=ids[1]):
        dataset[ids[1]]
    dataset.clear()
    assert len(dataset) == 0 and dataset.has_field("n")


def test_new_fields_need_a_typed_value():
    dataset = fo.Dataset()
    dataset.add_sample(fo.Sample("a.jpg", maybe=None))  # FiftyOne: added, without the untyped field
    assert not dataset.has_field("maybe")
    dataset.add_sample_field("maybe", fo.FloatField)
    dataset.add_sample(fo.Sample("a.jpg", maybe=None))
    assert dataset.values("maybe") == [None, None]


def test_add_samples_without_expand_schema_refuses_new_fields():
    dataset = fo.Dataset()
    with pytest.raises(fo.UnknownFieldError, match="expand_schema"):
        dataset.add_samples([fo.Sample("a.jpg", extra=1)], expand_schema=False)
    assert len(dataset) == 0


def test_iteration_reads_in_chunks_while_writing():
    dataset = fo.Dataset()
    dataset.add_samples([fo.Sample(f"{i}.jpg", n=i) for i in range(2500)])
    seen = 0
    for _sample in dataset:
        if seen == 10:
            dataset.set_values("n", list(range(2500, 5000)))  # a write between chunks is never blocked
        seen += 1
    assert seen == 2500 and dataset.values("n")[0] == 2500


def test_delete_samples_skips_samples_that_are_in_no_dataset():
    dataset = fo.Dataset()
    ids = dataset.add_samples([fo.Sample(f"{i}.jpg", n=i) for i in range(3)])
    loose = fo.Sample("loose.jpg", n=9)
    dataset.delete_samples([loose, ids[0]])
    assert dataset.values("n") == [1, 2] and loose.id is None and loose.n == 9


def test_a_filepath_that_is_no_path_is_a_field_type_error():
    for bad in (3, None, b"/bytes.jpg", ["/a.jpg"]):
        with pytest.raises(fo.FieldTypeError, match="filepath is a str or a path") as caught:
            fo.Sample(filepath=bad)
        assert isinstance(caught.value, TypeError)


def test_a_wrong_value_in_add_samples_names_its_field():
    dataset = fo.Dataset()
    dataset.add_sample(fo.Sample(filepath="/images/a.jpg", n=1))
    with pytest.raises(fo.FieldTypeError, match="field 'n' is a IntField"):
        dataset.add_sample(fo.Sample(filepath="/images/b.jpg", n="x"))
    assert len(dataset) == 1
