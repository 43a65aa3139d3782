"""fo.Classifications (several labels per sample): storage, expressions, filter_labels, aggregations.

Every expected value below is what FiftyOne answers on the same data (pinned as a literal).
"""

from __future__ import annotations

import numpy as np
import pytest

import bakeoff as fo
from bakeoff import ViewField as F
from bakeoff.errors import FieldError, FieldTypeError, UnknownFieldError


def _tags(*pairs):
    return fo.Classifications(classifications=[fo.Classification(label=label, confidence=conf) for label, conf in pairs])


@pytest.fixture
def tagged():
    """a: cat 0.9, dog 0.3; b: dog 0.6; c: an empty list; d: no Classifications at all."""
    dataset = fo.Dataset("tagged")
    dataset.add_samples([
        fo.Sample("/a.jpg", gt=fo.Classification(label="cat"), pred=fo.Classification(label="cat", confidence=0.8),
                  tl=_tags(("cat", 0.9), ("dog", 0.3))),
        fo.Sample("/b.jpg", gt=fo.Classification(label="dog"), pred=fo.Classification(label="cat", confidence=0.4),
                  tl=_tags(("dog", 0.6))),
        fo.Sample("/c.jpg", tl=_tags()),
        fo.Sample("/d.jpg"),
    ])
    return dataset


def _names(view):
    return [p.rsplit("/", 1)[-1] for p in view.values("filepath")]


# -- the label type ---------------------------------------------------------------------------


def test_classifications_is_exported_and_defaults_to_an_empty_list():
    assert "Classifications" in fo.__all__
    assert fo.Classifications().classifications == []  # FiftyOne: []
    assert fo.Classifications(classifications=[], logits=[0.5]).logits.tolist() == [0.5]


@pytest.mark.parametrize("bad", [[1], "a"])
def test_classifications_refuses_what_is_not_a_list_of_classification(bad):
    with pytest.raises(FieldTypeError):  # FiftyOne: a validation error
        fo.Classifications(classifications=bad)


def test_stored_and_read_back_equal(tagged):
    field = tagged.get_field("tl")
    assert isinstance(field, fo.EmbeddedDocumentField) and field.document_type is fo.Classifications
    assert list(tagged.get_field_schema(ftype=fo.EmbeddedDocumentField, embedded_doc_type=fo.Classifications)) == ["tl"]
    first = tagged.first()
    assert first.tl == _tags(("cat", 0.9), ("dog", 0.3))
    assert first.tl.classifications[1].label == "dog"
    values = tagged.values("tl")
    assert [type(v).__name__ for v in values] == ["Classifications", "Classifications", "Classifications", "NoneType"]
    assert values[2].classifications == []


def test_logits_and_non_finite_confidences_round_trip(tagged):
    label = fo.Classification(label="x", confidence=float("nan"), logits=[1.0, 2.5])
    tagged.set_values("tl", [fo.Classifications(classifications=[label], logits=[0.25, 0.75]), None, None, None])
    stored = tagged.first().tl
    assert stored.logits.dtype == np.float32 and stored.logits.tolist() == [0.25, 0.75]
    assert stored.classifications[0].logits.tolist() == [1.0, 2.5]
    assert stored.classifications[0].confidence is None  # NaN is stored as missing, as everywhere in bakeoff


def test_values_of_paths_into_the_list(tagged):
    # FiftyOne: a list per sample, [] for an empty list, None where the field is missing
    assert tagged.values("tl.classifications.label") == [["cat", "dog"], ["dog"], [], None]
    assert tagged.values("tl.classifications.confidence") == [[0.9, 0.3], [0.6], [], None]
    assert tagged.values(F("tl.classifications.label")) == [["cat", "dog"], ["dog"], [], None]
    labels = [None if v is None else [c.label for c in v] for v in tagged.values("tl.classifications")]
    assert labels == [["cat", "dog"], ["dog"], [], None]
    assert isinstance(tagged.get_field("tl.classifications.label"), fo.ListField)


# -- expressions and aggregations -------------------------------------------------------------


def test_contains_length_and_equality(tagged):
    assert _names(tagged.match(F("tl.classifications.label").contains("cat"))) == ["a.jpg"]
    assert _names(tagged.match(F("tl.classifications.label").contains(["cat", "dog"]))) == ["a.jpg", "b.jpg"]
    both = tagged.exists("tl").match(F("tl.classifications.label").contains(["cat", "dog"], all=True))
    assert _names(both) == ["a.jpg"]
    assert _names(tagged.match(F("tl.classifications.label").contains([]))) == []
    assert tagged.values(F("tl.classifications").length()) == [2, 1, 0, 0]
    assert _names(tagged.match(F("tl.classifications").length() > 0)) == ["a.jpg", "b.jpg"]
    assert _names(tagged.match(F("tl.classifications").length() == 1)) == ["b.jpg"]
    assert _names(tagged.match(F("tl.classifications.label") == "cat")) == []  # a list is not equal to a str


