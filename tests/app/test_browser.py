"""The page in a real browser: Playwright driving Debian's Chromium.

Screenshots are kept in ``test-artifacts/app/`` (or ``$BAKEOFF_TEST_ARTIFACTS/app``).
Without Chromium the tests skip, unless ``BAKEOFF_REQUIRE_BROWSER=1`` (CI sets it).
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest

import bakeoff as fo
from bakeoff import ViewField as F

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(os.environ.get("BAKEOFF_TEST_ARTIFACTS", Path(__file__).resolve().parents[2] / "test-artifacts"))

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("BAKEOFF_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium")
        pytest.skip(f"{CHROMIUM} is missing (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture
def open_app(browser, request):
    """``open_app(dataset_or_view)`` -> (session, page); page errors fail the test; screenshots on the way."""
    opened = []

    def start(collection):
        session = fo.launch_app(collection, port=0, auto=False)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        errors = watch_errors(page)
        page.goto(session.url)
        page.wait_for_selector("[data-testid=tile]")
        opened.append((session, page, errors))
        return session, page

    yield start
    for session, page, errors in opened:
        page.close()
        session.close()
        assert not errors, errors


def watch_errors(page) -> list[str]:
    """The page's uncaught exceptions and console errors (a CSP refusal, a module that fails to link), as they
    come. An HTTP error answer ("Failed to load resource") is left out: tests provoke those, and the page
    shows them to the user."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    def console(message) -> None:
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            errors.append(f"console: {message.text}")

    page.on("console", console)
    return errors


def shot(page, name: str) -> None:
    folder = ARTIFACTS / "app"
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"))


def count_of(page) -> int:
    return int(re.sub(r"\D", "", page.inner_text("[data-testid=count]")))


def wait_count(page, expected: int) -> None:
    page.wait_for_function(
        "n => document.querySelector('[data-testid=count]').textContent.replace(/\\D/g, '') === String(n)", arg=expected)


def test_grid_filter_to_eval_false_and_page_through_the_modal(app_dataset, open_app):
    _, page = open_app(app_dataset)
    assert page.locator("[data-testid=tile]").count() == 36 and count_of(page) == 36
    page.wait_for_selector("[data-testid='value-clip_eval-false']")
    shot(page, "grid")
    assert "OpenAI CLIP predictions" in page.get_attribute("[data-field=clip]", "title")

    wrong = app_dataset.match(F("clip_eval") == False)  # noqa: E712
    page.click("[data-testid='value-clip_eval-false']")
    wait_count(page, len(wrong))
    page.wait_for_function("n => document.querySelectorAll('[data-testid=tile]').length === n", arg=len(wrong))
    marks = page.locator("[data-testid=tile] .chip[title=clip] .mark-wrong")
    assert marks.count() == len(wrong)
    shot(page, "filtered-eval-false")

    page.locator("[data-testid=tile]").first.click()
    page.wait_for_selector("[data-testid=modal-side] h3")
    assert page.inner_text("[data-testid=modal-pos]") == f"1 / {len(wrong)}"
    first_name = page.inner_text("[data-testid=modal-side] h3")
    page.keyboard.press("ArrowRight")
    page.wait_for_function("() => document.querySelector('[data-testid=modal-pos]').textContent.startsWith('2 /')")
    page.wait_for_function("name => document.querySelector('[data-testid=modal-side] h3').textContent !== name",
                           arg=first_name)
    sample = wrong.skip(1).first()
    assert page.inner_text("[data-testid=modal-side] h3") == Path(sample.filepath).name
    assert sample.clip.label in page.inner_text("[data-testid=pred-clip]")
    shot(page, "modal")
    page.keyboard.press("ArrowLeft")
    page.wait_for_function("() => document.querySelector('[data-testid=modal-pos]').textContent.startsWith('1 /')")
    page.keyboard.press("Escape")
    assert page.locator("[data-testid=modal]").is_hidden()

    # the URL holds the view: a reload shows the same filtered grid
    page.reload()
    page.wait_for_selector("[data-testid=tile]")
    wait_count(page, len(wrong))

    # more labels than the sidebar lists: find one by name, click it
    counts = app_dataset.count_values("ground_truth.label")
    assert len(counts) > 25
    rare = sorted(counts, key=lambda c: (counts[c], c))[0]
    page.click("[data-testid=stages] .stage button")  # clear the sidebar filters
    wait_count(page, 36)
    # the hint counts what is listed (25), not everything (it said "64 of 64 values shown" beside 25)
    page.wait_for_function("n => (document.querySelector(\"[data-testid='shown-ground_truth']\") || {}).textContent"
                           "?.startsWith(`25 of ${n} values shown`)", arg=len(counts))
    page.fill("[data-testid=find-ground_truth]", rare[:-1])
    page.click(f"[data-testid='value-ground_truth-{rare}']")
    wait_count(page, counts[rare])


