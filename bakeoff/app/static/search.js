// The search box over the grid: the view sorted by similarity to a text ("a dog on a beach"), or to the sample
// open in the viewer ("more like this"), with a similarity index of the dataset (fob.compute_similarity).
// The answer is a SortBySimilarity stage added to the view (one at a time: a new search replaces it).
import { api } from "./api.js";
import { $, el, showError } from "./dom.js";
import { closeModal, currentSample } from "./modal.js";
import { S } from "./state.js";
import { setView } from "./view.js";

let indexes = { dataset: null, keys: [] };  // the similarity indexes of the dataset shown

// asked again with each view: an index computed in Python meanwhile turns the box on
async function loadIndexes() {
  const dataset = S.view.dataset;
  if (!dataset) return;
  if (indexes.dataset !== dataset) indexes = { dataset, keys: [] };
  try {
    const runs = await api(`/api/brain/datasets/${encodeURIComponent(dataset)}/runs`);
    if (S.view.dataset !== dataset) return;
    indexes = { dataset, keys: runs.similarity.map((r) => r.key) };
  } catch (e) { /* the search box stays off */ }
  renderSearchBox();
}

function renderSearchBox() {
  const input = $("search-input"), picker = $("search-key");
  const none = !indexes.keys.length;
  input.disabled = none;
  input.placeholder = none ? "search: needs a similarity index (fob.compute_similarity)" : "search: a dog on a beach";
  picker.hidden = indexes.keys.length < 2;
  picker.replaceChildren(...indexes.keys.map((k) => el("option", { value: k, text: k })));
  $("more-like-this").hidden = none;
}

function similarityStage() { return S.view.stages.find((s) => s._cls === "SortBySimilarity"); }

/** the view sorted by similarity to `query` (a text or a sample id); an empty query removes the search */
export async function searchFor(query) {
  const text = query.trim();
  if (!text) {
    if (similarityStage()) await setView({ ...S.view, stages: S.view.stages.filter((s) => s._cls !== "SortBySimilarity") });
    return;
  }
  const k = Math.max(1, Math.min(10000, parseInt($("search-k").value, 10) || 50));
  const key = indexes.keys.length > 1 ? $("search-key").value : indexes.keys[0];
  try {
    const data = await api("/api/brain/similar", { view: S.view, query: text, k, brain_key: key || null });
    await setView({ ...S.view, stages: data.stages });
  } catch (e) { showError(e); }
}

/** the search box and "more like this" in the sample viewer; the box shows the view's query */
export const searchPanel = {
  setUp() {
    // Enter in the text or in k searches (a form with two fields has no implicit submission)
    $("search-form").onsubmit = (e) => e.preventDefault();
    for (const id of ["search-input", "search-k"]) {
      $(id).onkeydown = (e) => { if (e.key === "Enter") { e.preventDefault(); searchFor($("search-input").value); } };
    }
    $("more-like-this").onclick = () => {
      const sample = currentSample();
      if (!sample) return;
      closeModal();
      searchFor(sample.id);
    };
  },
  viewChanged() {
    const stage = similarityStage();
    const query = stage ? String(stage.kwargs.query) : "";
    const isId = S.page.some((s) => s.id === query) || /^[0-9a-f]{24}$/.test(query);
    if (document.activeElement !== $("search-input")) $("search-input").value = isId ? "" : query;
    loadIndexes();
  },
};
