// The embeddings map: a visualization's 2-D points (fob.compute_visualization) on a canvas, coloured by a field,
// the grid's view highlighted (the other points faint). A box or a lasso drawn on it adds a SelectRegion stage
// (the points inside, however many) to the view; "clear" removes it. A click (the mouse let go where it went
// down) on a point opens its sample in the viewer; a grid of cells finds the point under the pointer.
import { api, fresh, Stale } from "./api.js";
import { $, el, showError } from "./dom.js";
import { openSample } from "./modal.js";
import { S } from "./state.js";
import { setView } from "./view.js";

const PALETTE = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#ca8a04", "#db2777", "#4f46e5",
  "#65a30d", "#0d9488", "#b91c1c", "#7c3aed", "#c2410c", "#0369a1", "#a16207", "#be185d", "#15803d", "#6d28d9", "#475569"];
const GREY = "#94a3b8", FAINT = "rgba(148,163,184,0.35)", PAD = 12, MAX_VERTICES = 500;
const PICK_RADIUS = 8;  // px: the farthest a point may be from the pointer to be hovered or clicked
const CLICK_SLOP = 4;   // px: a press that moves less than this is a click, not a box or a lasso

let maps = { dataset: null, keys: [] };  // the dataset's visualizations
let key = null, colorBy = null, mode = "box";
let data = null;  // the points: {n, x, y (Float32Array, data units), inView (Uint8Array), color, bounds, cells}
let layer = null;  // the points drawn once, copied under the selection while it is drawn
let drag = null;   // the selection being drawn: screen points, and how far the pointer went from the first

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
    const x = new Float32Array(n), y = new Float32Array(n), tx = new Float32Array(n), ty = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      tx[i] = q[2 * i] / 65535; ty[i] = q[2 * i + 1] / 65535;
      x[i] = x0 + tx[i] * (x1 - x0); y[i] = y0 + ty[i] * (y1 - y0);
    }
    const packed = bytes(d.in_view), inView = new Uint8Array(n);
    for (let i = 0; i < n; i++) inView[i] = (packed[i >> 3] >> (i & 7)) & 1;
    const color = { ...d.color };
    if (color.kind === "categorical") color.codes = bytes(color.codes);
    if (color.kind === "numeric") color.values = new Float32Array(bytes(color.values).buffer);
    data = { n, x, y, inView, color, bounds: d.bounds, numInView: d.num_in_view, method: d.method, cells: gridOf(tx, ty) };
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
  // inside the border, where frame() puts the points
  const at = (e) => {
    const r = canvas.getBoundingClientRect();
    return [e.clientX - r.left - canvas.clientLeft, e.clientY - r.top - canvas.clientTop];
  };
  const away = (p) => Math.hypot(p[0] - drag.points[0][0], p[1] - drag.points[0][1]);
  canvas.onmousedown = (e) => { if (data) { drag = { points: [at(e)], far: 0 }; e.preventDefault(); } };
  canvas.onmousemove = (e) => {
    const p = at(e);
    if (!drag) { hover(canvas, p); return; }
    drag.far = Math.max(drag.far, away(p));
    const last = drag.points[drag.points.length - 1];
    if (mode === "box") drag.points = [drag.points[0], p];
    else if (Math.hypot(p[0] - last[0], p[1] - last[1]) >= 4 && drag.points.length < MAX_VERTICES) drag.points.push(p);
    draw();
  };
  canvas.onmouseup = (e) => {
    if (!drag) return;
    const p = at(e);
    if (Math.max(drag.far, away(p)) >= CLICK_SLOP) { finishSelection(canvas); return; }
    drag = null;
    draw();
    openPoint(canvas, p);
  };
  canvas.onmouseleave = () => { $("map-tip").hidden = true; if (drag) finishSelection(canvas); };
}