def test_zero_shot_classify_from_the_command_palette(shapes_dataset, open_app):
    _, page = open_app(shapes_dataset)
    page.keyboard.press("`")
    page.click("[data-testid=operator-zero-shot-classify]")
    page.wait_for_selector("[data-testid=op-model] option[value=demo-clip]", state="attached")
    disabled = page.locator("[data-testid=op-model] option:disabled")
    enabled = page.locator("[data-testid=op-model] option:not(:disabled)")
    assert enabled.count() >= 3  # the demo models always run
    page.select_option("[data-testid=op-model]", "demo-clip")
    page.fill("[data-testid=op-label-field]", "zs")
    shot(page, "palette-zero-shot-classify")
    page.click("[data-testid=op-run]")
    page.wait_for_selector("[data-testid=job][data-status=completed]", timeout=120_000)
    page.wait_for_selector("[data-field=zs]")
    page.wait_for_selector("[data-testid=tile] .chip[title=zs]")
    assert shapes_dataset.count("zs") == 36
    first = shapes_dataset.first()
    chip = page.locator("[data-testid=tile]").first.locator(".chip[title=zs]").inner_text()
    assert chip.startswith(first.zs.label)
    shot(page, "zero-shot-classify-done")
    assert disabled.count() + enabled.count() == len(__import__("bakeoff.zoo", fromlist=["x"]).list_zoo_models())


def test_the_zero_shot_form_takes_model_arguments_for_local_weights(shapes_dataset, open_app, tmp_path, monkeypatch):
    import shutil

    import bakeoff.demo as demo

    allowed = tmp_path / "my-models"
    shutil.copytree(Path(demo.__file__).parent / "models" / "demo-clip", allowed / "my-clip")
    monkeypatch.setattr(fo.config, "_app_model_dirs", [str(allowed)])  # the private value: undone to None
    _, page = open_app(shapes_dataset)
    page.keyboard.press("`")
    page.click("[data-testid=operator-zero-shot-classify]")
    generic = "zero-shot-classification-transformer-torch"
    page.wait_for_selector(f"[data-testid=op-model] option[value={generic}]:not(:disabled)", state="attached")
    page.select_option("[data-testid=op-model]", generic)
    page.fill("[data-testid=op-model-args]", "name_or_path=" + str(allowed / "my-clip"))
    page.fill("[data-testid=op-label-field]", "mine")
    shot(page, "palette-model-arguments")
    page.click("[data-testid=op-run]")
    page.wait_for_selector("[data-testid=job][data-status=completed]", timeout=120_000)
    assert shapes_dataset.count("mine") == 36
    assert str(allowed / "my-clip") in shapes_dataset.get_model_run_info("mine")["config"]["model"] or (
        shapes_dataset.get_model_run_info("mine")["config"]["fingerprint"])
    # a folder outside the allowed ones is refused with the reason, and nothing runs
    page.keyboard.press("`")
    page.click("[data-testid=operator-zero-shot-classify]")
    page.wait_for_selector(f"[data-testid=op-model] option[value={generic}]", state="attached")
    page.select_option("[data-testid=op-model]", generic)
    page.fill("[data-testid=op-model-args]", "name_or_path=" + str(tmp_path))
    page.fill("[data-testid=op-label-field]", "theirs")
    page.click("[data-testid=op-run]")
    page.wait_for_selector("[data-testid=error]:not([hidden])")
    assert "app_model_dirs" in page.inner_text("[data-testid=error]") and not shapes_dataset.has_field("theirs")
    page.fill("[data-testid=op-model-args]", "not a pair")
    page.click("[data-testid=op-run]")
    page.wait_for_function("() => document.querySelector('[data-testid=error]').textContent.includes('key=value')")


