// The embeddings map: a visualization's 2-D points (fob.compute_visualization) on a canvas, coloured by a field,
// the grid's view highlighted (the other points faint). A box or a lasso drawn on it adds a SelectRegion stage
// (the points inside, however many) to the view; "clear" removes it.
import { api, fresh, Stale } from "./api.js";
import { $, el, showError } from "./dom.js";
import { S } from "./state.js";
import { setView } from "./view.js";

const PALETTE = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#ca8a04", "#db2777", "#4f46e5",
  "#65a30d", "#0d9488", "#b91c1c", "#7c3aed", "#c2410c", "#0369a1", "#a16207", "#be185d", "#15803d", "#6d28d9", "#475569"];
const GREY = "#94a3b8", FAINT = "rgba(148,163,184,0.35)", PAD = 12, MAX_VERTICES = 500;

let maps = { dataset: null, keys: [] };  // the dataset's visualizations
let key = null, colorBy = null, mode = "box";
let data = null;  // the points: {n, x, y (Float32Array, data units), inView (Uint8Array), color, bounds}
let layer = null;  // the points drawn once, copied under the selection while it is drawn
let drag = null;   // the selection being drawn: screen points

const bytes = (b64) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
const regionStage = () => S.view.stages.find((s) => s._cls === "SelectRegion" && s.kwargs.brain_key === key);

function togglePanel() {
  const panel = $("embeddings-panel");
  panel.hidden = !panel.hidden;
  $("embeddings-toggle").classList.toggle("active", !panel.hidden);
  if (!panel.hidden) loadMaps();
}

async function loadMaps() {
  const dataset = S.view.dataset;
  try {
    const runs = await api(`/api/brain/datasets/${encodeURIComponent(dataset)}/runs`);
    maps = { dataset, keys: runs.visualization.map((r) => r.key) };
  } catch (e) { showError(e); return; }
  if (!maps.keys.includes(key)) key = maps.keys[0] || null;
  renderControls();
  loadPoints();
}

// the fields a map can be coloured by: labels, booleans, strings and numbers
function colorFields() {
  return S.info.fields.filter((f) => ["label", "boolean", "string", "float", "int"].includes(f.kind)
    && !["id", "filepath", "created_at", "last_modified_at"].includes(f.path) && !f.path.includes("."));
}

function renderControls() {
  const panel = $("embeddings-panel");
  if (!key) {
    panel.replaceChildren(el("div", { class: "hint", "data-testid": "map-none",
      text: "No map of this dataset yet: make one in Python with fob.compute_visualization(dataset, model=..., method=\"umap\", brain_key=\"map\")." }));
    return;
  }
  const fields = colorFields();
  if (colorBy === null || !fields.some((f) => f.path === colorBy)) colorBy = S.info.gt_field || null;
  const picker = el("select", { "data-testid": "map-key" }, ...maps.keys.map((k) => el("option", { value: k, text: k })));
  picker.value = key;
  picker.onchange = () => { key = picker.value; loadPoints(); };
  const colors = el("select", { "data-testid": "map-color" }, el("option", { value: "", text: "(no colour)" }),
    ...fields.map((f) => el("option", { value: f.path, text: f.path })));
  colors.value = colorBy || "";
  colors.onchange = () => { colorBy = colors.value || null; loadPoints(); };
  const modeButton = (name) => el("button", { "data-testid": `map-mode-${name}`, class: mode === name ? "active" : "",
    text: name, onclick: (e) => {
      mode = name;
      e.target.parentNode.querySelectorAll("[data-testid^=map-mode-]").forEach((b) => b.classList.toggle("active", b === e.target));
    } });
  const clear = el("button", { "data-testid": "map-clear", text: "clear selection", disabled: !regionStage(),
    onclick: () => setView({ ...S.view, stages: S.view.stages.filter((s) => s !== regionStage()) }) });
  const canvas = el("canvas", { id: "map-canvas", "data-testid": "map-canvas" });
  bindCanvas(canvas);
  panel.replaceChildren(
    el("div", { class: "map-row" }, el("b", { text: "map" }), picker, " colour by ", colors, " select by ",
      modeButton("box"), modeButton("lasso"), clear, el("span", { class: "hint", id: "map-info", "data-testid": "map-info" })),
    el("div", { class: "map-box" }, canvas, el("div", { class: "map-tip", id: "map-tip", "data-testid": "map-tip", hidden: true })),
    el("div", { class: "map-legend", id: "map-legend", "data-testid": "map-legend" }));
}

