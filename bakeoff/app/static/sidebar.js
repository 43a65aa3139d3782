// The sidebar: per label field its values with counts (click to filter), a finder for long lists, a confidence
// range and "show on tiles"; boolean fields and tags as values; the other fields with their descriptions.
import { $, el } from "./dom.js";
import { renderGrid } from "./grid.js";
import { S, allLabelFields } from "./state.js";
import { setView } from "./view.js";

const LISTED = 25;  // values listed per field; the finder reaches the others
const searches = {};  // label field -> the text in its finder, kept across redraws

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
  const search = searches[path] || "";
  const draw = (text) => {
    const needle = text.toLowerCase();
    const matching = values.counts.filter(([value]) => !needle || String(value).toLowerCase().includes(needle));
    const rows = matching.slice(0, LISTED).map(([value, n]) => valueRow(value === null ? "(none)" : value, n,
      selected.includes(value), () => toggleValue("labels", path, value), `value-${path}-${value}`));
    const listed = Math.min(matching.length, LISTED);  // what the list really shows, not what matched
    const what = needle ? `${matching.length} match "${text}"; ` : "";
    if (matching.length > LISTED || values.other) rows.push(el("div", { class: "hint", "data-testid": `shown-${path}`,
      text: `${what}${listed} of ${values.distinct} values shown${matching.length > LISTED ? ": search to find the others" : ""}${values.other ? " (the rarest are not listed)" : ""}` }));
    list.replaceChildren(...rows);
  };
  draw(search);
  let finder = null;
  if (values.counts.length > LISTED) {
    finder = el("input", { type: "search", class: "finder", placeholder: "find a label…", "data-testid": `find-${path}` });
    finder.value = search;
    finder.oninput = () => { searches[path] = finder.value; draw(finder.value); };
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

/** the sidebar redraws when the view's counts arrive */
export const sidebar = {
  countsLoaded: renderSidebar,
};