def test_small_images_fill_the_modal_and_metadata_reads_as_rows(shapes_dataset, open_app):
    shapes_dataset.compute_metadata()
    _, page = open_app(shapes_dataset)
    page.locator("[data-testid=tile]").first.click()
    page.wait_for_selector("[data-testid=modal-side] h3")
    page.wait_for_function("() => document.getElementById('modal-img').naturalWidth > 0")
    natural = page.evaluate("() => document.getElementById('modal-img').naturalWidth")
    shown = page.locator("#modal-img").bounding_box()
    assert natural <= 64 and shown["width"] >= 8 * natural or shown["height"] >= 8 * natural, (natural, shown)
    first = shapes_dataset.first()
    assert page.inner_text("[data-testid='field-metadata.width'] td:last-child") == str(first.metadata.width)
    assert "{" not in page.inner_text("[data-testid=modal-side] table")  # no raw JSON
    shot(page, "modal-64px")


def test_switching_datasets_keeps_each_datasets_own_ticked_label_fields(app_dataset, shapes_dataset, open_app):
    shapes_dataset.set_values("zs", [fo.Classification(label="x", confidence=0.5)] * len(shapes_dataset))
    _, page = open_app(app_dataset)
    page.select_option("[data-testid=dataset-picker]", "shapes")
    page.wait_for_selector("[data-testid=show-zs]")
    assert page.is_checked("[data-testid=show-zs]") and page.is_checked("[data-testid=show-ground_truth]")
    # field names stay on one line (cut with an ellipsis), never broken mid-word
    name = page.locator("[data-field=ground_truth] .name")
    assert name.evaluate("e => getComputedStyle(e).whiteSpace") == "nowrap" and name.bounding_box()["height"] < 24
    page.wait_for_selector("[data-testid=tile] .chip[title=zs]")
    page.uncheck("[data-testid=show-ground_truth]")
    page.select_option("[data-testid=dataset-picker]", "photos")
    page.wait_for_selector("[data-testid=show-siglip]")
    assert page.is_checked("[data-testid=show-clip]") and page.is_checked("[data-testid=show-siglip]")
    page.select_option("[data-testid=dataset-picker]", "shapes")
    page.wait_for_selector("[data-testid=show-zs]")
    assert page.is_checked("[data-testid=show-zs]") and not page.is_checked("[data-testid=show-ground_truth]")


def test_a_new_tab_starts_without_the_other_tabs_sidebar_filters(app_dataset, open_app, browser):
    session, page = open_app(app_dataset)
    page.click("[data-testid='value-clip_eval-false']")
    wait_count(page, len(app_dataset.match(F("clip_eval") == False)))  # noqa: E712
    second = browser.new_page()
    try:
        second.goto(session.url)
        second.wait_for_selector("[data-testid=tile]")
        wait_count(second, len(app_dataset))
        assert second.locator("[data-testid=stage-filters]").count() == 0
    finally:
        second.close()


