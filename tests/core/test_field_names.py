"""Field names that differ only in case name one field: refused alike on SQLite and PostgreSQL.

SQLite's column names ignore case, PostgreSQL's quoted ones do not; bakeoff refuses the clash on
both so that a dataset made on one database can move to the other.
"""

from __future__ import annotations

import pydantic
import pytest

import bakeoff as fo

BUILT_IN = ["id", "filepath", "tags", "metadata", "created_at", "last_modified_at"]


def _clash(name: str, other: str, added_with_it: bool = False) -> str:
    where = f"field '{other}' added with it" if added_with_it else f"existing field '{other}'"
    return f"field '{name}' clashes with {where}: field names must differ in more than case"


@pytest.fixture
def dataset():
    dataset = fo.Dataset("names")
    dataset.add_samples([fo.Sample(f"/img/{i}.jpg", A=i, note="x") for i in range(3)])
    return dataset


def _fields(dataset) -> list[str]:
    dataset.reload()
    return list(dataset.get_field_schema())


def test_add_sample_field_refuses_a_name_that_differs_only_in_case(dataset):
    before = _fields(dataset)
    with pytest.raises(fo.FieldError, match=_clash("a", "A")) as info:
        dataset.add_sample_field("a", fo.IntField)
    assert isinstance(info.value, ValueError)
    with pytest.raises(fo.FieldError, match=_clash("NOTE", "note")):
        dataset.add_sample_field("NOTE", fo.StringField, description="a second note")
    dataset.add_sample_field("A", fo.IntField)  # the same field again: nothing to do
    assert _fields(dataset) == before and dataset.values("A") == [0, 1, 2]


@pytest.mark.parametrize("builtin", BUILT_IN)
def test_built_in_names_in_another_case_are_refused_everywhere(dataset, builtin):
    name = builtin.upper() if builtin != "filepath" else "Filepath"
    before = _fields(dataset)
    with pytest.raises(fo.FieldError, match=_clash(name, builtin)):
        dataset.add_sample_field(name, fo.StringField)
    with pytest.raises(fo.FieldError, match=_clash(name, builtin)):
        dataset.set_values(name, ["x"] * 3)
    with pytest.raises(fo.FieldError, match=_clash(name, builtin)):
        dataset.add_sample(fo.Sample("/img/new.jpg", **{name: "x"}))
    with pytest.raises(fo.FieldError, match=_clash(name, builtin)):
        dataset.rename_sample_field("note", name)
    assert _fields(dataset) == before and len(dataset) == 3


def test_set_values_refuses_to_create_a_case_variant(dataset):
    with pytest.raises(fo.FieldError, match=_clash("a", "A")):
        dataset.set_values("a", [7, 8, 9])
    with pytest.raises(fo.FieldError, match=_clash("a", "A")):
        dataset.set_values("a", dict.fromkeys(dataset.values("id"), 7))
    assert dataset.values("A") == [0, 1, 2] and "a" not in _fields(dataset)
    dataset.set_values("A", [7, 8, 9])  # the field itself, as spelled
    assert dataset.values("A") == [7, 8, 9]


def test_sample_fields_on_add_samples(dataset):
    with pytest.raises(fo.FieldError, match=_clash("a", "A")):
        dataset.add_samples([fo.Sample("/img/3.jpg", A=3), fo.Sample("/img/4.jpg", a=4)])
    with pytest.raises(fo.FieldError, match=_clash("score", "Score", added_with_it=True)):
        dataset.add_samples([fo.Sample("/img/3.jpg", Score=0.5), fo.Sample("/img/4.jpg", score=0.7)])
    with pytest.raises(fo.FieldError, match=_clash("ground_truth", "Ground_Truth", added_with_it=True)):
        dataset.add_sample(fo.Sample("/img/3.jpg", Ground_Truth=fo.Classification(label="cat"),
                                     ground_truth=fo.Classification(label="dog")))
    assert len(dataset) == 3 and "Score" not in _fields(dataset) and "score" not in _fields(dataset)
    # a sample already in the dataset: refused when the field is set, not later when it is saved
    sample = dataset.first()
    with pytest.raises(fo.FieldError, match=_clash("a", "A")):
        sample["a"] = 5
    with pytest.raises(fo.FieldError, match=_clash("Note", "note")):
        sample["Note"] = "y"  # (sample.Note = ... adds no field, as in FiftyOne: an UnknownAttributeError)
    sample["A"] = 5
    sample.save()
    assert dataset.values("A") == [5, 1, 2]


def test_rename_refuses_a_clash_but_may_change_a_name_s_own_case(dataset):
    dataset.add_sample_field("B", fo.IntField)
    with pytest.raises(fo.FieldError, match=_clash("a", "A")):
        dataset.rename_sample_field("B", "a")
    dataset.rename_sample_field("A", "a")  # only the field's own case changes
    assert "a" in _fields(dataset) and "A" not in _fields(dataset) and dataset.values("a") == [0, 1, 2]
    with pytest.raises(fo.FieldError, match=_clash("A", "a")):
        dataset.add_sample_field("A", fo.IntField)
    dataset.rename_sample_field("a", "A")
    assert dataset.values("A") == [0, 1, 2]


