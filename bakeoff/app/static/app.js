// bakeoff App: one page over the JSON API (no build step, no dependencies).
"use strict";

const COLORS = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#ca8a04", "#db2777"];
const PAGE = 60;
const S = {
  datasets: [], info: null, counts: null,
  view: { dataset: null, stages: [], filters: emptyFilters() },
  offset: 0, count: 0, page: [], shown: [], colors: {},
  sessionVersion: -1, modal: null, models: null, confusionField: null, search: {},
};
const $ = (id) => document.getElementById(id);

function emptyFilters() { return { labels: {}, confidence: {}, booleans: {}, tags: [] }; }

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "onclick" || k === "onchange" || k === "oninput") node[k] = v;
    else if (k === "text") node.textContent = v;
    else if (v !== null && v !== undefined && v !== false) node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) node.append(c);
  return node;
}

async function api(path, body, method) {
  const init = body === undefined ? { method: method || "GET" }
    : { method: method || "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) };
  const response = await fetch(path, init);
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const detail = typeof data.detail === "string" ? data.detail : JSON.stringify(data.detail || data);
    throw new Error(`${response.status}: ${detail}`);
  }
  return data;
}

function showError(error) {
  const box = $("error");
  box.textContent = error ? String(error.message || error) : "";
  box.hidden = !error;
}

