"""Views: stages, chaining, serialization, saved views, indexes and the tutorial's queries."""

from __future__ import annotations

import random

import pytest

import bakeoff as fo
from bakeoff import ViewField as F

MODELS = ["clip", "siglip", "dfn", "eva"]


@pytest.fixture
def predictions():
    """200 samples, four models with predictions and eval fields, some evals missing."""
    rng = random.Random(7)
    dataset = fo.Dataset("preds")
    samples = []
    for i in range(200):
        sample = fo.Sample(f"/img/{i:03d}.jpg", ground_truth=fo.Classification(label=f"c{i % 4}"), index=i,
                           tags=["hard"] if i % 10 == 0 else [])
        for m in MODELS:
            sample[m] = fo.Classification(label=f"c{rng.randrange(4)}", confidence=round(rng.random(), 4))
            if rng.random() < 0.9:
                sample[f"{m}_eval"] = rng.random() < 0.6
        samples.append(sample)
    dataset.add_samples(samples)
    return dataset


def _python_rows(dataset):
    return [{"id": s.id, **s.to_dict()} for s in dataset]  # to_dict() has no id, as FiftyOne's


def test_tutorial_queries_equal_plain_python(predictions):
    rows = _python_rows(predictions)
    ids = lambda pred: [r["id"] for r in rows if pred(r)]  # noqa: E731
    siglip_not_clip = predictions.match((F("siglip_eval") == True) & (F("clip_eval") == False))  # noqa: E712
    assert siglip_not_clip.values("id") == ids(lambda r: r.get("siglip_eval") is True and r.get("clip_eval") is False)
    all_right = predictions.match(F().all([F(f"{m}_eval") == True for m in MODELS]))  # noqa: E712
    assert all_right.values("id") == ids(lambda r: all(r.get(f"{m}_eval") is True for m in MODELS))
    all_wrong = predictions.match(F().all([F(f"{m}_eval") == False for m in MODELS]))  # noqa: E712
    assert all_wrong.values("id") == ids(lambda r: all(r.get(f"{m}_eval") is False for m in MODELS))
    only_one = predictions.match(F().any([
        F(f"{m}_eval") & F().all([F(f"{o}_eval") == False for o in MODELS if o != m]) for m in MODELS  # noqa: E712
    ]))
    assert only_one.values("id") == ids(
        lambda r: any(r.get(f"{m}_eval") is True and all(r.get(f"{o}_eval") is False for o in MODELS if o != m)
                      for m in MODELS))
    counts = predictions.count_values("clip_eval")
    assert set(counts) <= {True, False, None} and sum(counts.values()) == 200
    assert all(type(k) is bool for k in counts if k is not None)
    expected_mean = sum(r["clip"]["confidence"] for r in rows) / 200
    assert predictions.mean(F("clip.confidence")) == pytest.approx(expected_mean)


def test_stages_chain_lazily_and_in_order(predictions):
    view = predictions.match(F("index") >= 50).sort_by("clip.confidence", reverse=True).skip(5).limit(10)
    confidences = view.values("clip.confidence")
    everything = sorted((s.clip.confidence, -s.index) for s in predictions if s.index >= 50)[::-1]
    assert confidences == [c for c, _ in everything[5:15]]
    assert len(view) == 10 and view.first().clip.confidence == confidences[0]
    # a filter after a limit filters the limited rows
    limited = predictions.limit(20).match(F("index") % 2 == 0)
    assert limited.values("index") == list(range(0, 20, 2))
    assert predictions.skip(195).values("index") == [195, 196, 197, 198, 199]
    assert predictions.limit(5).skip(3).values("index") == [3, 4]


def test_sort_puts_missing_values_first_and_is_stable(predictions):
    view = predictions.sort_by("clip_eval")
    evals = view.values("clip_eval")
    first_non_none = next(i for i, v in enumerate(evals) if v is not None)
    assert all(v is None for v in evals[:first_non_none])
    assert evals[first_non_none:] == sorted(evals[first_non_none:])
    none_indexes = [s.index for s in view.limit(first_non_none)]
    assert none_indexes == sorted(none_indexes)  # ties keep insertion order
    by_expr = predictions.sort_by(F("clip.confidence") * -1).values("clip.confidence")
    assert by_expr == sorted(by_expr, reverse=True)


def test_take_and_shuffle_are_reproducible_with_a_seed(predictions):
    a = predictions.take(20, seed=5).values("index")
    assert a == predictions.take(20, seed=5).values("index") and len(set(a)) == 20
    assert a != predictions.take(20, seed=6).values("index")
    assert sorted(predictions.shuffle(seed=3).values("index")) == list(range(200))
    view = predictions.take(10)  # no seed: one is drawn and kept
    assert view.values("index") == view.values("index")


def test_select_exclude_exists_and_tags(predictions):
    ids = predictions.values("id")
    chosen = [ids[5], ids[1], ids[9]]
    assert predictions.select(chosen).values("index") == [1, 5, 9]  # collection order
    assert len(predictions.exclude(chosen)) == 197
    assert predictions.select(ids).count() == 200  # a long id list is one bound parameter
    assert len(predictions.exists("clip_eval")) == predictions.count("clip_eval")
    assert len(predictions.exists("clip_eval", False)) == 200 - predictions.count("clip_eval")
    assert predictions.match_tags("hard").values("index") == list(range(0, 200, 10))
    assert len(predictions.match_tags("hard", bool=False)) == 180
    assert predictions.count_values("tags") == {"hard": 20}
    assert predictions.count("tags") == 20


