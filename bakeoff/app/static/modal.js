// One sample large: its image, every label with its top 5, and its fields as rows; ← → step through the view.
// openModal shows a sample of the page (the grid's tiles), openSample any sample by id (the map's points).
import { api, mediaURL } from "./api.js";
import { $, el, showError } from "./dom.js";
import { chipText } from "./labels.js";
import { PAGE, S, colorOf } from "./state.js";
import { goPage } from "./view.js";

let current = null;  // the index in S.page of the sample shown, null when closed or showing one alone
let alone = null;    // {id} of a sample shown that is not on the page (opened from the map), else null

/** show S.page[index] */
export async function openModal(index) {
  current = index;
  alone = null;
  const sample = S.page[index];
  if (!sample) return;
  show(sample.id, `${(S.offset + index + 1).toLocaleString()} / ${S.count.toLocaleString()}`, true);
  await loadSide(sample.id, () => current === index);
}

/** show the sample with this id: from the page when the page holds it (← → step on from there), else alone,
 * with `where` (e.g. "not in the view") in place of its position */
export async function openSample(id, where = "") {
  const index = S.page.findIndex((s) => s.id === id);
  if (index >= 0) { await openModal(index); return; }
  current = null;
  const shown = alone = { id };
  show(id, where, false);
  await loadSide(id, () => alone === shown);
}

function show(id, position, canStep) {
  $("modal").hidden = false;
  $("modal-img").src = mediaURL(`/media/${encodeURIComponent(S.view.dataset)}/${id}`);
  $("modal-pos").textContent = position;
  $("modal-prev").disabled = $("modal-next").disabled = !canStep;
}

async function loadSide(id, stillShown) {
  try {
    const detail = await api(`/api/datasets/${encodeURIComponent(S.view.dataset)}/samples/${id}`);
    if (stillShown()) renderModalSide(detail);
  } catch (e) { if (stillShown()) showError(e); }
}

function renderModalSide(detail) {
  const preds = Object.entries(detail.labels).map(([field, v]) => el("div", { class: "pred", style: `border-color:${colorOf(field)}`, "data-testid": `pred-${field}` },
    el("div", {}, el("b", { text: field }), `: ${v.label ?? "—"}`, v.confidence !== null ? ` (${v.confidence.toFixed(3)})` : ""),
    v.top ? el("div", { class: "top5", "data-testid": `top5-${field}`, title: "scores from the stored logits (logit in brackets)",
      text: "top 5: " + v.top.map(([c, p, logit]) => `${c} ${p.toFixed(3)} (${logit.toFixed(2)})`).join(", ") }) : null));
  const multi = Object.entries(detail.multilabels || {}).map(([field, values]) => el("div", { class: "pred",
    style: `border-color:${colorOf(field)}`, "data-testid": `pred-${field}` },
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

/** the next (`step` 1) or previous (-1) sample, across pages */
export async function stepModal(step) {
  if (current === null) return;
  let next = current + step;
  if (next < 0 && S.offset > 0) { await goPage(-1); next = S.page.length - 1; }
  else if (next >= S.page.length && S.offset + PAGE < S.count) { await goPage(1); next = 0; }
  if (next >= 0 && next < S.page.length) openModal(next);
}

/** the sample the viewer shows (its tile's data), or null when it is closed */
export function currentSample() { return current === null ? alone : S.page[current] || null; }

export function closeModal() { current = alone = null; $("modal").hidden = true; $("modal-img").src = ""; }

export function isModalOpen() { return !$("modal").hidden; }

/** the sample viewer as a panel: setUp binds its buttons (app.js binds the keys) */
export const sampleModal = {
  setUp() {
    $("modal-prev").onclick = () => stepModal(-1);
    $("modal-next").onclick = () => stepModal(1);
    $("modal-close").onclick = closeModal;
  },
};