// ---------------------------------------------------------------- the URL keeps the view
function encodeState() {
  const json = JSON.stringify({ ...S.view, offset: S.offset });
  return btoa(unescape(encodeURIComponent(json))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}
function decodeState(text) {
  try {
    const b64 = text.replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(decodeURIComponent(escape(atob(b64))));
  } catch (e) { return null; }
}
function writeURL() { history.replaceState(null, "", `#v=${encodeState()}`); }

// ---------------------------------------------------------------- loading
async function init() {
  bindGlobalKeys();
  $("dataset-picker").onchange = (e) => setView({ dataset: e.target.value, stages: [], filters: emptyFilters() });
  $("dataset-picker").onfocus = async () => {  // datasets made since the page loaded
    try { S.datasets = (await api("/api/datasets")).datasets; renderPicker(); } catch (e) { /* keep the list */ }
  };
  $("edit-stages").onclick = openStageEditor;
  $("stage-apply").onclick = applyStageEditor;
  $("stage-cancel").onclick = () => { $("stage-editor").hidden = true; };
  $("compare-toggle").onclick = toggleCompare;
  $("palette-open").onclick = openPalette;
  $("modal-prev").onclick = () => stepModal(-1);
  $("modal-next").onclick = () => stepModal(1);
  $("modal-close").onclick = closeModal;
  try {
    S.datasets = (await api("/api/datasets")).datasets;
    const fromURL = location.hash.startsWith("#v=") ? decodeState(location.hash.slice(3)) : null;
    const session = await api("/api/session");
    S.sessionVersion = session.version;
    let start = null;
    if (fromURL && fromURL.dataset) start = fromURL;
    else if (session.dataset) start = session;
    else if (S.datasets.length) start = { dataset: S.datasets[0], stages: [], filters: emptyFilters() };
    renderPicker();
    if (start) await setView(start, start.offset || 0);
    else $("grid").textContent = "No datasets yet: create one in Python or with `bakeoff datasets create`.";
  } catch (e) { showError(e); }
  setInterval(pollSession, 1500);
  pollJobs();
}

function renderPicker() {
  const picker = $("dataset-picker");
  picker.replaceChildren(...S.datasets.map((n) => el("option", { value: n, text: n })));
  if (S.view.dataset) picker.value = S.view.dataset;
}

async function setView(view, offset = 0, report = true) {
  const datasetChanged = view.dataset !== S.view.dataset;
  S.view = { dataset: view.dataset, stages: view.stages || [], filters: { ...emptyFilters(), ...(view.filters || {}) } };
  S.offset = offset;
  if (!S.datasets.includes(view.dataset)) S.datasets = (await api("/api/datasets")).datasets;
  renderPicker();
  if (datasetChanged || !S.info) await loadInfo();
  await refresh(report);
}

async function loadInfo() {
  S.info = await api(`/api/datasets/${encodeURIComponent(S.view.dataset)}`);
  S.info.label_fields.forEach((f, i) => { if (!(f in S.colors)) S.colors[f] = COLORS[Object.keys(S.colors).length % COLORS.length]; });
  const known = new Set(S.info.label_fields);
  S.shown = S.shown.filter((f) => known.has(f));
  if (!S.shown.length) S.shown = S.info.label_fields.slice(0, 6);
}

async function refresh(report = true) {
  showError(null);
  renderStages();
  writeURL();
  try {
    await loadPage();
    loadCounts();
    if (!$("compare-panel").hidden && S.compared !== compareKey()) loadCompare();
    if (report) api("/api/session", { dataset: S.view.dataset, stages: S.view.stages, filters: S.view.filters }, "PUT")
      .then((s) => { S.sessionVersion = s.version; }).catch(() => {});
  } catch (e) { if (!(e instanceof Stale)) showError(e); }
}

// answers can come back out of order: only the newest request of each kind is drawn
const latest = {};
async function fresh(kind, promise) {
  const ticket = (latest[kind] = (latest[kind] || 0) + 1);
  const data = await promise;
  if (ticket !== latest[kind]) throw new Stale();
  return data;
}
class Stale extends Error {}

async function loadPage() {
  const t0 = performance.now();
  const data = await fresh("page", api("/api/samples", { view: S.view, offset: S.offset, limit: PAGE }));
  S.page = data.samples;
  S.count = data.count;
  $("count").textContent = `${S.count.toLocaleString()} samples`;
  $("count").title = `page loaded in ${Math.round(performance.now() - t0)} ms`;
  renderPager();
  renderGrid();
}

async function loadCounts() {
  try {
    S.counts = await fresh("counts", api("/api/counts", { view: S.view }));
    renderSidebar();
  } catch (e) { if (!(e instanceof Stale)) showError(e); }
}

async function pollSession() {
  try {
    const session = await api("/api/session");
    if (session.version > S.sessionVersion && session.source === "python") {
      S.sessionVersion = session.version;
      if (session.dataset) {
        S.info = null;
        await setView(session, 0, false);
      }
    }
  } catch (e) { /* server gone: keep the page as it is */ }
}

// ---------------------------------------------------------------- the view's stages
function stageText(stage) {
  const args = Object.entries(stage.kwargs || {}).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(", ");
  return `${stage._cls}(${args})`;
}

function renderStages() {
  const box = $("stages");
  const chips = S.view.stages.map((stage, i) => el("span", { class: "stage", title: stageText(stage) },
    stageText(stage), el("button", { title: "remove this stage", onclick: () => removeStage(i), text: "×" })));
  const f = S.view.filters;
  const active = Object.values(f.labels).some((v) => v.length) || Object.keys(f.confidence).length
    || Object.values(f.booleans).some((v) => v.length) || f.tags.length;
  if (active) chips.push(el("span", { class: "stage", title: JSON.stringify(f) }, "sidebar filters",
    el("button", { title: "clear the sidebar filters", onclick: clearFilters, text: "×" })));
  box.replaceChildren(...chips);
}

function removeStage(i) {
  const stages = S.view.stages.filter((_, j) => j !== i);
  setView({ ...S.view, stages });
}

function clearFilters() { setView({ ...S.view, filters: emptyFilters() }); }

function openStageEditor() {
  $("stage-json").value = JSON.stringify(S.view.stages, null, 2);
  $("stage-editor").hidden = false;
}

async function applyStageEditor() {
  let stages;
  try { stages = JSON.parse($("stage-json").value || "[]"); } catch (e) { showError(`not JSON: ${e.message}`); return; }
  if (!Array.isArray(stages)) { showError("the stages must be a JSON list"); return; }
  const previous = S.view.stages;
  S.view.stages = stages;
  S.offset = 0;
  try {
    await loadPage();
    $("stage-editor").hidden = true;
    refresh();
  } catch (e) { S.view.stages = previous; showError(e); }
}

// ---------------------------------------------------------------- sidebar
function describeField(field) {
  const parts = [];
  if (field.description) parts.push(field.description);
  if (field.info) parts.push(JSON.stringify(field.info, null, 1));
  return parts.join("\n");
}

function renderSidebar() {
  const info = S.info, counts = S.counts;
  if (!info || !counts) return;
  const side = $("sidebar");
  const byPath = Object.fromEntries(info.fields.map((f) => [f.path, f]));
  const blocks = [];
  for (const path of info.label_fields) blocks.push(labelBlock(byPath[path], counts));
  for (const path of info.boolean_fields) blocks.push(valueBlock(byPath[path], counts.values[path], "booleans"));
  if (counts.values.tags && counts.values.tags.counts.length) blocks.push(valueBlock({ path: "tags", type: "ListField", kind: "list" }, counts.values.tags, "tags"));
  const plain = info.fields.filter((f) => !["label", "boolean"].includes(f.kind) && !f.path.includes("."));
  blocks.push(el("div", { class: "field plain-fields" }, el("div", { class: "field-head", text: "other fields" }),
    ...plain.map((f) => el("div", { title: describeField(f), "data-field": f.path }, `${f.path} `, el("span", { class: "type", text: f.type }),
      f.description ? el("span", { class: "desc", text: "i" }) : null))));
  side.replaceChildren(...blocks);
}

function fieldHead(field, extra) {
  const tip = describeField(field);
  return el("div", { class: "field-head", title: tip || field.path, "data-field": field.path }, ...extra,
    el("span", { text: field.path }), el("span", { class: "type", text: field.type }),
    tip ? el("span", { class: "desc", "data-testid": `desc-${field.path}`, text: "i" }) : null);
}

function labelBlock(field, counts) {
  const path = field.path;
  const shown = el("input", { type: "checkbox", title: "show on tiles", "data-testid": `show-${path}` });
  shown.checked = S.shown.includes(path);
  shown.onchange = () => {
    S.shown = shown.checked ? [...S.shown, path] : S.shown.filter((f) => f !== path);
    renderGrid();
  };
  const swatch = el("span", { class: "swatch", style: `background:${S.colors[path]}` });
  const values = counts.values[path] || { counts: [], other: 0 };
  const selected = S.view.filters.labels[path] || [];
  const list = el("div", { class: "values" });
  const search = S.search[path] || "";
  const draw = (text) => {
    const needle = text.toLowerCase();
    const matching = values.counts.filter(([value]) => !needle || String(value).toLowerCase().includes(needle));
    const rows = matching.slice(0, 25).map(([value, n]) => valueRow(value === null ? "(none)" : value, n,
      selected.includes(value), () => toggleValue("labels", path, value), `value-${path}-${value}`));
    if (matching.length > 25 || values.other) rows.push(el("div", { class: "hint", text: `${matching.length} of ${values.distinct} values shown${values.other ? " (the rarest are not listed)" : ""}` }));
    list.replaceChildren(...rows);
  };
  draw(search);
  let finder = null;
  if (values.counts.length > 25) {
    finder = el("input", { type: "search", class: "finder", placeholder: "find a label…", "data-testid": `find-${path}` });
    finder.value = search;
    finder.oninput = () => { S.search[path] = finder.value; draw(finder.value); };
  }
  const bounds = (counts.bounds || {})[path] || [null, null];
  const current = S.view.filters.confidence[path] || [null, null];
  const lo = el("input", { type: "number", step: "0.01", min: 0, placeholder: fmt(bounds[0]), "data-testid": `conf-min-${path}` });
  const hi = el("input", { type: "number", step: "0.01", placeholder: fmt(bounds[1]), "data-testid": `conf-max-${path}` });
  if (current[0] !== null) lo.value = current[0];
  if (current[1] !== null) hi.value = current[1];
  const apply = () => {
    const range = [lo.value === "" ? null : Number(lo.value), hi.value === "" ? null : Number(hi.value)];
    const filters = structuredClone(S.view.filters);
    if (range[0] === null && range[1] === null) delete filters.confidence[path];
    else filters.confidence[path] = range;
    setView({ ...S.view, filters });
  };
  lo.onchange = apply; hi.onchange = apply;
  return el("div", { class: "field" }, fieldHead(field, [shown, swatch]), finder, list,
    bounds[0] !== null ? el("div", { class: "range" }, "confidence", lo, "–", hi) : null);
}

function valueBlock(field, values, kind) {
  values = values || { counts: [] };
  const selected = kind === "tags" ? S.view.filters.tags : (S.view.filters.booleans[field.path] || []);
  const rows = values.counts.map(([value, n]) => valueRow(value === null ? "(none)" : String(value), n,
    selected.includes(value), () => toggleValue(kind, field.path, value), `value-${field.path}-${value}`));
  return el("div", { class: "field" }, fieldHead(field, []), el("div", { class: "values" }, ...rows));
}

function valueRow(text, n, selected, onclick, testid) {
  return el("div", { class: `value${selected ? " selected" : ""}`, onclick, "data-testid": testid },
    el("span", { text }), el("span", { class: "n", text: n.toLocaleString() }));
}

function toggleValue(kind, path, value) {
  const filters = structuredClone(S.view.filters);
  const list = kind === "tags" ? filters.tags : (filters[kind][path] = filters[kind][path] || []);
  const i = list.indexOf(value);
  if (i >= 0) list.splice(i, 1); else list.push(value);
  setView({ ...S.view, filters });
}

function fmt(x) { return x === null || x === undefined ? "" : Number(x).toFixed(3); }

// ---------------------------------------------------------------- grid
function renderPager() {
  const first = S.count ? S.offset + 1 : 0, last = Math.min(S.offset + PAGE, S.count);
  $("pager").replaceChildren(
    el("button", { onclick: () => goPage(-1), disabled: S.offset === 0, "data-testid": "page-prev", text: "‹ prev" }),
    el("span", { text: `${first.toLocaleString()}–${last.toLocaleString()} of ${S.count.toLocaleString()}` }),
    el("button", { onclick: () => goPage(1), disabled: last >= S.count, "data-testid": "page-next", text: "next ›" }));
}

async function goPage(step) {
  S.offset = Math.max(0, S.offset + step * PAGE);
  writeURL();
  try { await loadPage(); } catch (e) { if (!(e instanceof Stale)) showError(e); }
}

function evalMark(sample, field) {
  for (const [key, ev] of Object.entries(S.info.evaluations)) {
    if (ev.pred_field === field && key in sample.booleans && sample.booleans[key] !== null) {
      return sample.booleans[key] ? el("span", { class: "mark-right", title: key, text: "✓" })
        : el("span", { class: "mark-wrong", title: key, text: "✗" });
    }
  }
  return null;
}

function renderGrid() {
  const ds = encodeURIComponent(S.view.dataset);
  const tiles = S.page.map((sample, i) => {
    const img = el("img", { loading: "lazy", alt: sample.name, src: `/thumbnails/${ds}/${sample.id}` });
    img.onerror = () => img.replaceWith(el("div", { class: "broken", text: `cannot show ${sample.name}` }));
    const chips = S.shown.filter((f) => f in sample.labels).map((f) => {
      const value = sample.labels[f];
      const text = value ? `${value.label}${value.confidence !== null ? " " + value.confidence.toFixed(2) : ""}` : "—";
      return el("div", { class: "chip", style: `border-color:${S.colors[f]}`, title: f },
        el("span", { text }), evalMark(sample, f));
    });
    return el("div", { class: "tile", "data-testid": "tile", "data-id": sample.id, title: sample.filepath,
      onclick: () => openModal(i) }, img, el("div", { class: "labels" }, ...chips));
  });
  $("grid").replaceChildren(...tiles);
}

// ---------------------------------------------------------------- modal
async function openModal(index) {
  S.modal = index;
  const sample = S.page[index];
  if (!sample) return;
  $("modal").hidden = false;
  $("modal-img").src = `/media/${encodeURIComponent(S.view.dataset)}/${sample.id}`;
  $("modal-pos").textContent = `${(S.offset + index + 1).toLocaleString()} / ${S.count.toLocaleString()}`;
  try {
    const detail = await api(`/api/datasets/${encodeURIComponent(S.view.dataset)}/samples/${sample.id}`);
    if (S.modal !== index) return;
    renderModalSide(detail);
  } catch (e) { showError(e); }
}

function renderModalSide(detail) {
  const preds = Object.entries(detail.labels).map(([field, v]) => el("div", { class: "pred", style: `border-color:${S.colors[field] || "#999"}`, "data-testid": `pred-${field}` },
    el("div", {}, el("b", { text: field }), `: ${v.label ?? "—"}`, v.confidence !== null ? ` (${v.confidence.toFixed(3)})` : ""),
    v.top ? el("div", { class: "top5", "data-testid": `top5-${field}`, title: "scores from the stored logits (logit in brackets)",
      text: "top 5: " + v.top.map(([c, p, logit]) => `${c} ${p.toFixed(3)} (${logit.toFixed(2)})`).join(", ") }) : null));
  const rows = Object.entries(detail.fields).map(([k, v]) => el("tr", {}, el("td", { text: k }),
    el("td", { text: typeof v === "object" && v !== null ? JSON.stringify(v) : String(v) })));
  $("modal-side").replaceChildren(el("h3", { text: detail.fields.filepath.split("/").pop() }), ...preds,
    el("table", {}, el("tbody", {}, ...rows)));
}

async function stepModal(step) {
  if (S.modal === null) return;
  let next = S.modal + step;
  if (next < 0 && S.offset > 0) { await goPage(-1); next = S.page.length - 1; }
  else if (next >= S.page.length && S.offset + PAGE < S.count) { await goPage(1); next = 0; }
  if (next >= 0 && next < S.page.length) openModal(next);
}

function closeModal() { S.modal = null; $("modal").hidden = true; $("modal-img").src = ""; }

function bindGlobalKeys() {
  document.addEventListener("keydown", (e) => {
    const typing = ["INPUT", "TEXTAREA", "SELECT"].includes(document.activeElement?.tagName);
    if (!$("modal").hidden) {
      if (e.key === "ArrowRight") { e.preventDefault(); stepModal(1); }
      else if (e.key === "ArrowLeft") { e.preventDefault(); stepModal(-1); }
      else if (e.key === "Escape") closeModal();
      return;
    }
    if (!$("palette").hidden && e.key === "Escape") { closePalette(); return; }
    if (e.key === "`" && !typing) { e.preventDefault(); openPalette(); }
  });
}

// ---------------------------------------------------------------- comparison panel
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
  S.compared = compareKey();
  const gt = S.info.gt_field;
  if (!gt || S.info.label_fields.length < 2) {
    panel.replaceChildren(el("div", { text: "Comparing needs a ground-truth field and at least one prediction field." }));
    return;
  }
  panel.replaceChildren(el("div", { class: "hint", text: "comparing…" }));
  try {
    const data = await fresh("compare", api("/api/compare", { view: compareView(), gt_field: gt }));
    const head = el("tr", {}, ...["model", "percent correct", "95% CI", "balanced", "top-5", "mean conf", "ECE", "only right"].map((h) => el("th", { text: h })));
    const rows = data.rows.map((r) => el("tr", { "data-testid": `compare-row-${r.model}` },
      el("td", {}, el("span", { class: "swatch", style: `background:${S.colors[r.model] || "#999"}` }), " ", r.model),
      ...[r.accuracy, r.ci, r.balanced, r.top5, r.confidence, r.ece].map((t) => el("td", { text: t })),
      el("td", {}, el("button", { onclick: () => setView({ dataset: S.view.dataset, stages: r.only_right_stages, filters: emptyFilters() }), text: r.only_right }))));
    const labels = { all_right: "all right", all_wrong: "all wrong", only_one_right: "only one right", likely_label_errors: "likely label errors" };
    const buttons = Object.entries(data.views).map(([name, v]) => el("button", { "data-testid": `view-${name}`,
      onclick: () => setView({ dataset: S.view.dataset, stages: v.stages, filters: emptyFilters() }), text: `${labels[name]} (${v.count})` }));
    const models = data.models;
    if (!models.includes(S.confusionField)) S.confusionField = models[0];
    const picker = el("select", { "data-testid": "confusion-field" }, ...models.map((m) => el("option", { value: m, text: m })));
    picker.value = S.confusionField;
    picker.onchange = () => { S.confusionField = picker.value; loadConfusion(gt); };
    panel.replaceChildren(el("div", { class: "hint", text: `${data.num_samples} samples in the view (before sidebar filters), ground truth ${gt}` }),
      el("table", {}, el("thead", {}, head), el("tbody", {}, ...rows)), el("div", { class: "view-buttons" }, ...buttons),
      el("div", {}, "confusion matrix of ", picker), el("div", { id: "confusion" }));
    loadConfusion(gt);
  } catch (e) { if (!(e instanceof Stale)) panel.replaceChildren(el("div", { class: "hint", text: String(e.message) })); }
}

