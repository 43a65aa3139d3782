"""Datasets: lifecycle, naming, persistence, samples and set_values."""

from __future__ import annotations

import numpy as np
import pytest

import bakeoff as fo


def _samples(n, start=0):
    return [
        fo.Sample(f"/images/{i}.jpg", ground_truth=fo.Classification(label=["cat", "dog", "horse"][i % 3]), index=i)
        for i in range(start, start + n)
    ]


def test_create_add_and_read_back_in_insertion_order():
    dataset = fo.Dataset("pets")
    ids = dataset.add_samples(_samples(7))
    assert len(dataset) == 7 and len(ids) == len(set(ids)) == 7
    assert [s.id for s in dataset] == ids
    assert dataset.values("index") == list(range(7))
    assert dataset.values("ground_truth.label") == ["cat", "dog", "horse"] * 2 + ["cat"]
    assert dataset.first().index == 0
    sample = dataset[ids[3]]
    assert sample.ground_truth.label == "cat" and sample["index"] == 3 and sample.filepath == "/images/3.jpg"


def test_added_sample_objects_are_bound_to_the_dataset():
    dataset = fo.Dataset()
    sample = fo.Sample("a.jpg", ground_truth=fo.Classification(label="cat"))
    assert sample.id is None and not sample.in_dataset
    dataset.add_sample(sample)
    assert sample.in_dataset and sample.dataset is dataset and dataset[sample.id].filepath.endswith("/a.jpg")
    sample["note"] = "look again"
    sample.tags.append("check")
    sample.save()
    again = dataset[sample.id]
    assert again.note == "look again" and again.tags == ["check"]
    assert dataset.get_field_schema()["note"] == fo.StringField()


def test_distinct_is_sorted_and_skips_none():
    dataset = fo.Dataset()
    dataset.add_samples(_samples(5))
    dataset.add_sample(fo.Sample("x.jpg"))
    assert dataset.distinct("ground_truth.label") == ["cat", "dog", "horse"]
    dataset.set_values("tags", [["b", "a"], ["c"], [], ["a"], [], []])
    assert dataset.distinct("tags") == ["a", "b", "c"]
    assert dataset.count("ground_truth") == 5 and dataset.count() == 6


def test_set_values_list_dict_and_subfield():
    dataset = fo.Dataset()
    ids = dataset.add_samples(_samples(4))
    preds = [fo.Classification(label="dog", confidence=0.25 * i, logits=[i, 2.5]) for i in range(4)]
    dataset.set_values("clip", preds)
    assert dataset.values("clip") == preds
    got = dataset.values("clip.logits")
    assert all(isinstance(v, np.ndarray) and v.dtype == np.float32 for v in got)
    np.testing.assert_array_equal(got[3], [3.0, 2.5])
    dataset.set_values("clip.confidence", {ids[1]: 0.9})
    assert dataset.values("clip.confidence") == [0.0, 0.9, 0.5, 0.75]
    dataset.set_values("score", {ids[0]: 1.5, ids[2]: 2})
    assert dataset.values("score") == [1.5, None, 2.0, None]
    assert isinstance(dataset.get_field("score"), fo.FloatField)


def test_set_values_wrong_length_and_unknown_ids_raise():
    dataset = fo.Dataset()
    dataset.add_samples(_samples(3))
    with pytest.raises(ValueError, match="got 2 values for 3 samples"):
        dataset.set_values("x", [1, 2])
    with pytest.raises(fo.BakeoffError, match="not in dataset"):
        dataset.set_values("index", {"nope": 5})


@pytest.mark.parametrize(
    ("field", "value", "bad"),
    [
        ("ground_truth", fo.Classification(label="cat"), "cat"),
        ("index", 3, "three"),
        ("index", 3, 2.5),
        ("flag", True, 1),
        ("score", 0.5, "high"),
        ("name", "x", 5),
        ("tags", ["a"], "a"),
    ],
)
def test_a_value_of_the_wrong_type_is_refused(field, value, bad):
    dataset = fo.Dataset()
    sample = fo.Sample("a.jpg", **({field: value}))
    dataset.add_sample(sample)
    with pytest.raises(fo.FieldTypeError, match=repr(field)):
        sample[field] = bad
    with pytest.raises(fo.FieldTypeError):
        dataset.add_sample(fo.Sample("b.jpg", **{field: bad}))
    assert len(dataset) == 1  # nothing half-written


def test_int_values_are_accepted_by_float_fields():
    dataset = fo.Dataset()
    dataset.add_sample(fo.Sample("a.jpg", score=0.5))
    dataset.add_sample(fo.Sample("b.jpg", score=2))
    assert dataset.values("score") == [0.5, 2.0]