async function loadPoints() {
  if (!key) return;
  try {
    const d = await fresh("map", api("/api/brain/points", { view: S.view, brain_key: key, color_by: colorBy }));
    const q = new Uint16Array(bytes(d.xy).buffer), n = d.num_points, [x0, x1, y0, y1] = d.bounds;
    const x = new Float32Array(n), y = new Float32Array(n);
    for (let i = 0; i < n; i++) { x[i] = x0 + (q[2 * i] / 65535) * (x1 - x0); y[i] = y0 + (q[2 * i + 1] / 65535) * (y1 - y0); }
    const packed = bytes(d.in_view), inView = new Uint8Array(n);
    for (let i = 0; i < n; i++) inView[i] = (packed[i >> 3] >> (i & 7)) & 1;
    const color = { ...d.color };
    if (color.kind === "categorical") color.codes = bytes(color.codes);
    if (color.kind === "numeric") color.values = new Float32Array(bytes(color.values).buffer);
    data = { n, x, y, inView, color, bounds: d.bounds, numInView: d.num_in_view, method: d.method };
    layer = null;
    $("map-info").textContent = `${n.toLocaleString()} points (${d.method}), ${d.num_in_view.toLocaleString()} in the view`;
    renderLegend();
    draw();
  } catch (e) { if (!(e instanceof Stale)) showError(e); }
}

function renderLegend() {
  const c = data.color, box = $("map-legend");
  if (c.kind === "categorical") {
    box.replaceChildren(...c.categories.map((name, i) => el("span", { title: `${c.counts[i]} points` },
      el("span", { class: "swatch", style: `background:${categoryColor(name, i)}` }), name)));
  } else if (c.kind === "numeric" && c.range) {
    box.replaceChildren(el("span", { text: `${c.field}: ${c.range[0].toPrecision(3)}` }),
      el("span", { class: "swatch", style: `background:${ramp(0)}` }), el("span", { class: "swatch", style: `background:${ramp(0.5)}` }),
      el("span", { class: "swatch", style: `background:${ramp(1)}` }), el("span", { text: c.range[1].toPrecision(3) }));
  } else box.replaceChildren();
}

const categoryColor = (name, i) => (name === "(none)" ? GREY : name === "(other)" ? "#475569" : PALETTE[i % PALETTE.length]);
// a blue-to-orange ramp for numbers
function ramp(t) {
  const a = [37, 99, 235], b = [234, 88, 12], m = (j) => Math.round(a[j] + (b[j] - a[j]) * t);
  return `rgb(${m(0)},${m(1)},${m(2)})`;
}

// canvas pixels <-> data units
function frame(canvas) {
  const w = canvas.clientWidth, h = canvas.clientHeight, [x0, x1, y0, y1] = data.bounds;
  const sx = (w - 2 * PAD) / (x1 - x0 || 1), sy = (h - 2 * PAD) / (y1 - y0 || 1);
  return { w, h, toX: (x) => PAD + (x - x0) * sx, toY: (y) => h - PAD - (y - y0) * sy,
    fromX: (px) => x0 + (px - PAD) / sx, fromY: (py) => y0 + (h - PAD - py) / sy };
}

// every point once onto an offscreen layer, grouped by colour: the faint ones (outside the view) first
function drawLayer(canvas) {
  const ratio = window.devicePixelRatio || 1, f = frame(canvas);
  layer = document.createElement("canvas");
  layer.width = canvas.width = Math.round(f.w * ratio);
  layer.height = canvas.height = Math.round(f.h * ratio);
  const ctx = layer.getContext("2d");
  ctx.scale(ratio, ratio);
  const size = data.n > 20000 ? 2 : data.n > 2000 ? 3 : 7, half = size / 2, round = data.n <= 5000;
  const groups = new Map();
  const c = data.color, lo = c.range ? c.range[0] : 0, span = c.range ? (c.range[1] - c.range[0]) || 1 : 1;
  for (let i = 0; i < data.n; i++) {
    let style;
    if (!data.inView[i]) style = FAINT;
    else if (c.kind === "categorical") style = categoryColor(c.categories[c.codes[i]], c.codes[i]);
    else if (c.kind === "numeric") style = Number.isFinite(c.values[i]) ? ramp(Math.round(((c.values[i] - lo) / span) * 16) / 16) : GREY;
    else style = PALETTE[0];
    if (!groups.has(style)) groups.set(style, []);
    groups.get(style).push(i);
  }
  const order = [...groups.keys()].sort((a, b) => (a === FAINT ? -1 : b === FAINT ? 1 : 0));
  for (const style of order) {
    ctx.fillStyle = style;
    if (round) {  // few points: discs; many: squares, much faster to fill
      ctx.beginPath();
      for (const i of groups.get(style)) {
        ctx.moveTo(f.toX(data.x[i]) + half, f.toY(data.y[i]));
        ctx.arc(f.toX(data.x[i]), f.toY(data.y[i]), half, 0, 2 * Math.PI);
      }
      ctx.fill();
    } else for (const i of groups.get(style)) ctx.fillRect(f.toX(data.x[i]) - half, f.toY(data.y[i]) - half, size, size);
  }
}