async function loadConfusion(gt) {
  const field = S.confusionField;
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
      ? [el("div", { class: "hint", text: `the ${data.classes.length} most frequent of ${data.num_classes} ground-truth classes` })] : [];
    box.replaceChildren(el("table", { class: "heatmap" }, el("thead", {}, head), el("tbody", {}, ...rows)), ...note);
  } catch (e) { if (!(e instanceof Stale)) box.replaceChildren(el("div", { class: "hint", text: String(e.message) })); }
}

function filterCell(gt, truth, field, predicted) {
  const filters = structuredClone(S.view.filters);
  filters.labels[gt] = [truth];
  filters.labels[field] = [predicted];
  setView({ ...S.view, filters });
}

// ---------------------------------------------------------------- command palette and operators
const OPERATORS = [
  { name: "zero-shot classify", form: classifyForm },
  { name: "evaluate", form: evaluateForm },
];

function openPalette() {
  $("palette").hidden = false;
  $("operator-form").hidden = true;
  const input = $("palette-input");
  input.value = "";
  renderPaletteList();
  input.oninput = renderPaletteList;
  input.onkeydown = (e) => {
    if (e.key === "Enter") { const first = $("palette-list").querySelector("li"); if (first) first.click(); }
  };
  input.focus();
}

function closePalette() { $("palette").hidden = true; }

