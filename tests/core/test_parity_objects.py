"""FiftyOne's object model and error types, pinned as literals (FiftyOne 1.22.1's answers, issue #15).

One in-memory Sample per sample id, what reaches it, copies, None-first fields,
the new-field guards, to_dict, last_loaded_at, hashing, and which builtin each
user mistake raises.
"""

from __future__ import annotations

import copy
import gc
import threading
import time

import pytest

import bakeoff as fo
from bakeoff import ViewField as F
from bakeoff.errors import (
    BakeoffError,
    SampleIndexError,
    SavedViewExistsError,
    SavedViewNotFoundError,
    UnknownAttributeError,
)


def _dataset(n=2):
    dataset = fo.Dataset()
    samples = [fo.Sample(f"/img/{i}.jpg", n=i + 1) for i in range(n)]
    dataset.add_samples(samples)
    return dataset, samples


# -- one object per sample ------------------------------------------------------------------


def test_one_object_per_sample_id():
    dataset, (a, b) = _dataset()
    # FiftyOne: ds[s.id] is s, ds.first() is s, [x for x in ds][0] is s, ds.last()/head()/ds[filepath] too
    assert dataset[a.id] is a and dataset.first() is a and next(iter(dataset)) is a
    assert dataset.last() is b and dataset.head()[0] is a and dataset["/img/0.jpg"] is a
    assert list(dataset) == [a, b]
    # a view's samples are objects of their own (FiftyOne's SampleView): `is` False, == False
    in_view = dataset.match(F("n") == 1).first()
    assert in_view is not a and in_view != a and in_view.id == a.id
    assert dataset.view().first() == dataset.view().first()  # SampleView == SampleView: True


def test_sample_objects_nobody_holds_are_freed():
    dataset, _ = _dataset(0)
    dataset.add_samples([fo.Sample(f"/{i}.jpg") for i in range(50)])
    for _sample in dataset:
        pass
    del _sample
    gc.collect()
    assert len(dataset._live_samples()) == 0


def test_fetching_again_keeps_unsaved_edits():
    dataset, (a, _) = _dataset()
    a["n"] = 99  # FiftyOne: ds[id] again and iteration return the object as it is: 99, not re-read
    assert dataset[a.id].n == 99 and next(iter(dataset)).n == 99


def test_writes_through_the_dataset_reach_live_samples():
    dataset, (a, b) = _dataset()
    dataset.set_values("n", [5, 6])
    assert (a.n, b.n) == (5, 6)  # FiftyOne: 5 after set_values
    a["n"] = 1001
    dataset.set_values("n", [8, 8])
    assert a.n == 8  # FiftyOne: unsaved edits are dropped (8)
    a["n"] = 1000
    dataset.tag_samples("t1")
    assert a.tags == ["t1"] and a.n == 8  # FiftyOne: tags ['t1'], n back to the saved value
    dataset.untag_samples("t1")
    assert a.tags == []
    dataset.match(F("n") >= 0).set_values("n", [7, 7])
    assert a.n == 7
    dataset.set_values("n", {b.id: 3})
    assert b.n == 3 and a.n == 7


def test_a_view_sample_saved_updates_the_dataset_sample():
    dataset, (a, _) = _dataset()
    in_view = dataset.match(F("n") == 1).first()
    in_view["n"] = 10
    in_view.save()
    assert a.n == 10  # FiftyOne: 10
    selected = dataset.select_fields("n").first()
    selected.n = 42
    selected.save()
    assert a.n == 42 and a.filepath == "/img/0.jpg"  # FiftyOne: 42 /a.jpg


def test_reload_drops_unsaved_edits():
    dataset, (a, _) = _dataset()
    a["n"] = 77
    dataset.reload()
    assert a.n == 1  # FiftyOne: dataset.reload() re-reads in-memory samples
    a["n"] = 66
    a.reload()
    assert a.n == 1