def test_a_confusion_matrix_cell_filters_the_grid(app_dataset, open_app):
    _, page = open_app(app_dataset)
    page.click("[data-testid=compare-toggle]")
    page.wait_for_selector("[data-testid=compare-row-siglip]")
    page.wait_for_selector("[data-testid=cell-0-0]")
    comparison = fo.compare(app_dataset)
    shown = sorted({*app_dataset.distinct("ground_truth.label")})
    assert len(shown) > 25  # every class is in the matrix, not the 25 most frequent
    page.wait_for_selector(f"[data-testid=cell-{len(shown) - 1}-{len(shown) - 1}]")
    matrix = comparison.results["clip"].confusion_matrix(classes=shown)
    i, j = divmod(int(matrix.argmax()), len(shown))
    assert page.inner_text("[data-testid=compare-row-clip]").split()[1] == comparison.formatted_table()[0]["accuracy"]
    shot(page, "compare-panel")
    page.locator("[data-testid=heatmap-box]").screenshot(path=str(ARTIFACTS / "app" / "confusion-matrix-full.png"))
    page.click("[data-testid='value-siglip_eval-true']")  # a sidebar filter first: the cell's samples replace it
    wait_count(page, len(app_dataset.match(F("siglip_eval") == True)))  # noqa: E712
    page.click(f"[data-testid=cell-{i}-{j}]")
    wait_count(page, int(matrix[i, j]))
    expected = app_dataset.match((F("ground_truth.label") == shown[i]) & (F("clip.label") == shown[j]))
    ids = page.eval_on_selector_all("[data-testid=tile]", "tiles => tiles.map(t => t.dataset.id)")
    assert sorted(ids) == sorted(expected.values("id"))
    shot(page, "confusion-cell-filtered")
    assert page.locator(f"[data-testid=cell-{i}-{j}]").inner_text() == str(matrix[i, j])  # the matrix stays whole
    page.click("[data-testid=view-all_wrong]")
    wait_count(page, len(comparison.all_wrong()))


def test_where_each_model_wins_per_class_and_a_row_shows_that_class(app_dataset, open_app):
    _, page = open_app(app_dataset)
    page.click("[data-testid=compare-toggle]")
    page.wait_for_selector("[data-testid=class-wins]")
    comparison = fo.compare(app_dataset)
    rows = comparison.per_class_wins()
    assert page.inner_text("[data-testid=duplicates-line]") == comparison.describe_duplicates()
    page.click("[data-testid=class-wins] summary")
    cells = page.locator("[data-testid=class-win-row]").first.locator("td").all_inner_texts()
    assert page.locator("[data-testid=class-win-row]").count() == len(rows)
    assert cells[:2] == [rows[0]["class"], str(rows[0]["support"])] and cells[-2] == (rows[0]["winner"] or "tie")
    shot(page, "compare-class-wins")
    page.locator("[data-testid=class-win-row]").first.click()
    wait_count(page, rows[0]["support"])


def test_views_set_in_python_and_stages_edited_in_the_page(app_dataset, open_app):
    session, page = open_app(app_dataset)
    session.view = app_dataset.sort_by("clip.confidence").limit(7)
    wait_count(page, 7)
    assert page.locator("[data-testid=stages] .stage").count() == 2
    page.click("#edit-stages")
    page.fill("[data-testid=stage-json]", '[{"_cls": "Limit", "kwargs": {"limit": 5}}]')
    page.click("[data-testid=stage-apply]")
    wait_count(page, 5)
    page.wait_for_function("() => document.querySelectorAll('[data-testid=stages] .stage').length === 1")
    deadline = time.monotonic() + 10
    while session.view.count() != 5 and time.monotonic() < deadline:  # the page reports its view back to Python
        time.sleep(0.05)
    assert session.view.count() == 5
    page.click("#edit-stages")
    page.fill("[data-testid=stage-json]", '[{"_cls": "SelectFields", "kwargs": {"field_names": ["nofield"]}}]')
    page.click("[data-testid=stage-apply]")
    page.wait_for_selector("[data-testid=error]:not([hidden])")
    assert "nofield" in page.inner_text("[data-testid=error]") and count_of(page) == 5
    page.click("#stage-cancel")
    page.locator("[data-testid=stages] .stage button").first.click()
    wait_count(page, 36)


def test_stage_chips_read_like_the_filter_and_are_always_removable(app_dataset, open_app):
    session, page = open_app(app_dataset)
    long_view = app_dataset.match(F("clip_eval") == False).match(  # noqa: E712 - an expression, not a comparison
        F().all([F("ground_truth.label") != f"class number {i} with a long name" for i in range(40)])).limit(30)
    session.view = long_view
    wait_count(page, len(long_view))
    assert page.inner_text("[data-testid=stage-0] .stage-text") == "clip_eval = false"
    assert page.inner_text("[data-testid=stage-2] .stage-text") == "limit 30"
    assert page.inner_text("[data-testid=stage-1] .stage-text").startswith('ground_truth.label ≠ "class number 0')
    shot(page, "stage-chips")
    width = page.viewport_size["width"]
    for i in range(3):  # every remove button is on screen, however long the stage
        box = page.locator(f"[data-testid=stage-{i}] button").bounding_box()
        assert box is not None and 0 <= box["x"] and box["x"] + box["width"] <= width, (i, box)
    page.click("[data-testid=stage-1] button")  # remove the long one
    wait_count(page, len(app_dataset.match(F("clip_eval") == False).limit(30)))  # noqa: E712
    assert page.locator("[data-testid=stages] .stage").count() == 2


