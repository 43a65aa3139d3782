// The prompt lab: pick a model run, edit one class's prompts (or templates for every class), see the accuracy,
// the class's recall and its confusion row re-scored from the cached image embeddings, save as a new field.
// A lab scores the samples of the view it was opened on. When the grid's view changes afterwards it says so and
// offers to re-open on the new view (keeping the edits): not automatically, since opening loads the model and
// every sample's embedding, too slow to redo at each click in the sidebar.
import { api } from "./api.js";
import { $, el, showError } from "./dom.js";
import { S } from "./state.js";
import { loadInfo, refresh } from "./view.js";

// the open lab: its id, the run's classes and prompts, the baseline, the view it scores; the page's edits; the
// last answer
let lab = null;
let edits = {};        // class -> prompts typed here (the other classes keep the run's)
let templates = null;  // templates for every class, or null
let focus = null;      // the class being edited
let last = null;       // the last rescore's metrics
let timer = null;

const pct = (x) => (x === null || x === undefined ? "—" : `${(x * 100).toFixed(1)}%`);
const lines = (text) => text.split("\n").map((s) => s.trim()).filter(Boolean);
const viewKey = (view) => JSON.stringify(view);

function togglePanel() {
  const panel = $("promptlab-panel");
  panel.hidden = !panel.hidden;
  $("promptlab-toggle").classList.toggle("active", !panel.hidden);
  if (!panel.hidden && (!lab || lab.dataset !== S.view.dataset)) renderPicker();
  else if (!panel.hidden) renderScope();
}

// the first screen: which run, against which ground truth
function renderPicker() {
  const panel = $("promptlab-panel");
  const runs = (S.info && S.info.model_runs) || [];
  if (!runs.length) {
    panel.replaceChildren(el("div", { class: "hint", text: "No model runs on this dataset: classify it first (` operators → zero-shot classify)." }));
    return;
  }
  const run = el("select", { "data-testid": "promptlab-run" }, ...runs.map((r) => el("option", { value: r, text: r })));
  const gt = el("select", { "data-testid": "promptlab-gt" },
    ...S.info.label_fields.map((f) => el("option", { value: f, text: f })));
  if (S.info.gt_field) gt.value = S.info.gt_field;
  const open = el("button", { "data-testid": "promptlab-open", text: "open", onclick: () => openLab(run.value, gt.value) });
  panel.replaceChildren(el("div", { class: "lab-row" }, el("b", { text: "prompt lab" }), " model run ", run,
    " ground truth ", gt, open,
    el("span", { class: "hint", text: " re-scores the samples of the grid's view (as it is now) from their cached image embeddings" })));
}

/** a lab on the grid's view; `keep`: re-open the open lab there, with the prompts and templates typed so far */
async function openLab(predField, gtField, keep = false) {
  const loading = "loading the model and the embeddings…";
  if (keep) {
    document.querySelector("[data-testid=promptlab-reopen]").disabled = true;
    document.querySelector("[data-testid=promptlab-scope]").textContent = loading;
  } else $("promptlab-panel").append(el("div", { class: "hint", "data-testid": "promptlab-loading", text: loading }));
  const view = S.view;  // as asked: the grid may move on while the lab loads
  try {
    const data = await api("/api/brain/prompt-lab", { view, pred_field: predField, gt_field: gtField });
    lab = { ...data, dataset: view.dataset, viewKey: viewKey(view) };
    if (!keep) { edits = {}; templates = null; }
    edits = Object.fromEntries(Object.entries(edits).filter(([c]) => lab.classes.includes(c)));
    last = { ...data.baseline, baseline_accuracy: data.baseline.accuracy, baseline_recall: data.baseline.recall };
    if (!keep || !lab.classes.includes(focus)) focus = worstClass();
    renderLab();
    rescore();
  } catch (e) {
    showError(e);
    if (keep) renderScope(); else renderPicker();
  }
}

