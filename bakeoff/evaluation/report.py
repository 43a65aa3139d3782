"""Self-contained HTML reports: tables, matplotlib charts and thumbnails inlined as base64."""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bakeoff.evaluation.class_wins import summarize
from bakeoff.evaluation.plots import accuracy_figure, confusion_matrix_figure, figure_to_png, reliability_figure

if TYPE_CHECKING:
    from bakeoff.core.sample import Sample
    from bakeoff.evaluation.classification import ClassificationResults
    from bakeoff.evaluation.compare import Comparison

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 4px 10px; text-align: right; }
th:first-child, td:first-child { text-align: left; }
.grid { display: flex; flex-wrap: wrap; gap: 8px; }
figure { margin: 0; width: 140px; font-size: 11px; }
figure img { width: 140px; height: 140px; object-fit: cover; background: #eee; }
.missing { width: 140px; height: 140px; background: #eee; display: flex; align-items: center; justify-content: center; }
.wide { max-width: 100%; overflow: auto; border: 1px solid #eee; }  /* a matrix of many classes scrolls, not cut off */
.wide img { display: block; }
figcaption .wrong { color: #b91c1c; }
caption { caption-side: bottom; text-align: left; font-size: 12px; color: #555; max-width: 60em; }
td.win { font-weight: bold; background: #dcfce7; }
"""


def _img(png: bytes, alt: str) -> str:
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{base64.b64encode(png).decode()}">'


def _thumbnail(filepath: str, size: int = 140) -> str | None:
    from PIL import Image, ImageOps

    from bakeoff.media.files import local_or_buffer

    try:
        with Image.open(local_or_buffer(filepath)) as source:
            source.draft("RGB", (size * 2, size * 2))
            image = ImageOps.exif_transpose(source).convert("RGB")
            image.thumbnail((size, size))
            buffer = io.BytesIO()
            image.save(buffer, format="JPEG", quality=80)
    except Exception:  # noqa: BLE001 - an unreadable image gets a placeholder, not a failed report
        return None
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode()


def _gallery(samples: Iterable[Sample], caption: Callable[[Sample], str]) -> str:
    """Thumbnails; ``caption(sample)`` returns the caption's HTML (escape what it quotes)."""
    tiles = []
    for sample in samples:
        src = _thumbnail(sample.filepath)
        image = f'<img src="{src}" alt="">' if src else '<div class="missing">unreadable</div>'
        tiles.append(f"<figure>{image}<figcaption>{caption(sample)}</figcaption></figure>")
    return f'<div class="grid">{"".join(tiles)}</div>' if tiles else "<p>none</p>"


def _page(title: str, body: str) -> str:
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{STYLE}</style></head><body><h1>{html.escape(title)}</h1>{body}</body></html>")


def _write(path: str, text: str) -> str:
    target = Path(path).expanduser()
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    return str(target)


def _report_table(report: Mapping[str, Any]) -> str:
    rows = "".join(
        f"<tr><td>{html.escape(str(name))}</td><td>{v['precision']:.3f}</td><td>{v['recall']:.3f}</td>"
        f"<td>{v['f1-score']:.3f}</td><td>{int(v['support'])}</td></tr>"
        for name, v in report.items() if isinstance(v, dict))
    return f"<table><tr><th>class</th><th>precision</th><th>recall</th><th>f1</th><th>support</th></tr>{rows}</table>"


def write_results_report(results: ClassificationResults, path: str) -> str:
    metrics = results.metrics()
    summary = "".join(f"<tr><td>{html.escape(k)}</td><td>{v if not isinstance(v, float) else f'{v:.4f}'}</td></tr>"
                      for k, v in metrics.items())
    cm = figure_to_png(confusion_matrix_figure(results.confusion_matrix(), results.classes, title="confusion matrix"))
    reliability = figure_to_png(reliability_figure({results.pred_field or "predictions": results.calibration()}))
    body = (f"<h2>Metrics</h2><table>{summary}</table><h2>Per class</h2>{_report_table(results.report())}"
            f"<h2>Confusion matrix</h2><div class='wide'>{_img(cm, 'confusion matrix')}</div>"
            f"<h2>Reliability</h2>{_img(reliability, 'reliability diagram')}")
    return _write(path, _page(f"Evaluation of {results.pred_field} against {results.gt_field}", body))


def _label_errors_section(comparison: Comparison, given_label: Callable[[Sample], str], max_thumbnails: int) -> str:
    """The likely label errors: how they were looked for and the suspects, or why they could not be."""
    from bakeoff.errors import LabelErrorsError

    try:
        errors = comparison.label_error_scores()
    except LabelErrorsError as error:
        return f"<h2>Likely label errors: not looked for</h2><p>{html.escape(str(error))}</p>"
    info = comparison.label_error_info()
    left_out = f"; left out, without logits: {', '.join(info['left_out'])}" if info["left_out"] else ""
    how = (f"Images the models find less like their label than at least {info['min_score']:.0%} of the images "
           f"labelled otherwise ({info['method']}, from the logits of {', '.join(info['models'])}{left_out}); "
           "the score is that fraction, the suggestion the models' most probable other class.")
    suspects = comparison.likely_label_errors().limit(max_thumbnails)

    def caption(sample: Sample) -> str:
        suggested, score = errors[str(sample.id)]  # the view's samples are stored: they have ids
        return html.escape(f"labelled {given_label(sample)}; models say {suggested} (score {score:.2f})")

    return f"<h2>Likely label errors ({len(errors)})</h2><p>{html.escape(how)}</p>" + _gallery(suspects, caption)


def _class_wins_section(comparison: Comparison) -> str:
    """Per ground-truth class: support, each model's recall, the winner (or a tie) and its p-value."""
    rows = comparison.per_class_wins()
    models = comparison.models
    head = "".join(f"<th>{html.escape(m)}</th>" for m in models)
    body = []
    for r in rows:
        cells = "".join(f"<td class='{'win' if r['winner'] == m else ''}'>{r['recall'][m] * 100:.1f}%</td>"
                        for m in models)
        winner = html.escape(r["winner"]) if r["winner"] else ("tie" if len(models) > 1 else "-")
        p = f"{r['p_value']:.2g}" if r["p_value"] is not None else "-"
        body.append(f"<tr><td>{html.escape(r['class'])}</td><td>{r['support']}</td>{cells}<td>{winner}</td>"
                    f"<td>{p}</td></tr>")
    caption = f"{summarize(rows, models)}. Largest gap first; {comparison.per_class_caption()}."
    return (f"<h2>Where each model wins</h2><table class='classes'><caption>{html.escape(caption)}</caption>"
            f"<tr><th>class</th><th>support</th>{head}<th>winner</th><th>p</th></tr>{''.join(body)}</table>")


def write_comparison_report(comparison: Comparison, path: str, max_thumbnails: int = 24) -> str:
    rows = ["<tr>" + "".join(f"<td>{html.escape(cells[k])}</td>" for k in
                             ("model", "accuracy", "ci", "balanced", "top5", "confidence", "ece")) + "</tr>"
            for cells in comparison.formatted_table()]
    table = (f"<table><tr><th>model</th><th>percent correct</th><th>{comparison.interval_name()}</th>"
             f"<th>balanced accuracy</th><th>top-5</th><th>mean confidence</th><th>ECE</th></tr>{''.join(rows)}</table>")
    pairs = "".join(
        f"<tr><td>{html.escape(p['a'])} vs {html.escape(p['b'])}</td><td>{p['agreement'] * 100:.1f}%</td>"
        f"<td>{p['a_right_b_wrong']}</td><td>{p['a_wrong_b_right']}</td><td>{p['mcnemar_p']:.3g}</td></tr>"
        for p in comparison.pairs)
    pair_table = ("<table><tr><th>pair</th><th>agreement</th><th>A right, B wrong</th><th>A wrong, B right</th>"
                  f"<th>McNemar p</th></tr>{pairs}</table>") if pairs else ""
    charts = [_img(figure_to_png(accuracy_figure(comparison.table, level=comparison.confidence_level)), "accuracy"),
              _img(figure_to_png(reliability_figure({m: r.calibration() for m, r in comparison.results.items()})),
                   "reliability diagrams")]
    matrices = "".join(
        f"<h3>{html.escape(m)}</h3><div class='wide'>" + _img(figure_to_png(confusion_matrix_figure(
            r.confusion_matrix(), r.classes, title=m)), f"confusion matrix of {m}") + "</div>"
        for m, r in comparison.results.items())
    gt = comparison.gt_field

    def label_of(sample: Sample, field: str) -> str:
        value = sample[field]
        label: str | None = None if value is None else value.label
        return "(none)" if label is None else label

    def what_each_said(sample: Sample) -> str:  # the truth, then every model's answer: all of them wrong here
        said = "".join(f"<br>{html.escape(m)}: <span class='wrong'>{html.escape(label_of(sample, m))}</span>"
                       for m in comparison.models)
        return f"truth: {html.escape(label_of(sample, gt))}{said}"

    wrong = comparison.all_wrong().limit(max_thumbnails)
    body = (f"<p>{len(comparison.ids)} samples; ground truth field <code>{html.escape(gt)}</code></p>"
            f"<p class='duplicates'>{html.escape(comparison.describe_duplicates())}</p>"
            f"<h2>Models</h2>{table}{''.join(charts)}<h2>Pairs</h2>{pair_table}"
            + _class_wins_section(comparison) +
            f"<h2>All models wrong ({len(comparison.all_wrong())})</h2>"
            + _gallery(wrong, what_each_said)
            + _label_errors_section(comparison, lambda s: label_of(s, gt), max_thumbnails)
            + f"<h2>Confusion matrices</h2>{matrices}")
    return _write(path, _page("bakeoff comparison", body))
