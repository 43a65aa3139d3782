"""The brain's panels in a real browser: the search box, the embeddings map with a selection, the prompt lab.

Uses the browser, ``open_app`` and the screenshot helpers of test_browser.py; screenshots land in
``test-artifacts/app/`` (``brain-*.png``).
"""

from __future__ import annotations

import pytest
from app.test_browser import browser, count_of, open_app, shot, wait_count  # noqa: F401 - fixtures reused

import bakeoff.zoo as foz
from bakeoff.brain.prompt_lab import PromptLab

pytestmark = pytest.mark.slow


@pytest.fixture
def classified(shapes_dataset):
    """36 demo-shapes images of 12 classes, classified by demo-clip into 'clip'."""
    classes = shapes_dataset.distinct("ground_truth.label")
    shapes_dataset.apply_model(foz.load_zoo_model("demo-clip", classes=classes), label_field="clip", store_logits=True)
    return shapes_dataset


def _pct(x: float) -> str:
    return f"{x * 100:.1f}%"


def test_the_prompt_lab_rescores_a_changed_prompt_and_saves_it(classified, open_app):  # noqa: F811
    lab = PromptLab(classified, "clip", gt_field="ground_truth")
    target = next(c for c in lab.classes if lab.baseline.recall.get(c, 0) > 0)
    other = next(c for c in lab.classes if c.split()[0] != target.split()[0] and c.split()[1] != target.split()[1])
    expected = lab.rescore(prompts={target: [f"a photo of a {other}"]})

    _, page = open_app(classified)
    page.click("[data-testid=promptlab-toggle]")
    page.select_option("[data-testid=promptlab-run]", "clip")
    page.click("[data-testid=promptlab-open]")
    page.wait_for_selector("[data-testid=promptlab-accuracy]")
    page.wait_for_function("t => document.querySelector('[data-testid=promptlab-accuracy]').textContent.includes(t)",
                           arg=f"accuracy {_pct(lab.baseline.accuracy)}")
    shot(page, "brain-promptlab-open")

    page.click(f"[data-testid='promptlab-class-{target}']")
    page.wait_for_function("t => document.querySelector('[data-testid=promptlab-recall]').textContent.includes(t)",
                           arg=f'recall of "{target}": {_pct(lab.baseline.recall[target])}')
    assert page.input_value("[data-testid=promptlab-prompts]") == "\n".join(lab.run_prompts[target])
    page.fill("[data-testid=promptlab-prompts]", f"a photo of a {other}")
    page.click("[data-testid=promptlab-rescore]")
    page.wait_for_function("t => document.querySelector('[data-testid=promptlab-recall]').textContent.includes(t)",
                           arg=f'recall of "{target}": {_pct(expected.recall[target])}')
    accuracy = page.inner_text("[data-testid=promptlab-accuracy]")
    assert f"accuracy {_pct(expected.accuracy)}" in accuracy and f"run's prompts {_pct(lab.baseline.accuracy)}" in accuracy
    row = page.locator("[data-testid=promptlab-confusion-item]").all_inner_texts()
    assert len(row) == len(expected.confusion_row(target))
    assert f"{expected.changed} predictions changed" in page.inner_text("[data-testid=promptlab-changes]")
    assert page.inner_text(f"[data-testid='promptlab-class-{target}']").startswith("✎")
    shot(page, "brain-promptlab-rescored")

    page.fill("[data-testid=promptlab-save-field]", "clip_lab")
    page.click("[data-testid=promptlab-save]")
    page.wait_for_function("() => document.querySelector('[data-testid=promptlab-save-status]').textContent"
                           ".startsWith('saved')")
    assert classified.values("clip_lab.label") == expected.labels
    page.wait_for_selector("[data-testid=tile] .chip[title=clip_lab]")
    shot(page, "brain-promptlab-saved")


@pytest.fixture
def indexed(classified):
    """The classified shapes with a similarity index 'sim' and a PCA map 'map' of demo-clip's embeddings."""
    import bakeoff.brain as fob

    fob.compute_similarity(classified, model="demo-clip", brain_key="sim")
    fob.compute_visualization(classified, model="demo-clip", method="pca", brain_key="map", seed=0)
    return classified