def test_embedded_documents_clash_by_their_top_level_name(dataset):
    dataset.set_values("clip", [fo.Classification(label="cat")] * 3)
    with pytest.raises(fo.FieldError, match=_clash("CLIP", "clip")):
        dataset.set_values("CLIP", [fo.Classification(label="dog")] * 3)
    with pytest.raises(fo.FieldError, match=_clash("Clip", "clip")):
        dataset.add_sample_field("Clip", fo.EmbeddedDocumentField, embedded_doc_type=fo.Classification)
    assert dataset.values("clip.label") == ["cat"] * 3


def test_apply_model_refuses_a_label_field_that_differs_only_in_case(dataset):
    not_a_model = object()  # the names are checked first: no model is needed to see the clash
    with pytest.raises(fo.FieldError, match=_clash("a", "A")):
        dataset.apply_model(not_a_model, label_field="a")
    with pytest.raises(fo.FieldError, match=_clash("Clip", "clip", added_with_it=True)):
        dataset.apply_models({"clip": not_a_model, "Clip": not_a_model})
    assert "clip" not in _fields(dataset) and not dataset.list_model_runs()


def test_a_field_another_process_added_is_seen_before_the_clash_reaches_the_database(dataset, bakeoff_home,
                                                                                     run_python):
    dataset.persistent = True
    _fields(dataset)  # this object knows the schema without "Score"
    result = run_python("import bakeoff as fo; fo.load_dataset('names').add_sample_field('Score', fo.FloatField)",
                        bakeoff_home)
    assert result.returncode == 0, result.stderr
    with pytest.raises(fo.FieldError, match=_clash("score", "Score")):
        dataset.set_values("score", [0.1, 0.2, 0.3])
    assert _fields(dataset).count("Score") == 1 and "score" not in _fields(dataset)


RACER = """
import json, os, sys, time
import bakeoff as fo
dataset = fo.load_dataset("names")
print("ready", flush=True)
while not os.path.exists({go!r}):
    time.sleep(0.005)
outcomes = []
for k in range({rounds}):
    try:
        dataset.add_sample_field(f"{prefix}{{k}}", fo.IntField)
        outcomes.append("added")
    except Exception as error:
        outcomes.append(type(error).__name__ + ": " + str(error))
print(json.dumps(outcomes), flush=True)
"""


def test_two_processes_adding_case_variants_at_once_get_one_field_and_one_clear_error(dataset, bakeoff_home,
                                                                                      tmp_path):
    from storage.test_processes import _spawn

    dataset.persistent = True
    go, rounds = tmp_path / "go", 25
    racers = [_spawn(RACER.format(go=str(go), rounds=rounds, prefix=prefix), bakeoff_home) for prefix in ("Race", "race")]
    try:
        for racer in racers:
            assert racer.stdout.readline().strip() == "ready", racer.communicate(timeout=30)[1]
        go.touch()
        results = [racer.communicate(timeout=120) for racer in racers]
    finally:
        go.touch()
        for racer in racers:
            if racer.poll() is None:
                racer.kill()
                racer.wait(timeout=30)
    import json

    upper, lower = (json.loads(out.strip().splitlines()[-1]) for out, _ in results)
    fields = _fields(dataset)
    for k in range(rounds):
        added, refused = sorted([upper[k], lower[k]], key=lambda outcome: outcome != "added")
        assert added == "added" and refused.startswith("FieldError: ") and "clashes with existing" in refused, \
            (k, upper[k], lower[k])
        assert (f"Race{k}" in fields) + (f"race{k}" in fields) == 1


@pytest.mark.parametrize("name", ["abc\n", "abc\r\n", "_abc", "1abc", "a-b", ""])
def test_a_field_name_with_a_trailing_newline_or_a_bad_first_character_is_invalid(dataset, name):
    with pytest.raises(fo.FieldError, match="invalid field"):
        dataset.add_sample_field(name, fo.IntField)
    with pytest.raises(fo.FieldError, match="invalid field"):
        dataset.set_values(name, [1, 2, 3])


@pytest.mark.one_database
@pytest.mark.parametrize("name, valid", [("clip_b32", True), ("B32", True), ("_clip", False), ("3clip", False),
                                         ("clip.label", False), ("clip\n", False)])
def test_app_jobs_accept_the_field_names_the_library_accepts(name, valid):
    from bakeoff.app.jobs import ClassifyParams, EvaluateParams
    from bakeoff.storage.identifiers import check_field_name

    def library() -> bool:
        try:
            check_field_name(name)
        except fo.FieldError:
            return False
        return True

    def app() -> bool:
        try:
            ClassifyParams.model_validate({"model": "demo-clip", "classes": {"names": ["cat"]}, "label_field": name})
            EvaluateParams.model_validate({"pred_field": "clip", "eval_key": name})
        except pydantic.ValidationError:
            return False
        return True

    assert library() == app() == valid