// which samples the lab scores: the grid's view, or the view it was opened on when the grid has moved on since
function renderScope() {
  const scope = document.querySelector("[data-testid=promptlab-scope]");
  const reopen = document.querySelector("[data-testid=promptlab-reopen]");
  if (!scope || !lab) return;
  const n = lab.baseline.num_samples.toLocaleString(), same = lab.viewKey === viewKey(S.view);
  scope.textContent = same ? `scoring the ${n} samples of the grid's view`
    : `scoring the ${n} samples of the view when opened, not the grid's view now (${S.count.toLocaleString()} samples)`;
  scope.classList.toggle("stale", !same);
  reopen.hidden = same;
  reopen.disabled = false;
}

// the class with the lowest recall that has samples: where a better prompt helps most
function worstClass() {
  const recall = lab.baseline.recall;
  const known = lab.classes.filter((c) => c in recall);
  return known.length ? known.reduce((a, b) => (recall[b] < recall[a] ? b : a)) : lab.classes[0];
}

function promptsOf(cls) {
  if (edits[cls]) return edits[cls];
  if (templates) return templates.map((t) => t.replace("{}", cls));
  return lab.prompts[cls];
}

function renderLab() {
  const panel = $("promptlab-panel");
  const classList = el("div", { class: "lab-classes", "data-testid": "promptlab-classes" });
  const editor = el("textarea", { "data-testid": "promptlab-prompts", rows: 4, spellcheck: "false" });
  editor.value = promptsOf(focus).join("\n");
  editor.oninput = () => {
    const given = lines(editor.value);
    if (given.length) edits[focus] = given; else delete edits[focus];
    schedule();
  };
  const templateBox = el("textarea", { "data-testid": "promptlab-templates", rows: 2, spellcheck: "false",
    placeholder: "templates for every class, one per line, {} for the class name (empty: the run's prompts)" });
  templateBox.value = templates ? templates.join("\n") : "";
  templateBox.oninput = () => {
    const given = lines(templateBox.value);
    templates = given.length ? given : null;
    schedule();
  };
  const reset = el("button", { text: "reset class", title: "this class's prompts back to the run's",
    onclick: () => { delete edits[focus]; renderLab(); rescore(); } });
  const name = el("input", { type: "text", "data-testid": "promptlab-save-field", value: `${lab.pred_field}_lab`, size: 16 });
  const save = el("button", { "data-testid": "promptlab-save", text: "save as field", onclick: () => saveAs(name.value) });
  panel.replaceChildren(
    el("div", { class: "lab-row" }, el("b", { text: `prompt lab: ${lab.pred_field}` }),
      el("span", { class: "hint", text: ` vs ${lab.gt_field}, ${lab.classes.length} classes,` }),
      el("span", { class: "hint lab-scope", "data-testid": "promptlab-scope" }),
      el("button", { "data-testid": "promptlab-reopen", text: "re-open on the current view", hidden: true,
        title: "score the grid's view now instead, keeping the prompts typed here",
        onclick: () => openLab(lab.pred_field, lab.gt_field, true) }),
      el("button", { text: "close", onclick: () => { lab = null; renderPicker(); } })),
    el("div", { class: "lab-body" },
      classList,
      el("div", { class: "lab-edit" },
        el("label", { text: `prompts of "${focus}" (one per line)` }), editor,
        el("label", { text: "templates for every class" }), templateBox,
        el("div", { class: "lab-row" },
          el("button", { "data-testid": "promptlab-rescore", text: "re-score", onclick: rescore }), reset,
          el("span", { class: "hint", "data-testid": "promptlab-timing" })),
        el("div", { class: "lab-metrics", "data-testid": "promptlab-metrics" }),
        el("div", { class: "lab-row" }, name, save, el("span", { class: "hint", "data-testid": "promptlab-save-status" })))));
  renderScope();
  renderClasses();
  renderMetrics();
}

function renderClasses() {
  const box = document.querySelector("[data-testid=promptlab-classes]");
  if (!box) return;
  const rows = lab.classes.map((c) => {
    const before = last.baseline_recall[c], now = last.recall[c];
    const delta = before === undefined || now === undefined ? "" : now > before ? " ▲" : now < before ? " ▼" : "";
    return el("div", { class: `lab-class${c === focus ? " selected" : ""}`, "data-testid": `promptlab-class-${c}`,
      title: promptsOf(c).join("\n"), onclick: () => { focus = c; renderLab(); rescore(); } },
      el("span", { text: (edits[c] ? "✎ " : "") + c }), el("span", { class: "n", text: `${pct(now)}${delta}` }));
  });
  box.replaceChildren(...rows);
}