function renderPaletteList() {
  const text = $("palette-input").value.toLowerCase();
  const items = OPERATORS.filter((op) => op.name.includes(text)).map((op) =>
    el("li", { "data-testid": `operator-${op.name.replace(/ /g, "-")}`, onclick: () => op.form(), text: op.name }));
  $("palette-list").replaceChildren(...items);
}

function field(label, input, hint) {
  return hint ? [el("label", { text: label }), input, el("div", { class: "hint", text: hint })] : [el("label", { text: label }), input];
}

function targetSelect() {
  return el("select", { name: "target" }, el("option", { value: "dataset", text: "the whole dataset" }),
    el("option", { value: "view", text: "the current view" }));
}

async function classifyForm() {
  const form = $("operator-form");
  $("palette-list").replaceChildren();
  form.hidden = false;
  form.replaceChildren(el("div", { class: "hint", text: "loading the zoo…" }));
  try {
    if (!S.models) { const zoo = await api("/api/operators/models"); S.models = zoo.models; S.templateSets = zoo.template_sets; }
  } catch (e) { showError(e); return; }
  const model = el("select", { name: "model", "data-testid": "op-model" }, ...S.models.map((m) =>
    el("option", { value: m.name, disabled: !m.available, title: m.available ? m.description : m.reason,
      text: m.available ? m.name + (m.reason ? ` (${m.reason})` : "") : `${m.name} — unavailable: ${m.reason.slice(0, 90)}` })));
  const firstAvailable = S.models.find((m) => m.available);
  if (firstAvailable) model.value = firstAvailable.name;
  const source = el("select", { name: "source", "data-testid": "op-classes-source" },
    el("option", { value: "field", text: "distinct labels of a field" }), el("option", { value: "list", text: "a typed list" }),
    el("option", { value: "file", text: "a text file (one class per line)" }));
  const fromField = el("select", { name: "from_field", "data-testid": "op-classes-field" }, ...S.info.label_fields.map((f) => el("option", { value: f, text: f })));
  if (S.info.gt_field) fromField.value = S.info.gt_field;
  const typed = el("textarea", { name: "names", rows: 3, placeholder: "cat, dog, horse", hidden: true });
  const file = el("input", { type: "file", accept: ".txt,text/plain", hidden: true });
  source.onchange = () => { fromField.hidden = source.value !== "field"; typed.hidden = source.value !== "list"; file.hidden = source.value !== "file"; };
  const prompt = el("input", { type: "text", name: "prompt", placeholder: "A photo of (the model's default)" });
  const templates = el("select", { name: "templates", "data-testid": "op-templates" },
    el("option", { value: "", text: "none: use the prompt" }), ...S.templateSets.map((t) => el("option", { value: t, text: t })));
  const labelField = el("input", { type: "text", name: "label_field", "data-testid": "op-label-field", required: true, pattern: "[A-Za-z_][A-Za-z0-9_]*" });
  labelField.value = (firstAvailable ? firstAvailable.name : "predictions").replace(/[^A-Za-z0-9_]/g, "_");
  model.onchange = () => { labelField.value = model.value.replace(/[^A-Za-z0-9_]/g, "_"); };
  const target = targetSelect();
  const run = el("button", { type: "submit", "data-testid": "op-run", text: "run" });
  form.replaceChildren(el("h3", { text: "zero-shot classify" }), ...field("model", model, "models whose package or weights are missing are greyed out"),
    ...field("classes", source), fromField, typed, file, ...field("prompt", prompt), ...field("template set (a prompt ensemble)", templates),
    ...field("label field", labelField), ...field("apply to", target), el("div", { style: "margin-top:8px" }, run));
  form.onsubmit = async (e) => {
    e.preventDefault();
    let classes;
    if (source.value === "field") classes = { from_field: fromField.value };
    else if (source.value === "list") classes = { names: splitClasses(typed.value) };
    else {
      if (!file.files.length) { showError("choose a text file of classes"); return; }
      classes = { names: splitClasses(await file.files[0].text()) };
    }
    const params = { model: model.value, classes, label_field: labelField.value, target: target.value };
    if (prompt.value) params.prompt = prompt.value;
    if (templates.value) params.templates = templates.value;
    startJob("zero-shot-classify", params);
  };
}