def test_field_renames_and_deletes_reach_live_samples():
    dataset, (a, _) = _dataset()
    a["k"] = 2
    a.save()
    a["k"] = 99
    dataset.rename_sample_field("n", "m")
    assert a.m == 1 and a.k == 2  # FiftyOne: 1, and the unsaved 99 is dropped (2)
    with pytest.raises(AttributeError):  # FiftyOne: AttributeError "Sample has no field 'n'"
        _ = a.n
    dataset.delete_sample_field("m")
    assert not a.has_field("m")
    with pytest.raises(AttributeError):
        _ = a.m
    dataset.add_sample_field("added", fo.IntField)
    assert a.added is None  # FiftyOne: None


def test_deleting_samples_or_the_dataset_detaches_live_objects():
    dataset, (a, b) = _dataset()
    dataset.delete_samples([b.id])
    # FiftyOne: id None, in_dataset False, dataset None, values kept, created_at None
    assert (b.id, b.in_dataset, b.dataset, b.n, b.created_at) == (None, False, None, 2, None)
    with pytest.raises(ValueError):  # FiftyOne: ValueError 'Cannot save a sample that has not been added...'
        b.save()
    dataset.add_sample(b)  # FiftyOne: a detached sample can be added again
    assert b.in_dataset and dataset[b.id] is b
    dataset.delete_samples(b.id)  # a single id, as FiftyOne
    assert not b.in_dataset
    dataset.delete()
    assert (a.id, a.in_dataset, a.filepath) == (None, False, "/img/0.jpg")


def test_clear_detaches_live_objects():
    dataset, (a, _) = _dataset()
    dataset.clear()
    assert a.id is None and not a.in_dataset  # FiftyOne: None False


def test_a_sample_of_a_dataset_is_copied_when_added_again():
    dataset, (a, _) = _dataset()
    new_id = dataset.add_sample(a)  # FiftyOne: a new sample; the object keeps its id
    assert new_id != a.id and dataset[a.id] is a and len(dataset) == 3
    other = fo.Dataset()
    other.add_samples(dataset.match(F("n") == 1))  # a view's samples are copied too
    assert other.values("n") == [1, 1] and a.dataset is dataset


