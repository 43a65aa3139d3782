"""The prompt lab on the demo CLIP and demo-shapes images: re-scoring from cached embeddings, saving a run."""

from __future__ import annotations

import numpy as np
import pytest

import bakeoff as fo
import bakeoff.zoo as foz
from bakeoff.brain.prompt_lab import PromptLab, find_zoo_model, score_embeddings
from bakeoff.errors import FieldError, FieldTypeError, InvalidOptionError, PromptError, UnknownFieldError
from bakeoff.models.prompts import TextEmbeddingCache


@pytest.fixture
def shapes(tmp_path, database):
    """36 demo-shapes images of 12 classes, classified by demo-clip into 'clip' (logits stored)."""
    from bakeoff.demo.shapes import class_names, write_dataset

    classes = class_names()[::5][:12]
    root = write_dataset(tmp_path / "shapes", per_class=3, seed=5, classes=classes)
    dataset = fo.Dataset.from_dir(root, name="shapes")
    dataset.apply_model(foz.load_zoo_model("demo-clip", classes=classes), label_field="clip", store_logits=True)
    return dataset


def _recalled(lab: PromptLab) -> str:
    """A class the run's prompts get right at least once."""
    return next(c for c in lab.classes if lab.baseline.recall.get(c, 0) > 0)


def test_the_runs_own_prompts_reproduce_its_predictions(shapes):
    lab = PromptLab(shapes, "clip", gt_field="ground_truth")
    assert lab.baseline.labels == shapes.values("clip.label")
    np.testing.assert_allclose(lab.baseline.confidences, shapes.values("clip.confidence"), atol=1e-6)
    assert lab.baseline.changed == 0 and lab.baseline.prompts == lab.run_prompts
    results = shapes.evaluate_classifications("clip", gt_field="ground_truth", eval_key="clip_eval")
    assert lab.baseline.accuracy == pytest.approx(float(np.mean(results.correct)))
    # rescoring with nothing changed is the baseline again
    assert lab.rescore().labels == lab.baseline.labels


def test_a_changed_prompt_changes_the_class_recall(shapes):
    lab = PromptLab(shapes, "clip", gt_field="ground_truth")
    target = _recalled(lab)
    wrong = next(c for c in lab.classes if c.split()[0] != target.split()[0] and c.split()[1] != target.split()[1])
    result = lab.rescore(prompts={target: [f"a photo of a {wrong}"]})
    assert result.recall[target] < lab.baseline.recall[target]
    assert result.changed > 0 and result.broken > 0
    row = result.confusion_row(target)
    assert sum(row.values()) == result.support[target] == lab.baseline.support[target]
    assert row.get(target, 0) == round(result.recall[target] * result.support[target])
    assert result.prompts[target] == [f"a photo of a {wrong}"]
    assert all(result.prompts[c] == lab.run_prompts[c] for c in lab.classes if c != target)
    # each call starts from the run's prompts: changing nothing gives the baseline back
    assert lab.rescore().recall[target] == lab.baseline.recall[target]


def test_only_new_prompts_are_encoded(shapes):
    cache = TextEmbeddingCache()
    model = foz.load_zoo_model("demo-clip", classes=shapes.distinct("ground_truth.label"), cache=cache)
    lab = PromptLab(shapes, "clip", gt_field="ground_truth", model=model)
    assert len(cache) == len(lab.classes)  # the run's prompts, one per class
    target = lab.classes[0]
    lab.rescore(prompts={target: ["a shape", "a drawing of a shape"]})
    assert len(cache) == len(lab.classes) + 2
    lab.rescore(prompts={target: ["a shape", "a drawing of a shape"]})
    lab.rescore(prompts={target: ["a shape"]})
    assert len(cache) == len(lab.classes) + 2


def test_templates_for_every_class(shapes):
    lab = PromptLab(shapes, "clip", gt_field="ground_truth")
    result = lab.rescore(templates=["a drawing of a {}", "a {}"])
    assert result.prompts[lab.classes[0]] == [f"a drawing of a {lab.classes[0]}", f"a {lab.classes[0]}"]
    assert 0.0 <= result.accuracy <= 1.0 and result.num_evaluated == len(shapes)
    # per-class prompts win over the templates for their class
    mixed = lab.rescore(templates=["a {}"], prompts={lab.classes[1]: "a photo of a thing"})
    assert mixed.prompts[lab.classes[1]] == ["a photo of a thing"]
    assert mixed.prompts[lab.classes[0]] == [f"a {lab.classes[0]}"]


