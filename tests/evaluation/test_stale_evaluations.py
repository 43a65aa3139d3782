"""An evaluation whose fields change afterwards says so, instead of describing labels that are gone."""

from __future__ import annotations

import logging

import pytest

import bakeoff as fo


@pytest.fixture
def evaluated():
    dataset = fo.Dataset()
    dataset.add_samples([
        fo.Sample(f"/{k}.jpg", ground_truth=fo.Classification(label="cat" if k % 2 else "dog"),
                  clip=fo.Classification(label="cat", confidence=0.9), note="x")
        for k in range(6)])
    dataset.evaluate_classifications("clip", eval_key="clip_eval")
    return dataset


def test_a_fresh_evaluation_is_not_stale(evaluated):
    assert evaluated.get_evaluation_info("clip_eval")["stale"] == []
    assert evaluated.stale_evaluations() == {}


@pytest.mark.parametrize("write", [
    lambda ds: ds.set_values("ground_truth", [fo.Classification(label="cat")] * len(ds)),
    lambda ds: ds.set_values("ground_truth.label", ["cat"] * len(ds)),
    lambda ds: ds.limit(1).set_values("clip", [fo.Classification(label="dog")]),
    lambda ds: _save_one(ds, "clip", fo.Classification(label="dog")),
    lambda ds: ds.add_sample(fo.Sample("/new.jpg", ground_truth=fo.Classification(label="cat"))),
    lambda ds: ds.delete_samples(ds.first()),
])
def test_writes_to_its_fields_or_samples_make_it_stale(evaluated, write, caplog):
    write(evaluated)
    stale = evaluated.get_evaluation_info("clip_eval")["stale"]
    assert stale and all("changed after the evaluation ran" in reason for reason in stale)
    assert list(evaluated.stale_evaluations()) == ["clip_eval"]
    with caplog.at_level(logging.WARNING):
        evaluated.load_evaluation_results("clip_eval")
    assert "evaluation 'clip_eval' is stale" in caplog.text
    evaluated.evaluate_classifications("clip", eval_key="clip_eval")  # evaluating again refreshes it
    assert evaluated.get_evaluation_info("clip_eval")["stale"] == []


def _save_one(dataset, field, value):
    sample = dataset.first()
    sample[field] = value
    sample.save()


def test_other_fields_and_tags_leave_it_fresh(evaluated):
    evaluated.set_values("note", ["y"] * len(evaluated))
    evaluated.take(2, seed=1).tag_samples("review")
    evaluated.evaluate_classifications("clip", eval_key="other_eval")
    assert evaluated.stale_evaluations() == {}


def test_a_deleted_or_renamed_field_makes_it_stale(evaluated):
    evaluated.rename_sample_field("clip", "clip_old")
    assert evaluated.get_evaluation_info("clip_eval")["stale"] == ["field 'clip' was deleted or renamed"]


def test_the_app_and_the_cli_show_it(evaluated):
    from bakeoff.cli.datasets import dataset_details

    evaluated.set_values("clip", [fo.Classification(label="dog")] * len(evaluated))
    assert dataset_details(evaluated)["evaluations"]["clip_eval"]["stale"] == "field 'clip' changed after the evaluation ran"