@pytest.mark.parametrize("name", ["", "1abc", "a.b", "a-b", "_private", "with space", "ünïcode"])
def test_invalid_field_names_are_refused(name):
    dataset = fo.Dataset()
    with pytest.raises(fo.FieldError, match="invalid field"):
        dataset.add_sample_field(name, fo.StringField)
    with pytest.raises(fo.FieldError, match="invalid field"):
        dataset.add_sample(fo.Sample("a.jpg", **{name: 1}))
    with pytest.raises(fo.FieldError):  # invalid, or for 'a.b' an unknown document 'a'
        dataset.set_values(name, [])
    assert len(dataset) == 0


def test_unknown_field_paths_list_the_fields():
    dataset = fo.Dataset()
    dataset.add_samples(_samples(2))
    with pytest.raises(fo.UnknownFieldError) as info:
        dataset.values("ground_truth.lable")
    message = str(info.value)
    assert "'ground_truth.label'" in message and "The fields are:" in message and "index" in message
    with pytest.raises(KeyError):
        dataset.distinct("nope")
    with pytest.raises(AttributeError, match="sample has no field 'nope'"):
        dataset.first().nope  # noqa: B018 - the attribute access is what raises


def test_dataset_names_rename_taken_and_unknown():
    first = fo.Dataset("caltech-one")
    fo.Dataset("taken")
    with pytest.raises(fo.DatasetExistsError, match="exists already"):
        fo.Dataset("taken")
    with pytest.raises(fo.DatasetExistsError, match="name is taken"):
        first.name = "taken"
    first.name = "CLIP-Comparison"
    assert fo.dataset_exists("CLIP-Comparison") and not fo.dataset_exists("caltech-one")
    assert fo.load_dataset("CLIP-Comparison") is first
    with pytest.raises(fo.DatasetNotFoundError, match="Did you mean 'CLIP-Comparison'"):
        fo.load_dataset("CLIP-Comparisn")
    replaced = fo.Dataset("taken", overwrite=True)
    assert len(replaced) == 0 and fo.list_datasets() == ["CLIP-Comparison", "taken"]
    assert fo.list_datasets("CLIP*") == ["CLIP-Comparison"]


def test_delete_dataset_and_use_after_delete():
    dataset = fo.Dataset("gone")
    dataset.add_samples(_samples(2))
    fo.delete_dataset("gone")
    assert not fo.dataset_exists("gone") and dataset.deleted
    with pytest.raises(fo.DatasetNotFoundError, match="deleted"):
        len(dataset)


def test_clone_copies_samples_fields_and_descriptions():
    dataset = fo.Dataset("src")
    ids = dataset.add_samples(_samples(3))
    field = dataset.get_field("ground_truth")
    field.description = "human labels"
    field.save()
    copy = dataset.clone("dst")
    assert [s.id for s in copy] == ids
    assert copy.values("ground_truth.label") == dataset.values("ground_truth.label")
    assert copy.get_field("ground_truth").description == "human labels"
    copy.set_values("index", [9, 9, 9])
    assert dataset.values("index") == [0, 1, 2]
    dataset.create_index("index")
    assert set(dataset.clone("dst2").list_indexes()) == set(dataset.list_indexes()) >= {"index", "ground_truth.label"}


def test_clone_copies_info_and_the_copy_is_independent():
    dataset = fo.Dataset("with-info")
    dataset.add_samples(_samples(2))
    dataset.info = {"source": "camera trap", "year": 2024}
    copy = dataset.clone("with-info-copy")
    assert copy.info == {"source": "camera trap", "year": 2024}
    assert fo.load_dataset("with-info-copy").info == {"source": "camera trap", "year": 2024}
    copy.info["year"] = 2025
    copy.save()
    assert dataset.info["year"] == 2024


def test_field_schema_filters_like_the_tutorial():
    dataset = fo.Dataset()
    dataset.add_samples(_samples(2))
    dataset.set_values("clip", [fo.Classification(label="cat")] * 2)
    schema = dataset.get_field_schema(ftype=fo.EmbeddedDocumentField, embedded_doc_type=fo.Classification)
    assert list(schema) == ["ground_truth", "clip"]
    assert list(dataset.get_field_schema(ftype=fo.IntField)) == ["index"]
    flat = dataset.get_field_schema(flat=True)
    assert "clip.confidence" in flat and isinstance(flat["clip.confidence"], fo.FloatField)


def test_field_description_and_info_persist():
    dataset = fo.Dataset("described", persistent=True)
    dataset.add_samples(_samples(1))
    dataset.set_values("clip", [fo.Classification(label="cat")])
    field = dataset.get_field("clip")
    field.description = "OpenAI CLIP predictions"
    field.info = {"model": "ViT-B/32", "url": "https://github.com/openai/CLIP"}
    field.save()
    sub = dataset.get_field("clip.confidence")
    sub.description = "top class probability"
    sub.save()
    dataset.reload()
    assert dataset.get_field("clip").description == "OpenAI CLIP predictions"
    assert dataset.get_field("clip").info["model"] == "ViT-B/32"
    assert dataset.get_field("clip.confidence").description == "top class probability"


