// The comparison panel: the compare table, its views and a confusion-matrix heatmap.
import { api, fresh, Stale } from "./api.js";
import { $, el } from "./dom.js";
import { S, colorOf, emptyFilters } from "./state.js";
import { setView } from "./view.js";

let compared = null;  // the dataset and stages the panel shows (compareKey), to reload only when they change
let confusionField = null;  // the prediction field of the confusion matrix

function toggleCompare() {
  const panel = $("compare-panel");
  panel.hidden = !panel.hidden;
  $("compare-toggle").classList.toggle("active", !panel.hidden);
  if (!panel.hidden) loadCompare();
}

// the panel compares the view's stages without the sidebar filters, so clicking a cell
// narrows the grid while the matrix stays whole
function compareView() { return { dataset: S.view.dataset, stages: S.view.stages, filters: emptyFilters() }; }
function compareKey() { return JSON.stringify([S.view.dataset, S.view.stages]); }

async function loadCompare() {
  const panel = $("compare-panel");
  compared = compareKey();
  const gt = S.info.gt_field;
  if (!gt || S.info.label_fields.length < 2) {
    panel.replaceChildren(el("div", { text: "Comparing needs a ground-truth field and at least one prediction field." }));
    return;
  }
  panel.replaceChildren(el("div", { class: "hint", text: "comparing…" }));
  try {
    const data = await fresh("compare", api("/api/compare", { view: compareView(), gt_field: gt }));
    const head = el("tr", {}, ...["model", "percent correct", data.interval || "95% CI", "balanced", "top-5", "mean conf", "ECE", "only right"].map((h) => el("th", { text: h })));
    const rows = data.rows.map((r) => el("tr", { "data-testid": `compare-row-${r.model}` },
      el("td", {}, el("span", { class: "swatch", style: `background:${colorOf(r.model)}` }), " ", r.model),
      ...[r.accuracy, r.ci, r.balanced, r.top5, r.confidence, r.ece].map((t) => el("td", { text: t })),
      el("td", {}, el("button", { onclick: () => setView({ dataset: S.view.dataset, stages: r.only_right_stages, filters: emptyFilters() }), text: r.only_right }))));
    const labels = { all_right: "all right", all_wrong: "all wrong", only_one_right: "only one right", likely_label_errors: "likely label errors" };
    const buttons = Object.entries(data.views).map(([name, v]) => el("button", { "data-testid": `view-${name}`,
      onclick: () => setView({ dataset: S.view.dataset, stages: v.stages, filters: emptyFilters() }), text: `${labels[name]} (${v.count})` }));
    if (data.label_errors && data.label_errors.unavailable) {  // e.g. no stored logits: say why there is no button
      buttons.push(el("span", { class: "hint", "data-testid": "label-errors-unavailable", title: data.label_errors.unavailable,
        text: "likely label errors: not looked for (no stored logits; hover for why)" }));
    }
    const models = data.models;
    if (!models.includes(confusionField)) confusionField = models[0];
    const picker = el("select", { "data-testid": "confusion-field" }, ...models.map((m) => el("option", { value: m, text: m })));
    picker.value = confusionField;
    picker.onchange = () => { confusionField = picker.value; loadConfusion(gt); };
    panel.replaceChildren(el("div", { class: "hint", text: `${data.num_samples} samples in the view (before sidebar filters), ground truth ${gt}` }),
      el("table", {}, el("thead", {}, head), el("tbody", {}, ...rows)), el("div", { class: "view-buttons" }, ...buttons),
      el("div", { class: "hint", "data-testid": "duplicates-line", text: data.duplicates.line }), classWins(data, gt),
      el("div", {}, "confusion matrix of ", picker), el("div", { id: "confusion" }));
    loadConfusion(gt);
  } catch (e) { if (!(e instanceof Stale)) panel.replaceChildren(el("div", { class: "hint", text: String(e.message) })); }
}

// where each model wins, per ground-truth class (largest gap first); a row shows that class's samples
function classWins(data, gt) {
  const models = data.models;
  const wins = models.map((m) => `${m} ${data.per_class.filter((r) => r.winner === m).length}`).join(", ");
  const ties = data.per_class.filter((r) => r.winner === null).length;
  const head = el("tr", {}, ...["class", "support", ...models, "winner", "p"].map((h) => el("th", { text: h })));
  const rows = data.per_class.map((r) => el("tr", { "data-testid": "class-win-row", title: `show the ${r.class} samples`,
    onclick: () => { const filters = emptyFilters(); filters.labels[gt] = [r.class]; setView({ ...S.view, filters }); } },
    el("td", { text: r.class }), el("td", { text: r.support }),
    ...models.map((m) => el("td", { class: r.winner === m ? "win" : null, text: `${(r.recall[m] * 100).toFixed(1)}%` })),
    el("td", { text: r.winner ?? (models.length > 1 ? "tie" : "-") }),
    el("td", { text: r.p_value === null ? "-" : r.p_value.toPrecision(2) })));
  return el("details", { "data-testid": "class-wins" },
    el("summary", { text: `where each model wins: ${models.length > 1 ? `${wins}; ties ${ties}` : "one model"} (per class)` }),
    el("div", { class: "hint", text: data.per_class_caption }),
    el("table", {}, el("thead", {}, head), el("tbody", {}, ...rows)));
}

async function loadConfusion(gt) {
  const field = confusionField;
  const box = $("confusion");
  try {
    const data = await fresh("confusion", api("/api/confusion", { view: compareView(), field, gt_field: gt }));
    const max = Math.max(1, ...data.matrix.flat());
    const head = el("tr", {}, el("th", { text: `${gt} \\ ${field}` }), ...data.classes.map((c) => el("th", { class: "col", text: c })));
    const rows = data.matrix.map((row, i) => el("tr", {}, el("th", { text: data.classes[i] }), ...row.map((n, j) => {
      const alpha = n ? 0.15 + 0.85 * n / max : 0;
      const color = i === j ? `rgba(22,163,74,${alpha})` : `rgba(220,38,38,${alpha})`;
      return el("td", { style: `background:${color}`, title: `${gt}=${data.classes[i]}, ${field}=${data.classes[j]}: ${n}`,
        "data-testid": `cell-${i}-${j}`, onclick: () => filterCell(gt, data.classes[i], field, data.classes[j]), text: n || "" });
    })));
    const note = data.num_classes > data.classes.length
      ? [el("div", { class: "hint", text: `the ${data.classes.length} most frequent of ${data.num_classes} ground-truth classes (the matrix shows at most ${data.classes.length})` })] : [];
    box.replaceChildren(el("div", { class: "heatmap-box", "data-testid": "heatmap-box" },
      el("table", { class: "heatmap" }, el("thead", {}, head), el("tbody", {}, ...rows))), ...note);
  } catch (e) { if (!(e instanceof Stale)) box.replaceChildren(el("div", { class: "hint", text: String(e.message) })); }
}

// The grid then shows exactly the cell's samples: the cell's two labels replace any sidebar filters
// (the matrix is computed without them, so stacking them would show fewer samples than the cell reads).
function filterCell(gt, truth, field, predicted) {
  const filters = emptyFilters();
  filters.labels[gt] = [truth];
  filters.labels[field] = [predicted];
  setView({ ...S.view, filters });
}

/** the panel opens with the header's "compare" button and, while open, follows the view's dataset and stages */
export const comparePanel = {
  setUp() { $("compare-toggle").onclick = toggleCompare; },
  viewLoaded() { if (!$("compare-panel").hidden && compared !== compareKey()) loadCompare(); },
};