def test_save_writes_a_model_run_with_its_prompts(shapes):
    lab = PromptLab(shapes, "clip", gt_field="ground_truth")
    target = _recalled(lab)
    result = lab.rescore(prompts={target: ["a drawing of a shape", f"a {target}"]})
    info = lab.save("clip_v2")
    assert "clip_v2" in shapes.list_model_runs()
    config = info["config"]
    assert config["prompts"][lab.classes.index(target)] == ["a drawing of a shape", f"a {target}"]
    assert config["classes"] == lab.classes and config["status"] == "complete"
    assert config["prompt_lab"] == {"source_field": "clip", "gt_field": "ground_truth", "changed_classes": [target],
                                    "accuracy": result.accuracy}
    assert shapes.values("clip_v2.label") == result.labels
    assert info["results"]["from_cache"] == len(shapes) and info["results"]["decoded"] == 0
    assert shapes.get_field("clip_v2") is not None
    with pytest.raises(FieldError, match="clip_v2"):
        lab.save("clip_v2")
    with pytest.raises(FieldError, match="clip"):
        lab.save("clip", overwrite=True)
    lab.save("clip_v2", templates=["a {}"], overwrite=True)
    assert shapes.get_model_run_info("clip_v2")["config"]["prompts"][0] == [f"a {lab.classes[0]}"]


def test_a_view_is_scored_and_saved_alone(shapes):
    view = shapes.match(fo.ViewField("ground_truth.label").is_in(shapes.distinct("ground_truth.label")[:4]))
    lab = PromptLab(view, "clip", gt_field="ground_truth")
    assert lab.baseline.num_samples == len(view) == 12
    assert lab.baseline.labels == view.values("clip.label")
    lab.save("clip_view")
    assert shapes.count("clip_view") == 12


def test_an_unreadable_image_has_no_prediction(shapes, tmp_path):
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"not a png")
    shapes.add_sample(fo.Sample(filepath=str(bad), ground_truth=fo.Classification(label=shapes.first().ground_truth.label)))
    lab = PromptLab(shapes, "clip", gt_field="ground_truth")
    assert lab.baseline.labels[-1] is None and np.isnan(lab.baseline.confidences[-1])
    assert lab.baseline.num_evaluated == len(shapes)
    assert "(none)" in lab.baseline.confusion_row(shapes.first().ground_truth.label)


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"pred_field": "nope"}, UnknownFieldError, "no model run wrote 'nope'"),
    ({"pred_field": "clip", "gt_field": "nope"}, UnknownFieldError, "no field 'nope'"),
    ({"pred_field": "clip", "gt_field": "filepath"}, FieldTypeError, "not a Classification"),
])
def test_bad_fields(shapes, kwargs, error, match):
    with pytest.raises(error, match=match):
        PromptLab(shapes, **kwargs)


@pytest.mark.parametrize(("prompts", "match"), [
    ({"red circel": ["a red circle"]}, "Did you mean 'red circle'"),
    ({"red circle": []}, "one or more prompt strings"),
    ({"red circle": [""]}, "not a prompt"),
    ({"red circle": ["x" * 1001]}, "at most 1000 characters"),
    ({"red circle": ["a"] * 101}, "at most 100"),
    ({"red circle": [3]}, "not a prompt"),
    (["red circle"], "must be"),
])
def test_bad_prompts(shapes, prompts, match):
    lab = PromptLab(shapes, "clip", gt_field="ground_truth")
    with pytest.raises(PromptError, match=match):
        lab.rescore(prompts=prompts)


def test_bad_templates(shapes):
    lab = PromptLab(shapes, "clip", gt_field="ground_truth")
    with pytest.raises(PromptError):
        lab.rescore(templates=["no placeholder"])


def test_another_model_is_refused(shapes):
    with pytest.raises(InvalidOptionError, match="fingerprint"):
        PromptLab(shapes, "clip", gt_field="ground_truth", model="demo-siglip")


def test_the_runs_model_is_found_in_the_zoo(shapes):
    assert find_zoo_model(shapes.get_model_run_info("clip")["config"]["fingerprint"]) == "demo-clip"
    assert find_zoo_model(foz.load_zoo_model("demo-openclip").fingerprint) == "demo-openclip"
    assert find_zoo_model("transformers:clip:someone-else-0123:fp32") is None


def test_score_embeddings_threshold():
    from bakeoff.models.scoring import SoftmaxScorer

    image = np.array([[1.0, 0.0], [0.7071, 0.7071]], np.float32)
    index, confidence = score_embeddings(image, np.eye(2, dtype=np.float32), SoftmaxScorer(), confidence_thresh=0.9)
    assert index.tolist() == [0, -1] and confidence[1] == pytest.approx(0.5)
