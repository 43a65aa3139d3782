// Operators run as background jobs on the server: a card per job with its progress, cancel and dismiss;
// a finished job's new labels show in the grid.
import { api } from "./api.js";
import { $, el, showError } from "./dom.js";
import { S } from "./state.js";
import { loadInfo, refresh } from "./view.js";

const watching = new Set();  // ids of the jobs this page started and has not seen finish

/** start `operator` on the current view; its card appears in the corner. Throws the server's refusal. */
export async function startJob(operator, params) {
  const job = await api("/api/jobs", { operator, view: S.view, params });
  watching.add(job.id);
  renderJob(job);
  return job;
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

/** follow the watched jobs every half second, for the life of the page */
export async function pollJobs() {
  try {
    for (const id of [...watching]) {
      const job = await api(`/api/jobs/${id}`);
      renderJob(job);
      if (!["queued", "running"].includes(job.status)) {
        watching.delete(id);
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