function splitClasses(text) { return text.split(/[\n,]/).map((s) => s.trim()).filter(Boolean); }

function evaluateForm() {
  const form = $("operator-form");
  $("palette-list").replaceChildren();
  form.hidden = false;
  const preds = S.info.label_fields.filter((f) => f !== S.info.gt_field);
  const pred = el("select", { name: "pred_field", "data-testid": "op-pred-field" }, ...preds.map((f) => el("option", { value: f, text: f })));
  const gt = el("select", { name: "gt_field" }, ...S.info.label_fields.map((f) => el("option", { value: f, text: f })));
  if (S.info.gt_field) gt.value = S.info.gt_field;
  const key = el("input", { type: "text", name: "eval_key", placeholder: "<prediction field>_eval" });
  const target = targetSelect();
  form.replaceChildren(el("h3", { text: "evaluate" }), ...field("predictions", pred), ...field("ground truth", gt),
    ...field("eval key", key), ...field("apply to", target),
    el("div", { style: "margin-top:8px" }, el("button", { type: "submit", "data-testid": "op-run", text: "run" })));
  form.onsubmit = (e) => {
    e.preventDefault();
    const params = { pred_field: pred.value, gt_field: gt.value, target: target.value };
    if (key.value) params.eval_key = key.value;
    startJob("evaluate", params);
  };
}