def test_exists(tagged):
    # FiftyOne: an empty list exists; a path into the list exists where the list does
    assert _names(tagged.exists("tl")) == ["a.jpg", "b.jpg", "c.jpg"]
    assert _names(tagged.exists("tl", False)) == ["d.jpg"]
    assert _names(tagged.exists("tl.classifications")) == ["a.jpg", "b.jpg", "c.jpg"]
    assert _names(tagged.exists("tl.classifications.label")) == ["a.jpg", "b.jpg", "c.jpg"]
    assert _names(tagged.match(F("tl.classifications.label").exists())) == ["a.jpg", "b.jpg", "c.jpg"]


def test_count_values_distinct_and_count_unwind_the_list(tagged):
    assert tagged.count_values("tl.classifications.label") == {"cat": 1, "dog": 2}
    assert tagged.distinct("tl.classifications.label") == ["cat", "dog"]
    assert tagged.count("tl.classifications.label") == 3
    assert tagged.count("tl") == 3


def test_count_of_the_list_of_labels(tagged):
    assert tagged.count("tl.classifications") == 3  # FiftyOne: the labels (2 + 1 + 0)
    assert tagged.filter_labels("tl", F("confidence") > 0.5, only_matches=False).count("tl.classifications") == 2


def test_numeric_aggregations_unwind_the_list(tagged):
    assert tagged.bounds("tl.classifications.confidence") == (0.3, 0.9)  # FiftyOne
    assert tagged.mean("tl.classifications.confidence") == pytest.approx(0.6)
    assert tagged.sum("tl.classifications.confidence") == pytest.approx(1.8)
    assert tagged.count_values("tl.classifications.confidence") == {0.9: 1, 0.3: 1, 0.6: 1}
    view = tagged.filter_labels("tl", F("confidence") > 0.5)
    assert view.bounds("tl.classifications.confidence") == (0.6, 0.9)


def test_unknown_attribute_of_the_labels_is_an_error(tagged):
    # FiftyOne: match() reads an unknown attribute as missing (0 samples); reads of it raise
    assert len(tagged.match(F("tl.classifications.zzz").contains(1))) == 0
    assert len(tagged.match(F("tl.classifications.zzz").length() > 0)) == 0
    with pytest.raises(UnknownFieldError):
        tagged.count_values("tl.classifications.zzz")


# -- filter_labels ----------------------------------------------------------------------------

# FiftyOne's answers: (samples, labels per sample, count_values of the labels, len, count of labels, lengths)
FILTERS = {
    ("cat", True): (["a.jpg"], [["cat"]], {"cat": 1}, 1, 1, [1]),
    ("conf>0.5", True): (["a.jpg", "b.jpg"], [["cat"], ["dog"]], {"cat": 1, "dog": 1}, 2, 2, [1, 1]),
    ("none", True): ([], [], {}, 0, 0, []),
    ("cat", False): (["a.jpg", "b.jpg", "c.jpg", "d.jpg"], [["cat"], [], [], None], {"cat": 1}, 4, 1, [1, 0, 0, 0]),
    ("conf>0.5", False): (["a.jpg", "b.jpg", "c.jpg", "d.jpg"], [["cat"], ["dog"], [], None], {"cat": 1, "dog": 1}, 4,
                          2, [1, 1, 0, 0]),
    ("none", False): (["a.jpg", "b.jpg", "c.jpg", "d.jpg"], [[], [], [], None], {}, 4, 0, [0, 0, 0, 0]),
}
EXPRESSIONS = {"cat": F("label") == "cat", "conf>0.5": F("confidence") > 0.5, "none": F("label") == "zzz"}


@pytest.mark.parametrize(("name", "only_matches"), list(FILTERS))
def test_filter_labels_on_classifications(tagged, name, only_matches):
    view = tagged.filter_labels("tl", EXPRESSIONS[name], only_matches=only_matches)
    got = (_names(view), view.values("tl.classifications.label"), view.count_values("tl.classifications.label"),
           len(view), view.count("tl.classifications.label"), view.values(F("tl.classifications").length()))
    assert got == FILTERS[name, only_matches]


def test_filter_labels_chains_and_feeds_later_stages(tagged):
    confident = tagged.filter_labels("tl", F("confidence") > 0.5)
    assert _names(confident.match(F("tl.classifications.label").contains("cat"))) == ["a.jpg"]
    chained = tagged.filter_labels("tl", F("confidence") > 0.2).filter_labels("tl", F("label") == "dog")
    assert chained.values("tl.classifications.confidence") == [[0.3], [0.6]]
    assert tagged.filter_labels("tl", F("label") == "cat").first().tl == _tags(("cat", 0.9))
    assert tagged.filter_labels("tl", F("label").is_in(["dog"])).values("tl.classifications.label") == [["dog"], ["dog"]]
    assert tagged.filter_labels("tl", ~(F("label") == "dog")).values("tl.classifications.label") == [["cat"]]
    assert len(tagged.filter_labels("tl", True)) == 2  # FiftyOne: samples with a label left