def _tile_ids(page) -> list[str]:
    return page.eval_on_selector_all("[data-testid=tile]", "tiles => tiles.map((t) => t.dataset.id)")


def _view_of(page) -> dict:
    """The view the page shows, from its URL (#v=...)."""
    import base64
    import json

    text = page.evaluate("() => location.hash").removeprefix("#v=")
    return json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))


def test_the_search_box_and_more_like_this_sort_the_view(indexed, open_app):  # noqa: F811
    import bakeoff.brain as fob

    _, page = open_app(indexed)
    page.wait_for_selector("[data-testid=search-input]:not([disabled])")
    page.fill("[data-testid=search-k]", "5")
    page.fill("[data-testid=search-input]", "a red circle")
    page.press("[data-testid=search-input]", "Enter")
    wait_count(page, 5)
    expected = fob.sort_by_similarity(indexed, "a red circle", k=5, brain_key="sim").values("id")
    page.wait_for_function("n => document.querySelectorAll('[data-testid=tile]').length === n", arg=5)
    assert _tile_ids(page) == expected
    assert '5 most like "a red circle"' in page.inner_text("[data-testid=stage-0]")
    shot(page, "brain-search")

    page.locator("[data-testid=tile]").nth(2).click()
    page.wait_for_selector("[data-testid=modal-side] h3")
    page.click("[data-testid=more-like-this]")
    page.wait_for_function("() => document.querySelector('[data-testid=stage-0]').textContent.includes('like a sample')")
    similar = fob.sort_by_similarity(indexed, expected[2], k=5, brain_key="sim").values("id")
    page.wait_for_function("first => document.querySelector('[data-testid=tile]').dataset.id === first", arg=similar[0])
    assert _tile_ids(page) == similar and similar[0] == expected[2]
    assert page.locator("[data-testid=modal]").is_hidden()
    shot(page, "brain-more-like-this")

    page.fill("[data-testid=search-input]", "")  # an empty search removes the stage
    page.press("[data-testid=search-input]", "Enter")
    wait_count(page, 36)


def _drag(page, points) -> None:
    box = page.locator("[data-testid=map-canvas]").bounding_box()
    at = [(box["x"] + fx * box["width"], box["y"] + fy * box["height"]) for fx, fy in points]
    page.mouse.move(*at[0])
    page.mouse.down()
    for x, y in at[1:]:
        page.mouse.move(x, y, steps=4)
    page.mouse.up()


def _expected_region(indexed, page) -> set[str]:
    import numpy as np

    import bakeoff.brain as fob
    from bakeoff.app.brain_stages import points_inside

    stage = next(s for s in _view_of(page)["stages"] if s["_cls"] == "SelectRegion")
    results = fob.load_brain_results(indexed, "map")
    inside = points_inside(results.points.astype(float), np.asarray(stage["kwargs"]["polygon"]))
    return {results.sample_ids[i] for i in np.flatnonzero(inside)}


def test_a_box_and_a_lasso_on_the_map_filter_the_grid(indexed, open_app):  # noqa: F811
    _, page = open_app(indexed)
    page.click("[data-testid=embeddings-toggle]")
    page.wait_for_function("() => (document.querySelector('[data-testid=map-info]') || {}).textContent"
                           "?.startsWith('36 points (pca), 36 in the view')")
    assert page.locator("[data-testid=map-legend] .swatch").count() == 12  # coloured by the ground truth
    shot(page, "brain-map")

    _drag(page, [(0.02, 0.02), (0.5, 0.98)])  # the left half
    page.wait_for_function("() => document.querySelector('[data-testid=stage-0]')?.textContent.startsWith('region of map')")
    expected = _expected_region(indexed, page)
    assert 0 < len(expected) < 36
    wait_count(page, len(expected))
    assert set(_tile_ids(page)) == expected
    page.wait_for_function("n => document.querySelector('[data-testid=map-info]').textContent.endsWith(`${n} in the view`)",
                           arg=len(expected))
    shot(page, "brain-map-box")

    page.click("[data-testid=map-mode-lasso]")
    _drag(page, [(0.5, 0.05), (0.95, 0.3), (0.9, 0.95), (0.55, 0.7), (0.6, 0.4), (0.5, 0.05)])
    page.wait_for_function("() => document.querySelector('[data-testid=stage-0]')?.textContent.includes('corners')"
                           " && !document.querySelector('[data-testid=stage-0]').textContent.includes('(4 corners)')")
    lasso = _expected_region(indexed, page)
    assert len(next(s for s in _view_of(page)["stages"] if s["_cls"] == "SelectRegion")["kwargs"]["polygon"]) > 4
    wait_count(page, len(lasso))
    assert set(_tile_ids(page)) == lasso and lasso != expected
    page.wait_for_function("n => document.querySelector('[data-testid=map-info]').textContent.endsWith(`${n} in the view`)",
                           arg=len(lasso))
    shot(page, "brain-map-lasso")

    page.click("[data-testid=map-clear]")
    wait_count(page, 36)


