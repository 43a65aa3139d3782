// The header's stage chips (one per stage of the view, plus one for the sidebar filters) and the
// "edit view" box that takes the stages as JSON.
import { $, el, showError } from "./dom.js";
import { describeStage } from "./stages.js";
import { S, emptyFilters } from "./state.js";
import { loadPage, refresh, setView } from "./view.js";

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

/** the stage chips redraw whenever the view changes; setUp binds the "edit view" box's buttons */
export const stageBar = {
  setUp() {
    $("edit-stages").onclick = openStageEditor;
    $("stage-apply").onclick = applyStageEditor;
    $("stage-cancel").onclick = () => { $("stage-editor").hidden = true; };
  },
  viewChanged: renderStages,
};