def test_filter_labels_can_compare_with_sample_fields(tagged):
    view = tagged.filter_labels("tl", F("label") == F("$gt.label"))
    assert view.values("tl.classifications.label") == [["cat"], ["dog"]]


def test_filter_labels_on_a_classification_field(tagged):
    view = tagged.filter_labels("pred", F("confidence") > 0.5)
    assert (_names(view), view.values("pred.label"), view.values("pred.confidence")) == (["a.jpg"], ["cat"], [0.8])
    kept = tagged.filter_labels("pred", F("confidence") > 0.5, only_matches=False)
    assert _names(kept) == ["a.jpg", "b.jpg", "c.jpg", "d.jpg"]
    assert kept.values("pred.label") == ["cat", None, None, None]
    assert kept.count("pred") == 1
    assert kept.values("pred")[0] == fo.Classification(label="cat", confidence=0.8)
    assert [s.pred for s in kept][1] is None


def test_filter_labels_serializes(tagged):
    view = tagged.filter_labels("tl", F("confidence") > 0.5, only_matches=False)
    again = fo.DatasetView.from_json(view.to_json(), tagged)
    assert again == view
    assert again.values("tl.classifications.label") == [["cat"], ["dog"], [], None]


def test_filter_labels_errors(tagged):
    # FiftyOne: ValueError for a field that is not a label, and for an unknown field
    with pytest.raises(FieldError):
        tagged.filter_labels("filepath", F("label") == "a")
    with pytest.raises(ValueError):
        tagged.filter_labels("zzz", F("label") == "a")
    # FiftyOne: an unknown attribute of the labels is missing in each: no label matches
    assert len(tagged.filter_labels("tl", F("zzz") == "a")) == 0


# -- writes and the sample ----------------------------------------------------------------------


def test_set_values_of_the_field_and_of_the_list(tagged):
    tagged.set_values("tl", [_tags(("x", None)), None, fo.Classifications(), None])
    assert tagged.values("tl.classifications.label") == [["x"], None, [], None]  # FiftyOne
    tagged.set_values("tl.classifications", [[fo.Classification(label="q")], None, [], None])
    assert tagged.values("tl.classifications.label") == [["q"], None, [], None]
    tagged.set_values("tl2", [_tags(("x", 0.5)), None, None, None])
    assert tagged.get_field("tl2").document_type is fo.Classifications
    assert tagged.values("tl2.classifications.label") == [["x"], None, None, None]  # FiftyOne
    with pytest.raises(FieldError, match="set the whole list"):
        tagged.set_values("tl.classifications.label", [["y"], None, [], None])


def test_sample_edits_save(tagged):
    sample = tagged.first()
    sample.tl = fo.Classifications(classifications=[*sample.tl.classifications, fo.Classification(label="bird")])
    sample.save()
    assert tagged.values("tl.classifications.label")[0] == ["cat", "dog", "bird"]
    tagged.add_sample_field("empty_tags", fo.EmbeddedDocumentField, embedded_doc_type=fo.Classifications)
    assert tagged.values("empty_tags") == [None, None, None, None]  # FiftyOne


def test_to_dict_and_print(tagged):
    sample = tagged.first()
    tl = sample.to_dict()["tl"]
    assert tl["_cls"] == "Classifications"
    assert [(c["_cls"], c["label"], c["confidence"]) for c in tl["classifications"]] == [
        ("Classification", "cat", 0.9), ("Classification", "dog", 0.3)]
    text = repr(sample)
    assert "<Classifications:" in text and "label='dog'" in text


def test_evaluate_classifications_refuses_a_classifications_field(tagged):
    # FiftyOne: ValueError "Sample field 'tl' is not a [Classification] instance; found Classifications"
    for pred, gt in (("tl", "gt"), ("pred", "tl")):
        with pytest.raises(ValueError, match="tl"):
            tagged.evaluate_classifications(pred, gt_field=gt, eval_key="e")


def test_a_path_through_the_list_skips_labels_without_the_attribute():
    # found by scripts/differential_fiftyone.py (case #530 of seed 21), FiftyOne 1.22.1's answers
    dataset = fo.Dataset()
    dataset.add_sample(fo.Sample("/0.jpg", tl=fo.Classifications(classifications=[
        fo.Classification(label="cat", confidence=0.32), fo.Classification(label="cat"), fo.Classification(label="dog")])))
    assert dataset.match(F("tl.classifications.confidence").length() >= 2).count() == 0
    # ...while values() and aggregations read the missing attributes as None (case #1196 of seed 2026)
    assert dataset.values("tl.classifications.confidence") == [[0.32, None, None]]
    assert dataset.histogram_values("tl.classifications.confidence", bins=1) == ([1], [0.32, 0.320001], 2)
    assert dataset.values("tl.classifications.label") == [["cat", "cat", "dog"]]