function renderMetrics() {
  const box = document.querySelector("[data-testid=promptlab-metrics]");
  if (!box || !last) return;
  const diff = (now, before) => {
    if (now === null || now === undefined || before === undefined) return "";
    const d = (now - before) * 100;
    return d ? ` (${d > 0 ? "+" : ""}${d.toFixed(1)})` : "";
  };
  const f = last.focus;
  const row = f ? Object.entries(f.confusion_row) : [];
  const most = Math.max(1, ...row.map(([, n]) => n));
  const bars = row.slice(0, 12).map(([label, n]) => el("div", { class: "lab-bar", "data-testid": "promptlab-confusion-item" },
    el("span", { class: "lab-bar-label", text: label }),
    el("span", { class: `lab-bar-fill${label === f.label ? " right" : ""}`, style: `width:${Math.round(100 * n / most)}%` }),
    el("span", { class: "n", text: String(n) })));
  box.replaceChildren(
    el("div", { "data-testid": "promptlab-accuracy", class: "lab-big" },
      `accuracy ${pct(last.accuracy)}`, el("span", { class: "hint", text: ` run's prompts ${pct(last.baseline_accuracy)}${diff(last.accuracy, last.baseline_accuracy)}` })),
    f ? el("div", { "data-testid": "promptlab-recall" },
      `recall of "${f.label}": ${pct(f.recall)}`, el("span", { class: "hint", text: ` run's prompts ${pct(last.baseline_recall[f.label])}${diff(f.recall, last.baseline_recall[f.label])} · ${f.support} samples` })) : null,
    el("div", { class: "hint", "data-testid": "promptlab-changes",
      text: `${last.changed} predictions changed: ${last.fixed} fixed, ${last.broken} broken` }),
    f ? el("div", { class: "hint", text: `predicted for "${f.label}":` }) : null,
    el("div", { "data-testid": "promptlab-confusion" }, ...bars));
}

function schedule() {
  clearTimeout(timer);
  timer = setTimeout(rescore, 400);
}

let asked = 0;  // only the newest answer is drawn

async function rescore() {
  if (!lab) return;
  clearTimeout(timer);
  const ticket = ++asked, t0 = performance.now();
  const body = { prompts: edits, focus };
  if (templates) body.templates = templates;
  try {
    const data = await api(`/api/brain/prompt-lab/${lab.lab}/rescore`, body);
    if (ticket !== asked) return;
    last = data;
    showError(null);
    renderClasses();
    renderMetrics();
    const timing = document.querySelector("[data-testid=promptlab-timing]");
    if (timing) timing.textContent = `re-scored in ${Math.round(performance.now() - t0)} ms`;
  } catch (e) { if (ticket === asked) showError(e); }
}

async function saveAs(labelField) {
  const status = document.querySelector("[data-testid=promptlab-save-status]");
  const body = { label_field: labelField, prompts: edits };
  if (templates) body.templates = templates;
  try {
    let job = await api(`/api/brain/prompt-lab/${lab.lab}/save`, body);
    status.textContent = "saving…";
    while (["queued", "running"].includes(job.status)) {
      await new Promise((resolve) => setTimeout(resolve, 300));
      job = await api(`/api/jobs/${job.id}`);
      status.textContent = `saving: ${job.done} / ${job.total ?? "?"}`;
    }
    if (job.status !== "completed") { status.textContent = `${job.status}: ${job.error || job.message}`; return; }
    status.textContent = `saved: ${job.message}`;
    await loadInfo();
    if (!S.shown.includes(labelField)) S.shown.push(labelField);
    refresh();
  } catch (e) { showError(e); status.textContent = ""; }
}

/** opened with the header's "prompt lab" button; a lab belongs to the dataset it was opened on, and says when
 * the grid's view is no longer the one it scores */
export const promptLabPanel = {
  setUp() { $("promptlab-toggle").onclick = togglePanel; },
  viewLoaded() {
    if ($("promptlab-panel").hidden) return;
    if (!lab || lab.dataset !== S.view.dataset) { lab = null; renderPicker(); } else renderScope();
  },
};
