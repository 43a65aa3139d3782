// bakeoff App: one page over the JSON API (no build step, no dependencies).
// This file: state, the API, the URL, the view's stages, sidebar, grid and modal;
// compare.js: the comparison panel; operators.js: the command palette and its jobs.
"use strict";

const COLORS = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#ca8a04", "#db2777"];
const PAGE = 60;
const S = {
  datasets: [], info: null, counts: null,
  view: { dataset: null, stages: [], filters: emptyFilters() },
  offset: 0, count: 0, page: [], shown: [], shownBy: {}, colors: {},
  sessionVersion: -1, modal: null, models: null, confusionField: null, search: {},
};
const $ = (id) => document.getElementById(id);

function emptyFilters() { return { labels: {}, confidence: {}, booleans: {}, tags: [] }; }

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "onclick" || k === "onchange" || k === "oninput") node[k] = v;
    else if (k === "style") node.style.cssText = v;  // through the CSSOM: the CSP allows no inline style attributes
    else if (k === "text") node.textContent = v;
    else if (v !== null && v !== undefined && v !== false) node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) node.append(c);
  return node;
}

// ---------------------------------------------------------------- the App's token
// The URL launch_app opens carries ?token=; the server answers it with an HttpOnly cookie, and the page
// drops the token from the address bar. A page framed by another site (a notebook) may get no cookie:
// then it keeps the token for this tab and sends it itself (bearer header; ?token= on image URLs).
const AUTH = { token: null };

async function setUpToken() {
  const params = new URLSearchParams(location.search);
  const fromURL = params.get("token");
  if (fromURL) {
    params.delete("token");
    const rest = params.toString();
    history.replaceState(null, "", location.pathname + (rest ? `?${rest}` : "") + location.hash);
  }
  const cookieWorks = (await fetch("/api/health", { credentials: "same-origin" })).ok;
  if (cookieWorks) { sessionStorage.removeItem("bakeoff-token"); return; }
  AUTH.token = fromURL || sessionStorage.getItem("bakeoff-token");
  if (AUTH.token) sessionStorage.setItem("bakeoff-token", AUTH.token);
}

function mediaURL(path) {
  return AUTH.token ? `${path}?token=${encodeURIComponent(AUTH.token)}` : path;
}

async function api(path, body, method) {
  const headers = { "X-Bakeoff-Request": "1" };  // a cross-site page cannot set it: writes need it
  if (AUTH.token) headers.Authorization = `Bearer ${AUTH.token}`;
  const init = body === undefined ? { method: method || "GET", headers }
    : { method: method || "POST", headers: { ...headers, "Content-Type": "application/json" }, body: JSON.stringify(body) };
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
    await setUpToken();
    S.datasets = (await api("/api/datasets")).datasets;
    const fromURL = location.hash.startsWith("#v=") ? decodeState(location.hash.slice(3)) : null;
    const session = await api("/api/session");
    S.sessionVersion = session.version;
    let start = null, report = true;
    // a #v= link changes what this page shows, not the Python session's view, until the user acts here
    if (fromURL && fromURL.dataset) { start = fromURL; report = false; }
    // a new tab starts from the session's dataset and stages (sidebar filters belong to the tab that set them)
    // and reports nothing back: the session already holds this view, and a late report would undo a view
    // Python sets meanwhile
    else if (session.dataset) { start = { ...session, filters: emptyFilters() }; report = false; }
    else if (S.datasets.length) start = { dataset: S.datasets[0], stages: [], filters: emptyFilters() };
    renderPicker();
    if (start) await setView(start, start.offset || 0, report);
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
  const labelFields = allLabelFields();
  labelFields.forEach((f, i) => { if (!(f in S.colors)) S.colors[f] = COLORS[Object.keys(S.colors).length % COLORS.length]; });
  // the label fields ticked "show on tiles" are remembered per dataset; a dataset seen first shows its first six
  const known = new Set(labelFields);
  const remembered = S.shownBy[S.view.dataset];
  S.shown = remembered ? remembered.filter((f) => known.has(f)) : labelFields.slice(0, 6);
  S.shownBy[S.view.dataset] = S.shown;
}