async function startJob(operator, params) {
  try {
    const job = await api("/api/jobs", { operator, view: S.view, params });
    closePalette();
    S.watching = S.watching || new Set();
    S.watching.add(job.id);
    renderJob(job);
  } catch (e) { showError(e); }
}

function renderJob(job) {
  let box = document.querySelector(`.job[data-job="${job.id}"]`);
  if (!box) { box = el("div", { class: "job", "data-job": job.id, "data-testid": "job" }); $("jobs").prepend(box); }
  box.className = `job ${job.status}`;
  box.dataset.status = job.status;
  const title = job.operator === "zero-shot-classify" ? `${job.params.model} → ${job.params.label_field}` : `evaluate ${job.params.pred_field}`;
  const progress = el("progress", { max: job.total || 1, value: job.done || 0 });
  const rate = job.rate ? ` · ${job.rate} img/s` : "", eta = job.eta_s !== null && job.status === "running" ? ` · ETA ${job.eta_s} s` : "";
  const line = `${job.status}: ${job.done}${job.total !== null ? " / " + job.total : ""}${rate}${eta}`;
  const buttons = job.status === "running" || job.status === "queued"
    ? el("button", { "data-testid": "job-cancel", onclick: () => api(`/api/jobs/${job.id}/cancel`, {}).then(renderJob).catch(showError), text: "cancel" })
    : el("button", { onclick: () => box.remove(), text: "dismiss" });
  box.replaceChildren(el("b", { text: title }), progress, el("div", { text: line }),
    el("div", { class: "hint", text: job.error || job.message }), buttons);
}

async function pollJobs() {
  try {
    for (const id of [...(S.watching || [])]) {
      const job = await api(`/api/jobs/${id}`);
      renderJob(job);
      if (!["queued", "running"].includes(job.status)) {
        S.watching.delete(id);
        if (job.status === "completed" && job.dataset === S.view.dataset) {
          await loadInfo();
          if (job.result && job.result.label_field && !S.shown.includes(job.result.label_field)) S.shown.push(job.result.label_field);
          refresh();
        }
      }
    }
  } catch (e) { /* try again */ }
  setTimeout(pollJobs, 500);
}

init();