def test_add_delete_rename_fields():
    dataset = fo.Dataset()
    dataset.add_samples(_samples(3))
    dataset.add_sample_field("note", fo.StringField, description="free text")
    dataset.add_sample_field("pred", fo.EmbeddedDocumentField, embedded_doc_type=fo.Classification)
    dataset.add_sample_field("words", fo.ListField, subfield=fo.StringField)
    assert dataset.values("note") == [None] * 3 and dataset.get_field("note").description == "free text"
    dataset.set_values("pred", [fo.Classification(label="a", confidence=0.5)] * 3)
    dataset.rename_sample_field("pred", "clip")
    assert dataset.values("clip.confidence") == [0.5] * 3 and not dataset.has_field("pred")
    dataset.delete_sample_field("clip")
    assert not dataset.has_field("clip") and not dataset.has_field("clip.label")
    with pytest.raises(fo.FieldError, match="built-in"):
        dataset.delete_sample_field("filepath")
    with pytest.raises(fo.UnknownFieldError, match="Did you mean 'note'"):
        dataset.delete_sample_field("notes")
    with pytest.raises(fo.FieldError, match="exists already"):
        dataset.add_sample_field("note", fo.IntField)
    with pytest.raises(fo.FieldError, match="a field of that name exists"):
        dataset.rename_sample_field("note", "index")


def test_missing_filepath_is_allowed_and_recorded(tmp_path):
    dataset = fo.Dataset()
    dataset.add_sample(fo.Sample(tmp_path / "does-not-exist.jpg"))
    failures = dataset.compute_metadata()
    sample = dataset.first()
    assert failures == 1 and sample.metadata is None
    assert "FileNotFoundError" in sample.media_error


def test_compute_metadata(tmp_path, make_image):
    dataset = fo.Dataset()
    rgb = make_image(tmp_path / "a.jpg", size=(64, 48))
    grey = make_image(tmp_path / "b.png", size=(20, 10), mode="L")
    dataset.add_samples([fo.Sample(rgb), fo.Sample(grey)])
    assert dataset.compute_metadata() == 0
    meta = dataset.values("metadata")
    assert (meta[0].width, meta[0].height, meta[0].num_channels, meta[0].mime_type) == (64, 48, 3, "image/jpeg")
    assert (meta[1].width, meta[1].num_channels, meta[1].mime_type) == (20, 1, "image/png")
    assert meta[0].size_bytes == rgb.stat().st_size
    assert not dataset.has_field("media_error")


def test_print_summarises_name_persistence_count_and_schema():
    dataset = fo.Dataset("summary-me", persistent=True)
    dataset.add_samples(_samples(4))
    text = repr(dataset)
    assert "Name:        summary-me" in text and "Num samples: 4" in text and "Persistent:  True" in text
    assert "ground_truth:" in text and "EmbeddedDocumentField(Classification)" in text


def test_dataset_info_persists():
    dataset = fo.Dataset("with-info", persistent=True)
    dataset.info["source"] = "camera trap"
    dataset.save()
    dataset._info = None  # forget the cached copy: read it back from the database
    assert dataset.info == {"source": "camera trap"}
    with pytest.raises(TypeError, match="must be a dict"):
        dataset.info = ["not", "a", "dict"]


@pytest.mark.parametrize("name", ["", "   ", "a/b", "a\\b", "tab\there", "new\nline", "x" * 201])
def test_names_that_cannot_travel_everywhere_are_refused_everywhere(name):
    # the App's URLs carry dataset names: what Python accepts, the CLI and the App must serve
    with pytest.raises(fo.BakeoffError, match="invalid dataset name") as error:
        fo.Dataset(name)
    assert isinstance(error.value, ValueError)
    dataset = fo.Dataset("fine")
    with pytest.raises(ValueError, match="invalid dataset name"):
        dataset.name = name
    assert dataset.name == "fine" and fo.Dataset("x" * 200).name == "x" * 200


def test_the_base_field_class_is_refused_with_a_field_error_before_any_write():
    # it has no storage kind: it used to reach the database layer as a StorageError (an App 500)
    dataset = fo.Dataset()
    with pytest.raises(fo.FieldError, match="'x' is a Field, which has no stored form"):
        dataset.add_sample_field("x", fo.Field)
    assert not dataset.has_field("x")


def test_a_document_type_this_process_does_not_define_is_a_storage_error(monkeypatch):
    from bakeoff.core.document import DOCUMENT_TYPES, EmbeddedDocument

    class SurveyNote(EmbeddedDocument):  # a script's own document class
        _fields = {"text": fo.StringField()}

    dataset = fo.Dataset()
    dataset.add_sample(fo.Sample("a.jpg", note=SurveyNote(text="blurry")))
    monkeypatch.delitem(DOCUMENT_TYPES, "SurveyNote")  # as in another process that never defined it
    with pytest.raises(fo.errors.StorageError, match="document type 'SurveyNote', which this bakeoff does not"):
        dataset.reload()
    monkeypatch.undo()
    dataset.reload()
    assert dataset.first().note.text == "blurry"