// a click: the sample of the nearest point within PICK_RADIUS in the viewer; nothing when no point is that near
async function openPoint(canvas, [px, py]) {
  const i = nearest(canvas, px, py);
  if (i < 0) return;
  const where = data.inView[i] ? "in the view, not on this page" : "not in the view";
  try {
    const found = await api("/api/brain/points/sample", { dataset: S.view.dataset, brain_key: key, index: i, num_points: data.n });
    openSample(found.id, where);
  } catch (e) { showError(e); }
}

function finishSelection(canvas) {
  const polygon = selectionPolygon(), f = frame(canvas);
  drag = null;
  const xs = polygon.map((p) => p[0]), ys = polygon.map((p) => p[1]);
  if (polygon.length < 3 || Math.max(...xs) - Math.min(...xs) < 3 || Math.max(...ys) - Math.min(...ys) < 3) { draw(); return; }
  const stage = { _cls: "SelectRegion", kwargs: { brain_key: key, polygon: polygon.map(([x, y]) => [f.fromX(x), f.fromY(y)]) } };
  setView({ ...S.view, stages: [...S.view.stages.filter((s) => s._cls !== "SelectRegion"), stage] });
}

// A uniform grid over the map's unit square (the points' quantized places, 0..1): cell -> its points, so that
// the point under the pointer is found among a few cells' points, not all of them at every mouse move.
function gridOf(tx, ty) {
  const n = tx.length, side = Math.max(1, Math.min(256, Math.ceil(Math.sqrt(n / 2))));
  const cellOf = (t) => Math.min(side - 1, Math.floor(t * side));
  const cell = new Int32Array(n), starts = new Int32Array(side * side + 1), order = new Int32Array(n);
  for (let i = 0; i < n; i++) { cell[i] = cellOf(tx[i]) + side * cellOf(ty[i]); starts[cell[i] + 1]++; }
  for (let c = 0; c < side * side; c++) starts[c + 1] += starts[c];
  const next = starts.slice(0, side * side);
  for (let i = 0; i < n; i++) order[next[cell[i]]++] = i;
  return { side, starts, order };
}

/** the point nearest to canvas pixel (px, py), within PICK_RADIUS; -1 when none is */
function nearest(canvas, px, py) {
  const f = frame(canvas), { side, starts, order } = data.cells;
  const w = Math.max(1, f.w - 2 * PAD), h = Math.max(1, f.h - 2 * PAD);
  // the cells the disc around the pointer touches (frame() puts a point at PAD + t * (size - 2 PAD))
  const span = (t, r) => [Math.max(0, Math.floor((t - r) * side)), Math.min(side - 1, Math.floor((t + r) * side))];
  const [cx0, cx1] = span((px - PAD) / w, PICK_RADIUS / w), [cy0, cy1] = span((f.h - PAD - py) / h, PICK_RADIUS / h);
  if (cx0 > cx1 || cy0 > cy1) return -1;  // the pointer is off the map
  let best = -1, bestD = PICK_RADIUS * PICK_RADIUS;
  for (let cy = cy0; cy <= cy1; cy++) {
    for (let k = starts[cx0 + side * cy]; k < starts[cx1 + side * cy + 1]; k++) {  // cells cx0..cx1 are contiguous
      const i = order[k], dx = f.toX(data.x[i]) - px, dy = f.toY(data.y[i]) - py, d = dx * dx + dy * dy;
      if (d < bestD) { bestD = d; best = i; }
    }
  }
  return best;
}

// the nearest point: its colour-by value
function hover(canvas, [px, py]) {
  const tip = $("map-tip");
  if (!data) return;
  const best = nearest(canvas, px, py);
  canvas.style.cursor = best < 0 ? "" : "pointer";
  if (best < 0) { tip.hidden = true; return; }
  const c = data.color;
  const value = c.kind === "categorical" ? c.categories[c.codes[best]] : c.kind === "numeric" ? String(c.values[best]) : "";
  const text = `${value}${data.inView[best] ? "" : " (not in the view)"}`.trim();
  tip.textContent = text ? `${text} · click to open` : "click to open";
  tip.style.left = `${px + 10}px`;
  tip.style.top = `${py + 10}px`;
  tip.hidden = false;
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