PAD = 12  # scatter.js: the margin inside the canvas


def _screen_points(indexed, page) -> dict[str, tuple[float, float]]:
    """Where the page draws each sample's point, in page pixels (scatter.js's frame())."""
    results = fob_results(indexed)
    points = results.points[:, :2].astype(float)
    (x0, y0), (x1, y1) = points.min(axis=0), points.max(axis=0)
    box = page.eval_on_selector("[data-testid=map-canvas]", """c => { const r = c.getBoundingClientRect();
        return [r.left + c.clientLeft, r.top + c.clientTop, c.clientWidth, c.clientHeight]; }""")
    left, top, w, h = box
    return {i: (left + PAD + (x - x0) / (x1 - x0) * (w - 2 * PAD), top + h - PAD - (y - y0) / (y1 - y0) * (h - 2 * PAD))
            for i, (x, y) in zip(results.sample_ids, points, strict=True)}


def fob_results(indexed):
    import bakeoff.brain as fob

    return fob.load_brain_results(indexed, "map")


def _loneliest(at: dict[str, tuple[float, float]], among) -> str:
    """The sample of ``among`` whose point is farthest from every other point: a click on it is unambiguous."""
    import math

    return max(among, key=lambda i: min(math.dist(at[i], at[j]) for j in at if j != i))


def test_a_click_on_a_point_opens_its_sample_and_boxes_still_select(indexed, open_app):  # noqa: F811
    import math
    from pathlib import Path

    _, page = open_app(indexed)
    page.click("[data-testid=embeddings-toggle]")
    page.wait_for_function("() => (document.querySelector('[data-testid=map-info]') || {}).textContent"
                           "?.startsWith('36 points (pca), 36 in the view')")
    at = _screen_points(indexed, page)
    ids = indexed.values("id")
    chosen = _loneliest(at, ids)
    page.mouse.move(*at[chosen])
    page.wait_for_selector("[data-testid=map-tip]:not([hidden])")
    assert "click to open" in page.inner_text("[data-testid=map-tip]")
    shot(page, "brain-map-hover")
    page.mouse.click(*at[chosen])
    page.wait_for_selector("[data-testid=modal]:not([hidden])")
    name = Path(indexed[chosen].filepath).name
    page.wait_for_function("n => document.querySelector('[data-testid=modal-side] h3')?.textContent === n", arg=name)
    assert page.inner_text("[data-testid=modal-pos]") == f"{ids.index(chosen) + 1} / 36"  # on the page: ← → work
    assert indexed[chosen].clip.label in page.inner_text("[data-testid=pred-clip]")
    shot(page, "brain-map-click")
    page.keyboard.press("Escape")
    assert page.locator("[data-testid=modal]").is_hidden()

    # a click far from every point opens nothing; a box drawn after it still selects
    canvas = page.locator("[data-testid=map-canvas]").bounding_box()
    empty = max(((canvas["x"] + canvas["width"] * fx / 20, canvas["y"] + canvas["height"] * fy / 20)
                 for fx in range(1, 20) for fy in range(1, 20)), key=lambda p: min(math.dist(p, q) for q in at.values()))
    assert min(math.dist(empty, q) for q in at.values()) > 20
    page.mouse.click(*empty)
    _drag(page, [(0.02, 0.02), (0.5, 0.98)])
    page.wait_for_function("() => document.querySelector('[data-testid=stage-0]')?.textContent.startsWith('region of map')")
    inside = _expected_region(indexed, page)
    wait_count(page, len(inside))
    assert page.locator("[data-testid=modal]").is_hidden()
    assert [s["_cls"] for s in _view_of(page)["stages"]] == ["SelectRegion"]

    # a faint point (outside the view) opens too, alone: it has no place in the view to step from
    page.wait_for_function("n => document.querySelector('[data-testid=map-info]').textContent.endsWith(`${n} in the view`)",
                           arg=len(inside))
    outside = _loneliest(at, [i for i in ids if i not in inside])
    page.mouse.click(*at[outside])
    page.wait_for_selector("[data-testid=modal]:not([hidden])")
    assert page.inner_text("[data-testid=modal-pos]") == "not in the view"
    name = Path(indexed[outside].filepath).name
    page.wait_for_function("n => document.querySelector('[data-testid=modal-side] h3')?.textContent === n", arg=name)
    assert page.is_disabled("#modal-next") and page.is_disabled("#modal-prev")
    shot(page, "brain-map-click-outside")
    page.keyboard.press("ArrowRight")  # nothing to step to: it stays
    assert page.inner_text("[data-testid=modal-side] h3") == name
    page.keyboard.press("Escape")


