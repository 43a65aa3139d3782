// bakeoff App: one page over the JSON API, as ES modules with no build step and no dependencies.
// This module is the entry (the only <script> in index.html): it registers the panels, binds the keys and
// loads the first view. Each module imports only modules listed below it (tests/app/test_page_modules.py
// checks that the imports resolve and form no cycle):
//
//   app.js        the entry                                   imports the panels below
//   promptlab.js  the prompt lab: re-score a run's prompts    -> view.js
//   scatter.js    the embeddings map: box/lasso, open a point -> modal.js, view.js
//   search.js     the similarity search box, "more like this" -> modal.js, view.js
//   operators.js  the command palette and its forms           -> jobs.js
//   jobs.js       background jobs' cards and their polling    -> view.js
//   compare.js    the compare table and confusion matrix      -> view.js
//   sidebar.js    values, counts and filters per field        -> grid.js, view.js
//   grid.js       the tiles and the pager                     -> modal.js, view.js
//   modal.js      one sample large                            -> view.js
//   stagebar.js   the stage chips and the "edit view" box     -> stages.js, view.js
//   view.js       setView, refresh, goPage, registerPanel     -> state.js, api.js, dom.js
//   state.js (S, the shared state), api.js (the server and the token), dom.js (el, $, showError),
//   stages.js (how a stage reads), labels.js (how a label reads): import nothing
//
// A new panel (a search box, a plot of the embeddings, ...) is a module that exports an object with
// setUp/viewChanged/pageLoaded/countsLoaded/viewLoaded methods (see view.js), added to PANELS below;
// a new operator for the palette is added with registerOperator (operators.js).
import { api, setUpToken } from "./api.js";
import { comparePanel } from "./compare.js";
import { $, showError } from "./dom.js";
import { grid } from "./grid.js";
import { pollJobs } from "./jobs.js";
import { closeModal, isModalOpen, sampleModal, stepModal } from "./modal.js";
import { closePalette, isPaletteOpen, openPalette, palette } from "./operators.js";
import { promptLabPanel } from "./promptlab.js";
import { scatterPanel } from "./scatter.js";
import { searchPanel } from "./search.js";
import { sidebar } from "./sidebar.js";
import { stageBar } from "./stagebar.js";
import { S, emptyFilters } from "./state.js";
import { decodeState, registerPanel, renderPicker, setView } from "./view.js";

// the order in which the panels hear of a new view, page or counts
const PANELS = [stageBar, grid, sidebar, sampleModal, comparePanel, palette, searchPanel, scatterPanel, promptLabPanel];

async function init() {
  bindGlobalKeys();
  $("dataset-picker").onchange = (e) => setView({ dataset: e.target.value, stages: [], filters: emptyFilters() });
  $("dataset-picker").onfocus = async () => {  // datasets made since the page loaded
    try { S.datasets = (await api("/api/datasets")).datasets; renderPicker(); } catch (e) { /* keep the list */ }
  };
  PANELS.forEach(registerPanel);
  try {
    await setUpToken();
    S.datasets = (await api("/api/datasets")).datasets;
    const fromURL = location.hash.startsWith("#v=") ? decodeState(location.hash.slice(3)) : null;
    const session = await api("/api/session");
    S.sessionVersion = session.version;
    let start = null, report = true;
    // a #v= link changes what this page shows, not the Python session's view, until the user acts here
    if (fromURL && fromURL.dataset) { start = fromURL; report = false; }
    // a new tab starts from the session's dataset and stages (sidebar filters belong to the tab that set them)
    // and reports nothing back: the session already holds this view, and a late report would undo a view
    // Python sets meanwhile
    else if (session.dataset) { start = { ...session, filters: emptyFilters() }; report = false; }
    else if (S.datasets.length) start = { dataset: S.datasets[0], stages: [], filters: emptyFilters() };
    renderPicker();
    if (start) await setView(start, start.offset || 0, report);
    else $("grid").textContent = "No datasets yet: create one in Python or with `bakeoff datasets create`.";
  } catch (e) { showError(e); }
  setInterval(pollSession, 1500);
  pollJobs();
}

// a view set in Python (session.view = ...) replaces the page's
async function pollSession() {
  try {
    const session = await api("/api/session");
    if (session.version > S.sessionVersion && session.source === "python") {
      S.sessionVersion = session.version;
      if (session.dataset) {
        S.info = null;
        await setView(session, 0, false);
      }
    }
  } catch (e) { /* server gone: keep the page as it is */ }
}

function bindGlobalKeys() {
  document.addEventListener("keydown", (e) => {
    const typing = ["INPUT", "TEXTAREA", "SELECT"].includes(document.activeElement?.tagName);
    if (isModalOpen()) {
      if (e.key === "ArrowRight") { e.preventDefault(); stepModal(1); }
      else if (e.key === "ArrowLeft") { e.preventDefault(); stepModal(-1); }
      else if (e.key === "Escape") closeModal();
      return;
    }
    if (isPaletteOpen() && e.key === "Escape") { closePalette(); return; }
    if (e.key === "`" && !typing) { e.preventDefault(); openPalette(); }
  });
}

// a module runs once the document is parsed (modules are deferred), after the modules it imports
init();
