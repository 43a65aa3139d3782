// The view and its loading: the one place that replaces S.view, loads pages and counts, keeps the view in the
// URL and tells the registered panels. Panels (grid, sidebar, stage chips, compare, ...) never import each
// other's loaders: they call setView/refresh/goPage here and draw when told (registerPanel).
import { api, fresh, Stale } from "./api.js";
import { $, el, showError } from "./dom.js";
import { PAGE, S, allLabelFields, emptyFilters } from "./state.js";

const COLORS = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#ca8a04", "#db2777"];

// ---------------------------------------------------------------- panels
// A panel is an object with any of these methods; the view calls them in the order the panels were registered:
//   setUp()         once, when registered: bind the panel's own buttons
//   viewChanged()   the view was set (S.view, S.offset), before its samples load: redraw what shows the view itself
//   pageLoaded()    a page of samples is in S.page (S.count, S.offset): after a new view, paging or a stage edit
//   countsLoaded()  S.counts holds the sidebar's counts for the view
//   viewLoaded()    the new view's first page is shown: reload what summarizes the whole view
// A new panel is a module exporting such an object, registered in app.js; it reads S and changes the view
// only through setView/refresh/goPage.
const panels = [];

export function registerPanel(panel) {
  panels.push(panel);
  if (panel.setUp) panel.setUp();
}

function tell(event) {
  for (const panel of panels) if (panel[event]) panel[event]();
}

// ---------------------------------------------------------------- the URL keeps the view
function encodeState() {
  const json = JSON.stringify({ ...S.view, offset: S.offset });
  return btoa(unescape(encodeURIComponent(json))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function decodeState(text) {
  try {
    const b64 = text.replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(decodeURIComponent(escape(atob(b64))));
  } catch (e) { return null; }
}

function writeURL() { history.replaceState(null, "", `#v=${encodeState()}`); }

// ---------------------------------------------------------------- loading
export function renderPicker() {
  const picker = $("dataset-picker");
  picker.replaceChildren(...S.datasets.map((n) => el("option", { value: n, text: n })));
  if (S.view.dataset) picker.value = S.view.dataset;
}

/** show `view` (dataset, stages, filters) from `offset`; `report` tells the Python session */
export async function setView(view, offset = 0, report = true) {
  const datasetChanged = view.dataset !== S.view.dataset;
  S.view = { dataset: view.dataset, stages: view.stages || [], filters: { ...emptyFilters(), ...(view.filters || {}) } };
  S.offset = offset;
  if (!S.datasets.includes(view.dataset)) S.datasets = (await api("/api/datasets")).datasets;
  renderPicker();
  if (datasetChanged || !S.info) await loadInfo();
  await refresh(report);
}

/** the dataset's fields and evaluations into S.info; colors for new label fields; the ticked ones */
export async function loadInfo() {
  S.info = await api(`/api/datasets/${encodeURIComponent(S.view.dataset)}`);
  const labelFields = allLabelFields();
  labelFields.forEach((f) => { if (!(f in S.colors)) S.colors[f] = COLORS[Object.keys(S.colors).length % COLORS.length]; });
  // the label fields ticked "show on tiles" are remembered per dataset; a dataset seen first shows its first six
  const known = new Set(labelFields);
  const remembered = S.shownBy[S.view.dataset];
  S.shown = remembered ? remembered.filter((f) => known.has(f)) : labelFields.slice(0, 6);
  S.shownBy[S.view.dataset] = S.shown;
}

/** load and draw S.view from S.offset; `report` tells the Python session */
export async function refresh(report = true) {
  showError(null);
  tell("viewChanged");
  writeURL();
  try {
    await loadPage();
    loadCounts();
    tell("viewLoaded");
    if (report) api("/api/session", { dataset: S.view.dataset, stages: S.view.stages, filters: S.view.filters }, "PUT")
      .then((s) => { S.sessionVersion = s.version; }).catch(() => {});
  } catch (e) { if (!(e instanceof Stale)) showError(e); }
}

/** the page of S.view at S.offset; throws the server's error (or Stale) */
export async function loadPage() {
  const t0 = performance.now();
  const data = await fresh("page", api("/api/samples", { view: S.view, offset: S.offset, limit: PAGE }));
  S.page = data.samples;
  S.count = data.count;
  $("count").textContent = `${S.count.toLocaleString()} samples`;
  $("count").title = `page loaded in ${Math.round(performance.now() - t0)} ms`;
  tell("pageLoaded");
}

async function loadCounts() {
  try {
    S.counts = await fresh("counts", api("/api/counts", { view: S.view }));
    tell("countsLoaded");
  } catch (e) { if (!(e instanceof Stale)) showError(e); }
}

/** the next (`step` 1) or previous (-1) page of the view */
export async function goPage(step) {
  S.offset = Math.max(0, S.offset + step * PAGE);
  writeURL();
  try { await loadPage(); } catch (e) { if (!(e instanceof Stale)) showError(e); }
}
