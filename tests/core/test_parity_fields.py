"""Fields as FiftyOne reads and writes them (issue #15), on both databases.

Every expected value below is FiftyOne 1.22's answer to the same calls, pinned as a literal:
``save()`` writes what was changed in place; a view's schema is what it can read (fields that
``select_fields``/``exclude_fields`` hide raise in reads and are missing in later stages); stages
read an unknown field as missing; typed lists refuse None; dates in lists and dicts; lists sort by
their smallest element (largest in reverse); first()/last() of nothing, dataset tags and media type.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

import bakeoff as fo
from bakeoff import ViewField as F
from bakeoff.errors import (
    EmptyCollectionError,
    FieldError,
    FieldTypeError,
    MediaTypeError,
    UnknownAttributeError,
    UnknownFieldError,
    ValuesLengthError,
)


def _labels(*pairs):
    return fo.Classifications(classifications=[fo.Classification(label=label, confidence=c) for label, c in pairs])


@pytest.fixture
def one():
    dataset = fo.Dataset("one")
    dataset.add_sample(fo.Sample("/a.jpg", gt=fo.Classification(label="a", confidence=0.5), tl=_labels(("x", None)),
                                 some_list=[1, 2], d={"k": 1}))
    return dataset


# -- 1. edits inside a value are saved --------------------------------------------------------------

EDITS = {  # edit of the dataset's sample -> (path read back, FiftyOne's values after save())
    "label": (lambda s: setattr(s.gt, "label", "z"), "gt.label", ["z"]),
    "confidence": (lambda s: setattr(s.gt, "confidence", 0.1), "gt.confidence", [0.1]),
    "classifications": (lambda s: s.tl.classifications.append(fo.Classification(label="y")),
                        "tl.classifications.label", [["x", "y"]]),
    "tags": (lambda s: s.tags.append("t1"), "tags", [["t1"]]),
    "list": (lambda s: s["some_list"].append(3), "some_list", [[1, 2, 3]]),
    "dict": (lambda s: s.d.update(k=5, k2=2), "d", [{"k": 5, "k2": 2}]),
    "nested dict": (lambda s: s.d.setdefault("nest", {"a": [1]}), "d", [{"k": 1, "nest": {"a": [1]}}]),
}


@pytest.mark.parametrize("name", list(EDITS))
def test_an_edit_in_place_is_saved(one, name):
    edit, path, expected = EDITS[name]
    sample = one.first()
    edit(sample)
    sample.save()
    assert one.values(path) == expected
    sample.reload()
    assert one.values(path) == expected


def test_edits_in_place_through_a_view_sample_and_after_save(one):
    sample = one.first()
    sample.d["nest"] = {"a": [1]}
    sample.save()
    sample.d["nest"]["a"].append(2)  # deep inside, after a save
    sample.save()
    assert one.values("d") == [{"k": 1, "nest": {"a": [1, 2]}}]  # FiftyOne
    view_sample = one.select_fields(["gt"]).first()
    view_sample.gt.label = "w"
    view_sample.save()
    assert one.values("gt.label") == ["w"]
    assert sample.gt.label == "w"  # the dataset's object follows
    sample.gt.label = "q"
    sample.reload()  # unsaved edits are dropped
    assert sample.gt.label == "w"


def test_references_held_across_saves_and_values_copied_on_add():
    dataset = fo.Dataset("held")
    label, numbers = fo.Classification(label="a"), [1]
    sample = fo.Sample("/a.jpg", gt=label, l=numbers)
    dataset.add_sample(sample)
    assert sample.gt is not label and sample.l is not numbers  # FiftyOne copies on add
    label.label = "z"
    numbers.append(2)
    sample.save()
    assert dataset.values("gt.label") == ["a"] and dataset.values("l") == [[1]]
    held = sample.gt
    sample.save()
    held.label = "later"
    sample.save()
    assert dataset.values("gt.label") == ["later"]
    assigned = fo.Classification(label="b")
    sample["gt"] = assigned
    sample.save()
    assigned.label = "c"
    sample.save()
    assert dataset.values("gt.label") == ["c"]
    sample.metadata = fo.ImageMetadata(width=3)
    sample.save()
    sample.metadata.width = 4
    sample.save()
    assert dataset.values("metadata.width") == [4]


def test_save_without_a_change_writes_nothing(one):
    sample = one.first()
    before = one.values("last_modified_at")
    sample.gt.label  # read only  # noqa: B018
    sample.tags  # noqa: B018
    sample.save()
    assert one.values("last_modified_at") == before  # FiftyOne: unchanged


# -- 2. select_fields / exclude_fields: the view's schema is what it reads ---------------------------


@pytest.fixture
def two():
    dataset = fo.Dataset("two")
    dataset.add_samples([
        fo.Sample("/a.jpg", a=1, b=2.0, gt=fo.Classification(label="x", confidence=0.3), clss1=_labels(("x", None))),
        fo.Sample("/b.jpg", a=3, b=4.0),
    ])
    return dataset


READS = {
    "values": lambda v: v.values("b"), "bounds": lambda v: v.bounds("b"), "mean": lambda v: v.mean("b"),
    "count_values": lambda v: v.count_values("b"), "histogram_values": lambda v: v.histogram_values("b"),
    "std": lambda v: v.std("b"), "distinct": lambda v: v.distinct("b"), "count": lambda v: v.count("b"),
    "sum": lambda v: v.sum("b"), "quantiles": lambda v: v.quantiles("b", [0.5]),
    "values(F)": lambda v: v.values(F("b")), "mean(F*2)": lambda v: v.mean(F("b") * 2),
    "set_values": lambda v: v.set_values("b", [1.0, 2.0]),
}


@pytest.mark.parametrize("name", list(READS))
def test_reads_of_an_excluded_field_raise(two, name):
    view = two.exclude_fields(["b", "gt"])
    with pytest.raises(ValueError, match="DatasetView has no field 'b'"):  # FiftyOne's words
        READS[name](view)
    assert two.values("b") == [2.0, 4.0]


def test_reads_of_a_label_the_view_hides_name_the_field(two):
    view = two.select_fields(["a"])
    for read in (lambda: view.values("gt.label"), lambda: view.count("gt"),
                 lambda: view.filter_labels("gt", F("confidence") > 0)):
        with pytest.raises(ValueError, match="DatasetView has no field 'gt'"):
            read()


def test_stages_after_select_fields_see_the_fields_the_view_has(two):
    with pytest.raises(ValueError):  # FiftyOne: Field 'b' does not exist
        two.select_fields(["a"]).select_fields(["b"])
    with pytest.raises(ValueError):
        two.exclude_fields(["b"]).select_fields(["b"])
    assert len(two.select_fields(["a"]).exclude_fields(["b"])) == 2  # FiftyOne: fine
    assert len(two.exclude_fields(["b"]).exclude_fields(["b"])) == 2
    with pytest.raises(ValueError):
        two.select_fields(["zzz"])
    with pytest.raises(ValueError):
        two.exclude_fields(["zzz"])
    for name in ("filepath", "id", "gt.confidence"):  # FiftyOne: Cannot exclude default fields {...}
        with pytest.raises(FieldError, match="Cannot exclude default fields"):
            two.exclude_fields([name])


def test_later_stages_read_hidden_fields_as_missing(two):
    view = two.exclude_fields(["b", "gt"])
    assert len(view.match(F("b") > 0)) == 0  # FiftyOne
    assert view.sort_by("b").values("a") == [1, 3]
    assert len(view.exists("b")) == 0
    nothing = two.select_fields([])
    assert len(nothing.match(F("clss1.classifications").length() == 0)) == 2  # FiftyOne: 2 (the harness case)
    assert len(nothing.match(F("clss1").exists())) == 0
    assert len(nothing.match(F("a") == 1)) == 0
    with pytest.raises(ValueError, match="DatasetView has no field 'a'"):
        nothing.values(F("a"))


def test_the_schema_and_samples_of_a_view(two):
    builtin = ["id", "filepath", "tags", "metadata", "created_at", "last_modified_at"]
    assert list(two.exclude_fields(["b", "gt"]).get_field_schema()) == [*builtin, "a", "clss1"]  # FiftyOne
    assert list(two.select_fields(["a"]).get_field_schema()) == [*builtin, "a"]
    assert list(two.select_fields([]).get_field_schema()) == builtin
    flat = two.select_fields(["gt.label"]).get_field_schema(flat=True)
    assert [p for p in flat if p.startswith("gt")] == ["gt", "gt.label", "gt.confidence", "gt.logits"]
    assert two.select_fields(["gt.label"]).values("gt.confidence") == [0.3, None]  # the whole label is kept
    view = two.exclude_fields(["b", "gt"])
    assert not view.has_field("b") and view.has_field("a")
    sample = view.first()
    assert not sample.has_field("b") and sample.has_field("a")
    assert sample.field_names == (*builtin, "a", "clss1")
    with pytest.raises(AttributeError, match="Field 'b' is excluded from this SampleView"):
        sample.b  # noqa: B018
    with pytest.raises(KeyError, match="excluded"):
        sample["b"]
    with pytest.raises(UnknownAttributeError):
        sample.get_field("b")
    with pytest.raises(ValueError):  # FiftyOne: adding fields with `sample.field = value` is not allowed
        sample.b = 5.0


# -- 3. unknown fields: stages read them as missing, reads raise -------------------------------------


@pytest.fixture
def three():
    dataset = fo.Dataset("three")
    dataset.add_samples([
        fo.Sample("/a.jpg", a=1, gt=fo.Classification(label="x", confidence=0.3), tl=_labels(("x", 0.2), ("y", 0.9))),
        fo.Sample("/b.jpg", a=3, tl=_labels(("z", 0.5))),
        fo.Sample("/c.jpg", a=2),
    ])
    return dataset


STAGES = {  # FiftyOne's answers
    "match": (lambda d: len(d.match(F("nofield"))), 0),
    "match == None": (lambda d: len(d.match(F("nofield") == None)), 3),  # noqa: E711
    "match ~": (lambda d: len(d.match(~F("nofield"))), 3),
    "match label attribute": (lambda d: len(d.match(F("gt.nolabel") == "x")), 0),
    "match list attribute": (lambda d: len(d.match(F("tl.classifications.nolabel").contains("x"))), 0),
    "sort_by": (lambda d: d.sort_by("nofield").values("a"), [1, 3, 2]),
    "sort_by F": (lambda d: d.sort_by(F("nofield")).values("a"), [1, 3, 2]),
    "exists": (lambda d: len(d.exists("nofield")), 0),
    "exists False": (lambda d: len(d.exists("nofield", False)), 3),
    "filter_labels attribute": (lambda d: len(d.filter_labels("gt", F("nolabel") == "x")), 0),
    "match_tags": (lambda d: len(d.match_tags("nothing")), 0),
}


@pytest.mark.parametrize("name", list(STAGES))
def test_stages_read_an_unknown_field_as_missing(three, name):
    run, expected = STAGES[name]
    assert run(three) == expected


UNKNOWN_READS = {
    "values": lambda d: d.values("nofield"), "values(F)": lambda d: d.values(F("nofield")),
    "count": lambda d: d.count("nofield"), "mean": lambda d: d.mean("nofield"),
    "count_values": lambda d: d.count_values("nofield"), "distinct": lambda d: d.distinct("nofield"),
    "filter_labels": lambda d: d.filter_labels("nofield", F("label") == "x"),
    "set_field": lambda d: d.set_field("nofield", F("a") * 2),
    "select_fields": lambda d: d.select_fields("nofield"),
}


@pytest.mark.parametrize("name", list(UNKNOWN_READS))
def test_reads_of_an_unknown_field_raise(three, name):
    with pytest.raises(UnknownFieldError) as error:  # FiftyOne: ValueError ("Dataset has no field 'nofield'")
        UNKNOWN_READS[name](three)
    assert isinstance(error.value, ValueError)
    assert not three.has_field("nofield")


def test_unknown_field_messages_name_the_collection(three):
    with pytest.raises(UnknownFieldError, match="^Dataset has no field 'nofield'"):
        three.values("nofield")
    with pytest.raises(UnknownFieldError, match="^DatasetView has no field 'nofield'"):
        three.limit(2).values("nofield")


# -- 4. list fields ----------------------------------------------------------------------------------


def test_typed_lists_refuse_none_items():
    dataset = fo.Dataset("lists")
    dataset.add_samples([fo.Sample(f"/{i}.jpg", i=i) for i in range(2)])
    dataset.add_sample_field("ints", fo.ListField, subfield=fo.IntField)
    dataset.add_sample_field("floats", fo.ListField, subfield=fo.FloatField)
    dataset.add_sample_field("strs", fo.ListField, subfield=fo.StringField)
    with pytest.raises(FieldTypeError, match="Invalid IntField item"):  # FiftyOne: ValueError, same words
        dataset.set_values("ints", [[1, None]] * 2)
    sample = dataset.first()
    for field, value, words in (("ints", [1, None], "Invalid IntField item"),
                                ("floats", [1.0, None], "Invalid FloatField item"),
                                ("strs", ["a", None], "Invalid StringField item")):
        with pytest.raises(FieldTypeError, match=words):
            sample[field] = value
            sample.save()
        sample.reload()
    with pytest.raises(FieldTypeError, match="Invalid IntField item"):
        dataset.add_sample(fo.Sample("/x.jpg", newl=[1, None]))
    with pytest.raises(FieldTypeError, match="Invalid StringField item"):
        dataset.add_sample(fo.Sample("/z.jpg", tags=["a", None]))
    dataset.add_sample(fo.Sample("/y.jpg", untyped=[None, None], mixnum=[1, 2.5]))
    assert dataset.values("untyped")[-1] == [None, None]  # FiftyOne: an untyped ListField holds None
    assert dataset.get_field("untyped").field is None
    assert isinstance(dataset.get_field("mixnum").field, fo.FloatField)  # FiftyOne: ints and floats -> floats
    assert dataset.values("mixnum")[-1] == [1.0, 2.5]


@pytest.fixture
def dated():
    dataset = fo.Dataset("dated")
    dataset.add_samples([
        fo.Sample("/0.jpg", dts=[datetime(2020, 1, 1, 12, 0, 0, 123456), datetime(2021, 5, 5)], dd=[date(2020, 1, 2)],
                  d={"when": datetime(2020, 1, 1, 1, 2, 3), "day": date(2020, 3, 4),
                     "nested": {"x": [datetime(2022, 1, 1)]}}),
        fo.Sample("/1.jpg", dts=[], d={"a": 1}),
        fo.Sample("/2.jpg"),
    ])
    return dataset


def test_dates_in_lists_and_dicts(dated):
    assert isinstance(dated.get_field("dts").field, fo.DateTimeField)  # FiftyOne infers these
    assert isinstance(dated.get_field("dd").field, fo.DateField)
    assert dated.values("dts") == [[datetime(2020, 1, 1, 12, 0, 0, 123000), datetime(2021, 5, 5)], [], None]
    assert dated.values("dd") == [[date(2020, 1, 2)], None, None]
    assert dated.values("d") == [{"when": datetime(2020, 1, 1, 1, 2, 3), "day": datetime(2020, 3, 4),
                                  "nested": {"x": [datetime(2022, 1, 1)]}}, {"a": 1}, None]
    fresh = dated.select_fields(["dts", "dd", "d"]).first()
    assert fresh.dts == [datetime(2020, 1, 1, 12, 0, 0, 123000), datetime(2021, 5, 5)]
    assert fresh.dd == [date(2020, 1, 2)]
    assert dated.sort_by("dts").values("filepath") == ["/1.jpg", "/2.jpg", "/0.jpg"]  # FiftyOne
    assert dated.sort_by("dts", reverse=True).values("filepath") == ["/0.jpg", "/2.jpg", "/1.jpg"]
    assert len(dated.match(F("dts").contains(datetime(2021, 5, 5)))) == 1
    dated.set_values("dts", [[datetime(2020, 1, 1, tzinfo=UTC)], None, None])
    assert dated.values("dts") == [[datetime(2020, 1, 1)], None, None]
    with pytest.raises(FieldTypeError):  # FiftyOne: Invalid DateTimeField item
        dated.set_values("dts", [[date(2020, 1, 1)], None, None])


def test_dates_in_lists_and_dicts_read_in_the_configured_timezone(dated):
    fo.config.timezone = "US/Eastern"
    try:
        eastern = dated.values("dts")[0][1]
        assert eastern.isoformat() == "2021-05-04T20:00:00-04:00"  # FiftyOne: the instant in US/Eastern
        assert dated.values("d")[0]["when"].isoformat() == "2019-12-31T20:02:03-05:00"
        assert dated.values("dd") == [[date(2020, 1, 2)], None, None]  # dates stay dates
    finally:
        fo.config.timezone = None


def test_sort_by_a_list_sorts_by_its_smallest_element_or_largest_in_reverse():
    dataset = fo.Dataset("sorted-lists")
    values = [[3, 1], [2], [], "missing", None, [5, 0], [1]]
    dataset.add_samples([fo.Sample(f"/{i}.jpg", i=i, **({} if v == "missing" else {"l": v}))
                         for i, v in enumerate(values)])
    assert dataset.sort_by("l").values("i") == [2, 3, 4, 5, 0, 6, 1]  # FiftyOne
    assert dataset.sort_by("l", reverse=True).values("i") == [5, 0, 1, 6, 3, 4, 2]
    assert dataset.sort_by(F("l")).values("i") == [2, 3, 4, 5, 0, 6, 1]
    assert dataset.sort_by(F("l"), reverse=True).values("i") == [5, 0, 1, 6, 3, 4, 2]
    assert dataset.sort_by("l").limit(3).sort_by("i", reverse=True).values("i") == [4, 3, 2]


def test_sort_by_an_attribute_of_a_list_of_labels(three):
    assert three.sort_by("tl.classifications.confidence").values("a") == [2, 1, 3]  # FiftyOne
    assert three.sort_by("tl.classifications.confidence", reverse=True).values("a") == [1, 3, 2]
    assert three.sort_by(F("tl.classifications.confidence")).values("a") == [2, 1, 3]
    assert three.sort_by("tl.classifications.label").values("a") == [2, 1, 3]
    assert three.sort_by("tl.classifications.label", reverse=True).values("a") == [3, 1, 2]


# -- 5. first/last, set_values lengths, dataset tags and media type ----------------------------------


def test_first_and_last_of_nothing():
    dataset = fo.Dataset("empty")
    for get, words in ((dataset.first, "Dataset is empty"), (dataset.last, "Dataset is empty"),
                       (dataset.limit(0).first, "DatasetView is empty"),
                       (dataset.limit(0).last, "DatasetView is empty")):
        with pytest.raises(EmptyCollectionError, match=words) as error:  # FiftyOne: ValueError, these words
            get()
        assert isinstance(error.value, ValueError)
    assert dataset.head() == []


def test_set_values_of_another_length_raises():
    # FiftyOne writes the shorter of the two and drops the rest silently; bakeoff refuses (README differences)
    dataset = fo.Dataset("lengths")
    dataset.add_samples([fo.Sample(f"/{i}.jpg", i=i) for i in range(3)])
    for values in ([10, 20], [7, 8, 9, 10]):
        with pytest.raises(ValuesLengthError, match=f"got {len(values)} values for 3 samples"):
            dataset.set_values("i", values)
    with pytest.raises(ValueError):
        dataset.skip(1).set_values("i", [100])
    assert dataset.values("i") == [0, 1, 2]


def test_dataset_tags_are_persisted():
    dataset = fo.Dataset("tagged-dataset")
    assert dataset.tags == []  # FiftyOne
    dataset.tags.append("a")
    dataset.save()
    dataset.reload()
    assert dataset.tags == ["a"]
    dataset.tags = ["x", "y"]
    assert fo.load_dataset("tagged-dataset").tags == ["x", "y"]
    dataset.tags.append("z")
    dataset.reload()  # unsaved: dropped
    assert dataset.tags == ["x", "y"]
    dataset.tags = None
    assert dataset.tags == []
    dataset.tags = ("a",)
    assert dataset.tags == ["a"]
    for bad in ("abc", [1]):  # FiftyOne: ValidationError
        with pytest.raises(FieldTypeError):
            dataset.tags = bad
    view = dataset.limit(1)
    assert view.tags == ["a"]
    view.tags = ["v"]
    assert dataset.tags == ["v"]


def test_media_type():
    dataset = fo.Dataset("media")
    assert dataset.media_type is None  # FiftyOne: None until a sample is added
    dataset.add_sample(fo.Sample("/a.jpg"))
    assert dataset.media_type == "image" and dataset.limit(1).media_type == "image"
    dataset.media_type = "image"
    with pytest.raises(MediaTypeError, match="'video'") as error:  # FiftyOne: ValueError (non-empty dataset)
        dataset.media_type = "video"
    assert isinstance(error.value, ValueError)
    dataset.clear()
    assert dataset.media_type == "image"  # FiftyOne: kept
    with pytest.raises(AttributeError):  # FiftyOne: property 'media_type' of 'DatasetView' object has no setter
        dataset.limit(1).media_type = "image"
    other = fo.Dataset("media-2")
    other.media_type = "image"
    assert fo.load_dataset("media-2").media_type == "image"
    with pytest.raises(MediaTypeError):  # FiftyOne accepts 'video' on an empty dataset; bakeoff holds images
        other.media_type = "video"