def test_the_prompt_lab_says_when_the_grid_moved_on_and_reopens_there(classified, open_app):  # noqa: F811
    from bakeoff import ViewField as F

    whole = PromptLab(classified, "clip", gt_field="ground_truth")
    target = next(c for c in whole.classes if whole.baseline.recall.get(c, 0) > 0)
    prompt = "a photo of something"
    narrow = classified.match(F("ground_truth.label") == target)
    expected = PromptLab(narrow, "clip", gt_field="ground_truth").rescore(prompts={target: [prompt]})

    _, page = open_app(classified)
    page.click("[data-testid=promptlab-toggle]")
    page.select_option("[data-testid=promptlab-run]", "clip")
    page.click("[data-testid=promptlab-open]")
    page.wait_for_selector("[data-testid=promptlab-accuracy]")
    assert page.inner_text("[data-testid=promptlab-scope]") == "scoring the 36 samples of the grid's view"
    assert page.locator("[data-testid=promptlab-reopen]").is_hidden()
    page.click(f"[data-testid='promptlab-class-{target}']")
    page.wait_for_function("t => document.querySelector('[data-testid=promptlab-prompts]').value.length"
                           " && document.querySelector('[data-testid=promptlab-recall]').textContent.includes(t)",
                           arg=f'recall of "{target}"')
    page.fill("[data-testid=promptlab-prompts]", prompt)
    page.click("[data-testid=promptlab-rescore]")

    page.click(f"[data-testid='value-ground_truth-{target}']")  # the grid moves on; the lab still scores all 36
    wait_count(page, len(narrow))
    page.wait_for_selector("[data-testid=promptlab-reopen]:not([hidden])")
    scope = page.inner_text("[data-testid=promptlab-scope]")
    assert scope == f"scoring the 36 samples of the view when opened, not the grid's view now ({len(narrow)} samples)"
    shot(page, "brain-promptlab-view-changed")

    page.click("[data-testid=promptlab-reopen]")
    page.wait_for_function("t => document.querySelector('[data-testid=promptlab-scope]')?.textContent === t",
                           arg=f"scoring the {len(narrow)} samples of the grid's view")
    assert page.locator("[data-testid=promptlab-reopen]").is_hidden()
    # the edit survived: the narrow view re-scored with it
    page.wait_for_function("t => document.querySelector('[data-testid=promptlab-accuracy]').textContent.startsWith(t)",
                           arg=f"accuracy {_pct(expected.accuracy)}")
    assert page.input_value("[data-testid=promptlab-prompts]") == prompt
    assert page.inner_text(f"[data-testid='promptlab-class-{target}']").startswith("✎")
    shot(page, "brain-promptlab-reopened")