def test_select_and_exclude_fields(predictions):
    view = predictions.select_fields(["clip", "clip_eval"])
    sample = view.first()
    assert "clip" in sample.field_names and "siglip" not in sample.field_names and "filepath" in sample.field_names
    assert set(view.get_field_schema()) == {"id", "filepath", "tags", "metadata", "created_at", "last_modified_at",
                                            "clip", "clip_eval"}
    hidden = predictions.exclude_fields("siglip")
    assert not hidden.has_field("siglip") and hidden.has_field("clip")
    with pytest.raises(fo.UnknownFieldError):
        predictions.select_fields("nope")


def test_set_field_changes_the_view_not_the_dataset(predictions):
    view = predictions.set_field("clip.confidence", F("clip.confidence") * 100)
    assert view.bounds("clip.confidence")[1] > 1 and predictions.bounds("clip.confidence")[1] <= 1
    assert view.first().clip.confidence == pytest.approx(predictions.first().clip.confidence * 100)
    with pytest.raises(fo.FieldError, match="scalar path"):
        predictions.set_field("clip", 1)


def test_set_values_on_a_view_writes_in_view_order(predictions):
    view = predictions.match(F("index") < 4).sort_by("index", reverse=True)
    view.set_values("reviewed", ["d", "c", "b", "a"])
    assert predictions.values("reviewed")[:5] == ["a", "b", "c", "d", None]


def test_views_serialize_and_reload(predictions):
    view = (predictions.match((F("clip_eval") == True) | F("tags").contains("hard"))  # noqa: E712
            .sort_by("clip.confidence").take(7, seed=2).select_fields("clip"))
    again = fo.DatasetView.from_json(view.to_json())
    assert again == view and again.values("id") == view.values("id")
    assert "Match" in repr(view) and "Num samples: 7" in repr(view)


def test_saved_views_persist_and_list(predictions):
    view = predictions.match(F("clip_eval") == False)  # noqa: E712
    predictions.save_view("clip-wrong", view, description="where CLIP missed")
    assert predictions.list_saved_views() == ["clip-wrong"]
    assert predictions.list_saved_views(info=True)[0]["description"] == "where CLIP missed"
    assert predictions.load_saved_view("clip-wrong").values("id") == view.values("id")
    with pytest.raises(fo.BakeoffError, match="overwrite=True"):
        predictions.save_view("clip-wrong", view)
    with pytest.raises(KeyError, match="Did you mean 'clip-wrong'"):
        predictions.load_saved_view("clip-wrnog")
    predictions.delete_saved_view("clip-wrong")
    assert predictions.list_saved_views() == []


def test_indexes(predictions):
    indexes = predictions.list_indexes()
    # built in, and made automatically for boolean fields and classification labels
    assert {"id", "filepath", "clip_eval", "clip.label", "ground_truth.label"} <= set(indexes)
    assert "index" not in indexes and "clip.confidence" not in indexes
    predictions.create_index("clip.confidence")
    assert "clip.confidence" in predictions.list_indexes()
    assert predictions.sort_by("clip.confidence").first().clip.confidence == predictions.bounds("clip.confidence")[0]
    predictions.drop_index("clip_eval")
    assert "clip_eval" not in predictions.list_indexes()
    assert len(predictions.match(F("clip_eval") == True)) == predictions.count_values("clip_eval")[True]  # noqa: E712
    with pytest.raises(KeyError):
        predictions.drop_index("clip_eval")
    with pytest.raises(fo.FieldError):
        predictions.create_index("tags")
    with pytest.raises(fo.FieldError, match="built in"):
        predictions.drop_index("id")
    predictions.rename_sample_field("clip", "clip_b32")
    assert "clip_b32.label" in predictions.list_indexes()  # indexes follow renamed fields


def test_aggregate_runs_several_in_one_snapshot(predictions):
    count, mean, counts, bounds = predictions.aggregate(
        [fo.Count(), fo.Mean("clip.confidence"), fo.CountValues("clip.label"), fo.Bounds("index")])
    assert count == 200 and bounds == (0, 199) and sum(counts.values()) == 200
    assert 0 < mean < 1


def test_empty_collections_and_missing_values():
    empty = fo.Dataset()
    empty.add_sample_field("n", fo.IntField)
    assert empty.mean("n") == 0 and empty.sum("n") == 0 and empty.std("n") == 0
    assert empty.bounds("n") == (None, None) and empty.count_values("n") == {} and empty.distinct("n") == []
    assert empty.quantiles("n", 0.5) is None
    with pytest.raises(ValueError, match="is empty"):
        empty.first()
    data = fo.Dataset()
    data.add_samples([fo.Sample("a.jpg", x=1.0), fo.Sample("b.jpg", x=3.0), fo.Sample("c.jpg", x=float("nan")),
                      fo.Sample("d.jpg")])
    assert data.mean("x") == 2 and data.mean(2 * (F("x") + 1)) == 6  # FiftyOne's examples
    assert data.count_values("x") == {1.0: 1, 3.0: 1, None: 2}  # NaN is stored as missing
    counts, edges, other = data.histogram_values("x", bins=2, range=(0, 4))
    assert counts == [1, 1] and edges == [0, 2, 4] and other == 2  # FiftyOne counts missing values in other