def test_threads_get_the_same_object():
    dataset, (a, _) = _dataset()
    sample_id = a.id
    del a
    gc.collect()
    seen, barrier = [], threading.Barrier(4)

    def fetch():
        barrier.wait()
        seen.append(dataset[sample_id])

    threads = [threading.Thread(target=fetch) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(seen) == 4 and all(s is seen[0] for s in seen)


# -- copies ---------------------------------------------------------------------------------


def test_copies_of_views_datasets_expressions_and_samples():
    dataset, (a, _) = _dataset()
    view = dataset.match(F("n") > 1).limit(1)
    for clone in (copy.copy(view), copy.deepcopy(view)):
        # FiftyOne: an equal view on the same dataset object, with its own stage list
        assert clone == view and clone is not view and clone._stages is not view._stages
        assert clone.dataset is dataset and clone.values("n") == [2]
    assert copy.copy(dataset) is dataset and copy.deepcopy(dataset) is dataset  # FiftyOne: True True
    expr = (F("n") > 1) & F("tags").contains("x")
    for clone in (copy.copy(expr), copy.deepcopy(expr)):
        assert clone is not expr and clone.to_dict() == expr.to_dict()  # FiftyOne: is False, same expression
    assert type(copy.copy(F("n"))).__name__ == "ViewField"
    for clone in (copy.copy(a), copy.deepcopy(a), a.copy()):
        # FiftyOne: id None, not in a dataset, created_at None, same fields
        assert (clone.id, clone.in_dataset, clone.created_at, clone.n) == (None, False, None, 1)
        assert sorted(clone.field_names) == ["created_at", "filepath", "id", "last_modified_at", "metadata", "n", "tags"]
    assert sorted(a.copy(omit_fields=["n"]).field_names) == [
        "created_at", "filepath", "id", "last_modified_at", "metadata", "tags"]
    tagged = fo.Sample("/z.jpg", tags=["a"])
    copy.copy(tagged).tags.append("b")
    assert tagged.tags == ["a"]  # FiftyOne: a copy is deep


def test_saved_view_name_travels_with_copies():
    dataset, _ = _dataset()
    view = dataset.match(F("n") > 0)
    assert view.name is None
    dataset.save_view("sv", view)
    # FiftyOne: the saved view object takes the name; copies and loads keep it; a child view has none
    assert view.name == "sv" and copy.copy(view).name == "sv" and copy.deepcopy(view).name == "sv"
    assert dataset.load_saved_view("sv").name == "sv" and dataset.load_saved_view("sv").limit(1).name is None


# -- new fields -----------------------------------------------------------------------------


def test_none_first_fields():
    dataset, (a, b) = _dataset()
    # FiftyOne: add_sample(Sample(y=None)) adds the sample, not the untyped field
    c = fo.Sample("/c.jpg", y=None)
    dataset.add_sample(c)
    assert not dataset.has_field("y") and not c.has_field("y")
    assert c.n is None  # fields of the schema it lacks read as None
    dataset.add_samples([fo.Sample("/d.jpg", v=None), fo.Sample("/e.jpg", v=2.5)])
    assert dataset.get_field_schema()["v"] == fo.FloatField()  # FiftyOne: FloatField
    assert dataset.values("v") == [None, None, None, None, 2.5]
    dataset.set_values("z", [None, 1, None, None, None])
    assert dataset.get_field_schema()["z"] == fo.IntField() and dataset.values("z")[:2] == [None, 1]
    with pytest.raises(ValueError):  # FiftyOne: ValueError 'Cannot infer an appropriate type ... all-None values'
        dataset.set_values("w", [None] * 5)
    dataset.add_sample(fo.Sample("/h.jpg", y2=None), expand_schema=False)  # FiftyOne: fine
    with pytest.raises(ValueError):  # FiftyOne: ValueError "Fields {'y3'} do not exist on dataset"
        dataset.add_sample(fo.Sample("/h.jpg", y3=1), expand_schema=False)
    with pytest.raises(TypeError):  # FiftyOne: TypeError "Cannot infer an appropriate field type for value 'None'"
        a["x"] = None
    free = fo.Sample("/free.jpg")
    free["x"] = None  # FiftyOne: fine on a sample in no dataset
    assert free.x is None and fo.Sample("/q.jpg", x=None).x is None


def test_new_field_guards():
    dataset, (a, b) = _dataset()
    with pytest.raises(ValueError, match="no field 'newf'"):  # FiftyOne: ValueError "Sample has no field 'newf'"
        a.set_field("newf", 1, create=False)
    with pytest.raises(ValueError, match=r"sample\['new_attr'\] = value"):  # FiftyOne: ValueError "... `sample['field'] = value` instead"
        a.new_attr = 1
    a["newitem"] = 1  # FiftyOne: creates the field, in the schema at once (before save)
    assert dataset.get_field_schema()["newitem"] == fo.IntField() and b.newitem is None
    a.save()
    assert dataset.values("newitem") == [1, None]
    a.n = 3  # an existing field: fine
    a.set_field("n", 4, create=False)
    assert a.n == 4
    assert not dataset.has_field("newf") and not dataset.has_field("new_attr")
    free = fo.Sample("/u.jpg")
    with pytest.raises(ValueError):  # FiftyOne: the same ValueError on a sample in no dataset
        free.new_attr = 1
    with pytest.raises(ValueError):
        free.set_field("zz", 1, create=False)
    with pytest.raises(AttributeError):  # FiftyOne: AttributeError "Sample has no field 'new_attr'"
        _ = free.new_attr
    with pytest.raises(KeyError):  # FiftyOne: KeyError on item access
        free["new_attr"]


# -- to_dict, last_loaded_at, hashing --------------------------------------------------------


def test_to_dict_keys():
    free = fo.Sample("/c.jpg", gt=fo.Classification(label="cat", confidence=0.5))
    # FiftyOne: ['filepath', 'tags', 'metadata', 'created_at', 'last_modified_at', 'gt']; no id
    assert list(free.to_dict()) == ["filepath", "tags", "metadata", "created_at", "last_modified_at", "gt"]
    assert free.to_dict()["gt"]["_cls"] == "Classification" and free.to_dict()["created_at"] is None
    dataset = fo.Dataset()
    dataset.add_sample(free)
    assert list(free.to_dict()) == ["filepath", "tags", "metadata", "created_at", "last_modified_at", "gt"]
    private = free.to_dict(include_private=True)
    # FiftyOne: '_id': {'$oid': ...} first, then the fields, '_media_type', '_rand', '_dataset_id'
    assert list(private)[0] == "_id" and private["_id"] == {"$oid": free.id} and private["_media_type"] == "image"
    assert "id" not in private and private["_dataset_id"] == dataset.id
    assert fo.Sample("/x.jpg").to_dict(include_private=True)["_id"] is None


def test_last_loaded_at_advances_on_load_and_reload():
    dataset = fo.Dataset(persistent=True)
    dataset.add_sample(fo.Sample("/a.jpg"))
    before = dataset.last_loaded_at
    time.sleep(0.02)
    dataset[dataset.first().id], list(dataset)
    assert dataset.last_loaded_at == before  # FiftyOne: reads do not count
    loaded = fo.load_dataset(dataset.name)
    assert loaded is dataset and dataset.last_loaded_at > before  # FiftyOne: True, True
    after_load = dataset.last_loaded_at
    time.sleep(0.02)
    dataset.reload()
    assert dataset.last_loaded_at > after_load  # FiftyOne: reload() advances it
    dataset.delete()


def test_samples_are_not_hashable_and_compare_by_identity():
    sample = fo.Sample("/a.jpg", n=1)
    with pytest.raises(TypeError):  # FiftyOne: TypeError "unhashable type: 'Sample'", before and after add
        hash(sample)
    assert sample == sample and sample != fo.Sample("/a.jpg", n=1) and sample != sample.copy()  # True False False
    dataset = fo.Dataset()
    dataset.add_sample(sample)
    with pytest.raises(TypeError):
        hash(sample)
    assert sample != fo.Sample("/a.jpg", n=1) and sample != sample.copy()
    with pytest.raises(TypeError):  # FiftyOne: unhashable type: 'DatasetView'
        hash(dataset.view())


# -- error types ----------------------------------------------------------------------------


def test_indexing_a_collection():
    dataset, (a, _) = _dataset()
    for key in (0, True):
        with pytest.raises(ValueError, match="not indexed by position"):  # FiftyOne: ValueError
            dataset[key]
    with pytest.raises(KeyError):  # FiftyOne on a view: KeyError
        dataset.limit(2)[0]
    with pytest.raises(SampleIndexError):
        dataset[0]
    with pytest.raises(KeyError):  # FiftyOne: KeyError "No sample found with ID '...'"
        dataset["aaaaaaaaaaaaaaaaaaaaaaaa"]
    with pytest.raises(KeyError):  # FiftyOne: KeyError "No sample found with filepath 'bad'"
        dataset["bad"]
    with pytest.raises(KeyError):
        dataset.limit(1)[dataset.last().id]
    assert dataset[0:1].values("n") == [1] and dataset[-1:].values("n") == [2] and dataset[1:].values("n") == [2]
    assert dataset[F("n") == 2].values("n") == [2]
    with pytest.raises(ValueError, match="step"):  # FiftyOne: ValueError "Unsupported slice ...; step is not supported"
        dataset[::2]
    assert dataset.view()["/img/0.jpg"].id == a.id


def test_saved_view_errors():
    dataset, _ = _dataset()
    view = dataset.match(F("n") > 0)
    dataset.save_view("v1", view)
    with pytest.raises(ValueError, match="already exists"):  # FiftyOne: ValueError "Saved view 'v1' already exists"
        dataset.save_view("v1", view)
    with pytest.raises(SavedViewExistsError):
        dataset.save_view("v1", view)
    for call in (dataset.load_saved_view, dataset.delete_saved_view):
        with pytest.raises(ValueError, match="has no saved view 'nope'"):  # FiftyOne: ValueError "Dataset has no saved view 'nope'"
            call("nope")
        with pytest.raises(SavedViewNotFoundError):
            call("nope")


def test_deleted_dataset_raises_value_error():
    dataset, _ = _dataset()
    name = dataset.name
    dataset.delete()
    # FiftyOne: ValueError "Dataset '...' is deleted" from each of these
    for call in (lambda: len(dataset), dataset.count, dataset.first, lambda: list(dataset),
                 lambda: dataset.values("n"), lambda: dataset.add_sample(fo.Sample("/z.jpg")),
                 lambda: setattr(dataset, "name", "zzz"), lambda: dataset.info, lambda: dataset.classes,
                 dataset.save, dataset.reload, dataset.delete):
        with pytest.raises(ValueError, match="is deleted"):
            call()
    assert dataset.deleted and dataset.name == name
    with pytest.raises(ValueError):  # FiftyOne: DatasetNotFoundError, a ValueError
        fo.load_dataset(name)
    with pytest.raises(fo.DatasetNotFoundError):
        fo.load_dataset(name)


def test_unknown_attributes_on_views_and_datasets_raise():
    dataset, _ = _dataset()
    view = dataset.match(F("n") > 0)
    # FiftyOne: AttributeError "property 'name' of 'DatasetView' object has no setter"
    with pytest.raises(AttributeError, match="property 'name' of 'DatasetView' object has no setter"):
        view.name = "x"
    with pytest.raises(AttributeError, match="no setter"):
        view.dataset_name = "x"
    with pytest.raises(AttributeError, match="no setter"):  # FiftyOne: ... of 'Dataset' object has no setter
        dataset.created_at = None
    for target in (view, dataset):
        # FiftyOne: AttributeError "'Dataset' object has no attribute 'foo'"
        with pytest.raises(AttributeError, match="object has no attribute 'foo'"):
            target.foo = 1
        with pytest.raises(AttributeError, match="object has no attribute 'foo'"):
            _ = target.foo
        with pytest.raises(UnknownAttributeError):
            target.foo = 1
    with pytest.raises(AttributeError):  # FiftyOne: 'DatasetView' object has no attribute 'persistent'
        view.persistent = True
    assert not hasattr(view, "foo") and isinstance(UnknownAttributeError("x"), BakeoffError)


def test_classes_default_classes_description_and_info_are_saved():
    dataset, _ = _dataset()
    dataset.persistent = True
    assert (dataset.classes, dataset.default_classes, dataset.description) == ({}, [], None)  # FiftyOne: {} [] None
    dataset.classes = {"gt": ["a", "b"]}
    dataset.default_classes = ["a", "b"]
    dataset.description = "hello"
    view = dataset.view()
    assert view.classes == {"gt": ["a", "b"]} and view.default_classes == ["a", "b"] and view.description == "hello"
    view.classes = {"x": ["a"]}  # FiftyOne: a view sets its dataset's classes
    dataset.info = {"k": 1}  # FiftyOne: assigning info saves it
    dataset._properties = dataset._info = None  # forget what this object holds: read back from the database
    assert dataset.classes == {"x": ["a"]} and dataset.default_classes == ["a", "b"]
    assert dataset.description == "hello" and dataset.info == {"k": 1}
    dataset.classes["gt2"] = ["b"]  # in place: saved by save(), dropped by reload()
    dataset.reload()
    assert dataset.classes == {"x": ["a"]}  # FiftyOne: {} back after reload (the unsaved key is gone)
    dataset.default_classes.append("c")
    dataset.save()
    dataset.reload()
    assert dataset.default_classes == ["a", "b", "c"]  # FiftyOne: saved by save()
    dataset.classes = None
    dataset.default_classes = None
    assert (dataset.classes, dataset.default_classes) == ({}, [])  # FiftyOne: {} []
    # FiftyOne: mongoengine ValidationError (an AssertionError); bakeoff: FieldTypeError (TypeError, ValueError)
    for name, bad in (("classes", ["a"]), ("classes", {"gt": "abc"}), ("classes", {1: ["a"]}),
                      ("default_classes", "a"), ("default_classes", [1, 2]), ("description", 3), ("info", [])):
        with pytest.raises(fo.FieldTypeError):
            setattr(dataset, name, bad)
    assert dataset.default_classes == [] and dataset.description == "hello"
    assert dataset.clone().description == "hello"
    dataset.delete()
