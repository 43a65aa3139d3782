"""The user's session from DESIGN.md, end to end, on real photos and tiny local models."""

from __future__ import annotations

import pytest

import bakeoff as fo
import bakeoff.zoo as foz
from bakeoff import ViewField as F


def test_the_tutorial_session_runs_unchanged_but_for_the_import(caltech101_subset, tiny_model_dir, bakeoff_home,
                                                                 run_python, tmp_path):
    (fo.config.dataset_zoo_dir).mkdir(parents=True)
    (fo.config.dataset_zoo_dir / "caltech101").symlink_to(caltech101_subset)
    dataset = foz.load_zoo_dataset("caltech101", max_samples=120, shuffle=True, seed=51, persistent=True)
    dataset.name = "CLIP-Comparison"
    classes = dataset.distinct("ground_truth.label")
    fo.config.default_batch_size = 32

    clip = foz.load_zoo_model("open-clip-torch", clip_model=f"local-dir:{tiny_model_dir('open_clip', 'clip')}",
                              pretrained="", classes=classes)
    dataset.apply_model(clip, label_field="clip")
    field = dataset.get_field("clip")
    field.description = "OpenAI CLIP predictions"
    field.save()
    siglip = foz.load_zoo_model("zero-shot-classification-transformer-torch",
                                name_or_path=str(tiny_model_dir("transformers", "siglip")), classes=classes)
    dataset.apply_model(siglip, label_field="siglip")

    schema = dataset.get_field_schema(ftype=fo.EmbeddedDocumentField, embedded_doc_type=fo.Classification)
    models = [name for name in schema if name != "ground_truth"]
    assert models == ["clip", "siglip"]
    for m in models:
        dataset.evaluate_classifications(m, gt_field="ground_truth", eval_key=f"{m}_eval")
        counts = dataset.count_values(f"{m}_eval")
        assert set(counts) <= {True, False} and sum(counts.values()) == 120
        assert 0 < dataset.mean(F(f"{m}.confidence")) <= 1

    view = dataset.match((F("siglip_eval") == True) & (F("clip_eval") == False))  # noqa: E712
    all_right = dataset.match(F().all([F(f"{m}_eval") == True for m in models]))  # noqa: E712
    evals = list(zip(dataset.values("clip_eval"), dataset.values("siglip_eval"), strict=True))
    assert len(view) == sum(1 for c, s in evals if s and not c)
    assert len(all_right) == sum(1 for c, s in evals if c and s)

    comparison = fo.compare(dataset, pred_fields=models)
    by_model = {row["model"]: row for row in comparison.table}
    for m in models:
        assert by_model[m]["accuracy"] == pytest.approx(dataset.count_values(f"{m}_eval").get(True, 0) / 120)
    assert comparison.all_right().values("id") == all_right.values("id")
    assert comparison.save_report(tmp_path / "report.html").endswith("report.html")

    # another process (a notebook beside the App) sees it all
    seen = run_python("""
import bakeoff as fo
d = fo.load_dataset("CLIP-Comparison")
print(d.get_field("clip").description, d.count("siglip"), sorted(d.list_evaluations()))
""", bakeoff_home)
    assert seen.stdout.strip() == "OpenAI CLIP predictions 120 ['clip_eval', 'siglip_eval']", seen.stderr

    # the tutorial's last step: the App on the all-right view
    import json
    import urllib.request

    with fo.launch_app(all_right, port=0, auto=False) as session:
        request = urllib.request.Request(session.base_url + "api/samples", data=json.dumps(
            {"view": {"dataset": "CLIP-Comparison", "stages": all_right.to_dict()["stages"]}}).encode(),
            headers={"Content-Type": "application/json", **session.headers})
        page = json.loads(urllib.request.urlopen(request, timeout=30).read())
        assert page["count"] == len(all_right)
        assert session.view.values("id") == all_right.values("id")