def test_the_token_url_logs_in_once_and_leaves_the_address_bar(app_dataset, open_app, browser):
    session, page = open_app(app_dataset)
    assert "token" not in page.url and page.url.startswith(session.base_url)
    page.reload()  # the cookie carries on
    page.wait_for_selector("[data-testid=tile]")
    images = page.eval_on_selector_all("[data-testid=tile] img", "els => els.map(e => e.src)")
    assert images and not any("token" in src for src in images)  # the cookie serves them, not the URL
    stranger = browser.new_page()  # another browser profile's tab: no cookie, no token
    response = stranger.goto(session.base_url)
    assert response.status == 401 and "token" in stranger.inner_text("body")
    stranger.close()


def test_the_app_works_in_a_notebook_style_iframe_on_another_site(app_dataset, browser):
    """Jupyter on http://localhost:PORT showing the App from http://127.0.0.1:PORT: another site for cookies."""
    import http.server
    import threading

    with fo.launch_app(app_dataset, port=0, auto=False) as session:
        html = (f'<!doctype html><title>notebook</title><iframe id="app" src="{session.url}" width="1300" '
                f'height="800"></iframe>').encode()

        class Notebook(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - the stdlib's name
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.end_headers()
                self.wfile.write(html)

            def log_message(self, *args):
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Notebook)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        errors = watch_errors(page)
        try:
            page.goto(f"http://localhost:{server.server_address[1]}/")
            frame = page.frame_locator("#app")
            frame.locator("[data-testid=tile]").first.wait_for()
            assert frame.locator("[data-testid=tile]").count() == 36
            app = next(f for f in page.frames if f.url.startswith(session.base_url))
            app.wait_for_function("() => [...document.querySelectorAll('[data-testid=tile] img')].slice(0, 6)"
                                  ".every(i => i.complete && i.naturalWidth > 0)")
            frame.locator("[data-testid='value-clip_eval-false']").click()  # a write (PUT /api/session) too
            app.wait_for_function("n => document.querySelector('[data-testid=count]').textContent"
                                  ".replace(/\\D/g, '') === String(n)", arg=app_dataset.count_values("clip_eval")[False])
            deadline = time.monotonic() + 10
            while session.view.count() != app_dataset.count_values("clip_eval")[False]:
                assert time.monotonic() < deadline, "the framed page's view never reached Python"
                time.sleep(0.1)
            shot(page, "notebook-iframe")
        finally:
            page.close()
            server.shutdown()
        assert not errors, errors


def test_a_view_link_changes_the_page_but_not_the_python_session(app_dataset, open_app):
    import base64
    import json

    session, page = open_app(app_dataset)
    before = session.view.count()
    wrong = app_dataset.match(F("clip_eval") == False)  # noqa: E712
    state = {"dataset": "photos", "stages": wrong.to_dict()["stages"], "filters": {}, "offset": 0}
    link = session.base_url + "#v=" + base64.urlsafe_b64encode(json.dumps(state).encode()).decode().rstrip("=")
    page.goto("about:blank")
    page.goto(link)  # the browser has the cookie: the link opens as a clicked one would
    page.wait_for_selector("[data-testid=tile]")
    wait_count(page, len(wrong))
    time.sleep(0.5)
    assert session.view.count() == before == 36
    page.click("[data-testid='value-clip_eval-false']")  # the user acts: now Python follows
    deadline = time.monotonic() + 10
    while session.view.count() != len(wrong):
        assert time.monotonic() < deadline, "the page's view never reached Python after the user acted"
        time.sleep(0.1)