/** the points, the view's region (dashed) and the selection being drawn */
function draw() {
  const canvas = $("map-canvas");
  if (!canvas || !data) return;
  if (!layer || layer.width !== Math.round(canvas.clientWidth * (window.devicePixelRatio || 1))
      || canvas.width !== layer.width) drawLayer(canvas);
  const ctx = canvas.getContext("2d"), ratio = window.devicePixelRatio || 1, f = frame(canvas);
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  ctx.drawImage(layer, 0, 0);
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  const region = regionStage();
  if (region) outline(ctx, region.kwargs.polygon.map(([x, y]) => [f.toX(x), f.toY(y)]), [5, 4]);
  if (drag) outline(ctx, selectionPolygon(), []);
}

function outline(ctx, points, dash) {
  if (points.length < 2) return;
  ctx.save();
  ctx.setLineDash(dash);
  ctx.strokeStyle = "#0f172a";
  ctx.fillStyle = "rgba(37,99,235,0.08)";
  ctx.lineWidth = 1.5;
  ctx.beginPath();
  points.forEach(([x, y], i) => (i ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
  ctx.closePath();
  ctx.fill();
  ctx.stroke();
  ctx.restore();
}

// the box's four corners, or the lasso's path
function selectionPolygon() {
  if (mode === "lasso") return drag.points;
  const [[ax, ay], [bx, by]] = [drag.points[0], drag.points[drag.points.length - 1]];
  return [[ax, ay], [bx, ay], [bx, by], [ax, by]];
}

function bindCanvas(canvas) {
  const at = (e) => { const r = canvas.getBoundingClientRect(); return [e.clientX - r.left, e.clientY - r.top]; };
  canvas.onmousedown = (e) => { if (data) { drag = { points: [at(e)] }; e.preventDefault(); } };
  canvas.onmousemove = (e) => {
    const p = at(e);
    if (!drag) { hover(canvas, p); return; }
    const last = drag.points[drag.points.length - 1];
    if (mode === "box") drag.points = [drag.points[0], p];
    else if (Math.hypot(p[0] - last[0], p[1] - last[1]) >= 4 && drag.points.length < MAX_VERTICES) drag.points.push(p);
    draw();
  };
  canvas.onmouseup = () => finishSelection(canvas);
  canvas.onmouseleave = () => { $("map-tip").hidden = true; if (drag) finishSelection(canvas); };
}

function finishSelection(canvas) {
  const polygon = selectionPolygon(), f = frame(canvas);
  drag = null;
  const xs = polygon.map((p) => p[0]), ys = polygon.map((p) => p[1]);
  if (polygon.length < 3 || Math.max(...xs) - Math.min(...xs) < 3 || Math.max(...ys) - Math.min(...ys) < 3) { draw(); return; }
  const stage = { _cls: "SelectRegion", kwargs: { brain_key: key, polygon: polygon.map(([x, y]) => [f.fromX(x), f.fromY(y)]) } };
  setView({ ...S.view, stages: [...S.view.stages.filter((s) => s._cls !== "SelectRegion"), stage] });
}

// the nearest point within 8 px: its colour-by value
function hover(canvas, [px, py]) {
  const tip = $("map-tip");
  if (!data) return;
  const f = frame(canvas);
  let best = -1, bestD = 64;
  for (let i = 0; i < data.n; i++) {
    const dx = f.toX(data.x[i]) - px, dy = f.toY(data.y[i]) - py, d = dx * dx + dy * dy;
    if (d < bestD) { bestD = d; best = i; }
  }
  if (best < 0) { tip.hidden = true; return; }
  const c = data.color;
  const value = c.kind === "categorical" ? c.categories[c.codes[best]] : c.kind === "numeric" ? String(c.values[best]) : "";
  tip.textContent = `${value}${data.inView[best] ? "" : " (not in the view)"}`;
  tip.style.left = `${px + 10}px`;
  tip.style.top = `${py + 10}px`;
  tip.hidden = !tip.textContent;
}

/** opened with the header's "map" button; while open it follows the view (highlight, the region's outline) */
export const scatterPanel = {
  setUp() {
    $("embeddings-toggle").onclick = togglePanel;
    window.addEventListener("resize", () => { layer = null; draw(); });
  },
  viewLoaded() {
    if ($("embeddings-panel").hidden) return;
    if (maps.dataset !== S.view.dataset) { loadMaps(); return; }
    const clear = document.querySelector("[data-testid=map-clear]");
    if (clear) clear.disabled = !regionStage();
    loadPoints();
  },
};
