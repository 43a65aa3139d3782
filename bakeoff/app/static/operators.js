// The command palette (backtick): pick an operator, fill its form, run it as a background job (jobs.js).
import { api } from "./api.js";
import { $, el, showError } from "./dom.js";
import { startJob } from "./jobs.js";
import { S } from "./state.js";

// An operator: the name the palette lists and a function that fills the palette's form (#operator-form)
// and calls runOperator on submit. registerOperator adds one.
const OPERATORS = [
  { name: "zero-shot classify", form: classifyForm },
  { name: "evaluate", form: evaluateForm },
];

export function registerOperator(operator) { OPERATORS.push(operator); }

let zoo = null;  // the server's model zoo, template sets and model arguments: asked once

export function openPalette() {
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

export function closePalette() { $("palette").hidden = true; }

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
    if (!zoo) zoo = await api("/api/operators/models");
  } catch (e) { showError(e); return; }
  const optionText = (m) => (m.available ? m.name + (m.reason ? ` (${m.reason})` : "")
    : m.configurable ? `${m.name} — give its weights under model arguments` : `${m.name} — unavailable: ${m.reason.slice(0, 90)}`);
  const model = el("select", { name: "model", "data-testid": "op-model" }, ...zoo.models.map((m) =>
    el("option", { value: m.name, disabled: !m.available && !m.configurable, title: m.available ? m.description : m.reason,
      text: optionText(m) })));
  const firstAvailable = zoo.models.find((m) => m.available);
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
    el("option", { value: "", text: "none: use the prompt" }), ...zoo.template_sets.map((t) => el("option", { value: t, text: t })));
  const labelField = el("input", { type: "text", name: "label_field", "data-testid": "op-label-field", required: true, pattern: "[A-Za-z_][A-Za-z0-9_]*" });
  labelField.value = (firstAvailable ? firstAvailable.name : "predictions").replace(/[^A-Za-z0-9_]/g, "_");
  model.onchange = () => { labelField.value = model.value.replace(/[^A-Za-z0-9_]/g, "_"); };
  const args = el("textarea", { name: "model_args", rows: 2, "data-testid": "op-model-args",
    placeholder: "name_or_path=/models/my-siglip\nprecision=fp16" });
  const argsHint = `one key=value per line (or a JSON object); keys: ${(zoo.model_args || []).join(", ")}. `
    + `Paths must lie under ${(zoo.model_dirs || []).join(" or ") || "the allowed model folders"} (bakeoff.config.app_model_dirs)`;
  const target = targetSelect();
  const run = el("button", { type: "submit", "data-testid": "op-run", text: "run" });
  form.replaceChildren(el("h3", { text: "zero-shot classify" }), ...field("model", model, "models whose package or weights are missing are greyed out; the generic loaders take local weights as model arguments"),
    ...field("model arguments", args, argsHint),
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
    let modelArgs;
    try { modelArgs = parseModelArgs(args.value); } catch (err) { showError(err.message); return; }
    const params = { model: model.value, classes, label_field: labelField.value, target: target.value };
    if (Object.keys(modelArgs).length) params.model_args = modelArgs;
    if (prompt.value) params.prompt = prompt.value;
    if (templates.value) params.templates = templates.value;
    runOperator("zero-shot-classify", params);
  };
}

// "key=value" lines, or a JSON object; true/false/null and numbers become JSON values, the rest strings
function parseModelArgs(text) {
  const trimmed = text.trim();
  if (!trimmed) return {};
  if (trimmed.startsWith("{")) {
    let parsed;
    try { parsed = JSON.parse(trimmed); } catch (e) { throw new Error(`model arguments: not valid JSON (${e.message})`); }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new Error("model arguments: give a JSON object");
    return parsed;
  }
  const out = {};
  for (const line of trimmed.split("\n").map((l) => l.trim()).filter(Boolean)) {
    const at = line.indexOf("=");
    if (at < 1) throw new Error(`model arguments: '${line}' is not key=value`);
    const key = line.slice(0, at).trim(), raw = line.slice(at + 1).trim();
    let value = raw;
    if (["true", "false", "null"].includes(raw) || /^-?\d+(\.\d+)?$/.test(raw)) value = JSON.parse(raw);
    out[key] = value;
  }
  return out;
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
    runOperator("evaluate", params);
  };
}

/** start the job; the palette closes when the server took it, and shows the refusal when not */
export async function runOperator(operator, params) {
  try {
    await startJob(operator, params);
    closePalette();
  } catch (e) { showError(e); }
}

export function isPaletteOpen() { return !$("palette").hidden; }

/** the palette as a panel: setUp binds the header's button (app.js binds the backtick key) */
export const palette = {
  setUp() { $("palette-open").onclick = openPalette; },
};