// fields with one label per sample (Classification), then those with several (Classifications)
function allLabelFields() {
  return [...S.info.label_fields, ...(S.info.multilabel_fields || [])];
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
// A chip: the readable text (cut with an ellipsis when long; the tooltip has it whole, with the JSON)
// and its remove button, which never scrolls or clips out of reach.
function stageChip(text, tooltip, testid, removeTitle, onRemove) {
  return el("span", { class: "stage", title: tooltip, "data-testid": testid },
    el("span", { class: "stage-text", text }),
    el("button", { title: removeTitle, "aria-label": removeTitle, onclick: onRemove, text: "×" }));
}

function renderStages() {
  const box = $("stages");
  const chips = S.view.stages.map((stage, i) => {
    const text = describeStage(stage);
    return stageChip(text, `${text}\n${JSON.stringify(stage)}`, `stage-${i}`, "remove this stage", () => removeStage(i));
  });
  const f = S.view.filters;
  const active = Object.values(f.labels).some((v) => v.length) || Object.keys(f.confidence).length
    || Object.values(f.booleans).some((v) => v.length) || f.tags.length;
  if (active) chips.push(stageChip("sidebar filters", JSON.stringify(f), "stage-filters", "clear the sidebar filters", clearFilters));
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
  for (const path of allLabelFields()) blocks.push(labelBlock(byPath[path], counts));
  for (const path of info.boolean_fields) blocks.push(valueBlock(byPath[path], counts.values[path], "booleans"));
  if (counts.values.tags && counts.values.tags.counts.length) blocks.push(valueBlock({ path: "tags", type: "ListField", kind: "list" }, counts.values.tags, "tags"));
  const plain = info.fields.filter((f) => !["label", "labels", "boolean"].includes(f.kind) && !f.path.includes("."));
  blocks.push(el("div", { class: "field plain-fields" }, el("div", { class: "field-head", text: "other fields" }),
    ...plain.map((f) => el("div", { title: describeField(f), "data-field": f.path }, `${f.path} `, el("span", { class: "type", text: f.type }),
      f.description ? el("span", { class: "desc", text: "i" }) : null))));
  side.replaceChildren(...blocks);
}

function fieldHead(field, extra) {
  const tip = describeField(field);
  return el("div", { class: "field-head", title: tip || field.path, "data-field": field.path }, ...extra,
    el("span", { class: "name", text: field.path }), el("span", { class: "type", text: field.type }),
    tip ? el("span", { class: "desc", "data-testid": `desc-${field.path}`, text: "i" }) : null);
}

function labelBlock(field, counts) {
  const path = field.path;
  const shown = el("input", { type: "checkbox", title: "show on tiles", "data-testid": `show-${path}` });
  shown.checked = S.shown.includes(path);
  shown.onchange = () => {
    S.shown = shown.checked ? [...S.shown, path] : S.shown.filter((f) => f !== path);
    S.shownBy[S.view.dataset] = S.shown;
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
    const listed = Math.min(matching.length, 25);  // what the list really shows, not what matched
    const what = needle ? `${matching.length} match "${text}"; ` : "";
    if (matching.length > 25 || values.other) rows.push(el("div", { class: "hint", "data-testid": `shown-${path}`,
      text: `${what}${listed} of ${values.distinct} values shown${matching.length > 25 ? ": search to find the others" : ""}${values.other ? " (the rarest are not listed)" : ""}` }));
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
      if (ev.stale && ev.stale.length) {  // the stored right/wrong no longer describes the labels shown
        return el("span", { class: "mark-stale", "data-testid": "mark-stale", title: `${key} is stale: ${ev.stale.join("; ")}; evaluate again`, text: "?" });
      }
      return sample.booleans[key] ? el("span", { class: "mark-right", title: key, text: "✓" })
        : el("span", { class: "mark-wrong", title: key, text: "✗" });
    }
  }
  return null;
}

function renderGrid() {
  const ds = encodeURIComponent(S.view.dataset);
  const tiles = S.page.map((sample, i) => {
    const img = el("img", { loading: "lazy", alt: sample.name, src: mediaURL(`/thumbnails/${ds}/${sample.id}`) });
    img.onerror = () => img.replaceWith(el("div", { class: "broken", text: `cannot show ${sample.name}` }));
    const chips = S.shown.filter((f) => f in sample.labels).flatMap((f) => {
      const value = sample.labels[f];
      if (Array.isArray(value)) return multiChips(f, value);
      return [el("div", { class: "chip", style: `border-color:${S.colors[f]}`, title: f },
        el("span", { text: chipText(value) }), evalMark(sample, f))];
    });
    return el("div", { class: "tile", "data-testid": "tile", "data-id": sample.id, title: sample.filepath,
      onclick: () => openModal(i) }, img, el("div", { class: "labels" }, ...chips));
  });
  $("grid").replaceChildren(...tiles);
}

function chipText(value) {
  return value ? `${value.label}${value.confidence !== null ? " " + value.confidence.toFixed(2) : ""}` : "—";
}

// a Classifications field: one chip per label (the first MAX_CHIPS, then "+n")
const MAX_CHIPS = 4;
function multiChips(field, values) {
  const chips = values.slice(0, MAX_CHIPS).map((v) => el("div", { class: "chip", style: `border-color:${S.colors[field]}`,
    title: field, "data-testid": `chip-${field}` }, el("span", { text: chipText(v) })));
  if (values.length > MAX_CHIPS) chips.push(el("div", { class: "chip more", title: values.slice(MAX_CHIPS).map(chipText).join(", "),
    text: `+${values.length - MAX_CHIPS}` }));
  return chips;
}

// ---------------------------------------------------------------- modal
async function openModal(index) {
  S.modal = index;
  const sample = S.page[index];
  if (!sample) return;
  $("modal").hidden = false;
  $("modal-img").src = mediaURL(`/media/${encodeURIComponent(S.view.dataset)}/${sample.id}`);
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
  const multi = Object.entries(detail.multilabels || {}).map(([field, values]) => el("div", { class: "pred",
    style: `border-color:${S.colors[field] || "#999"}`, "data-testid": `pred-${field}` },
    el("div", {}, el("b", { text: field }), `: ${values.length ? values.map(chipText).join(", ") : "—"}`)));
  preds.push(...multi);
  // documents (metadata) read as one row per attribute, lists as comma-separated values
  const cell = (v) => (Array.isArray(v) ? v.map((x) => (typeof x === "object" && x !== null ? JSON.stringify(x) : String(x))).join(", ")
    : typeof v === "object" && v !== null ? JSON.stringify(v) : String(v));
  const rows = Object.entries(detail.fields).flatMap(([k, v]) => {
    if (v && typeof v === "object" && !Array.isArray(v)) {
      return Object.entries(v).filter(([sub]) => sub !== "_cls").map(([sub, x]) =>
        el("tr", { "data-testid": `field-${k}.${sub}` }, el("td", { text: `${k}.${sub}` }), el("td", { text: cell(x) })));
    }
    return [el("tr", { "data-testid": `field-${k}` }, el("td", { text: k }), el("td", { text: cell(v) }))];
  });
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

document.addEventListener("DOMContentLoaded", init);  // after every deferred script
