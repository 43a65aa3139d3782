// What the page shows, shared by the modules that draw it: the dataset list, the dataset's fields (`info`),
// the view (dataset, stages, sidebar filters), the page of samples and the sidebar's counts.
// Only view.js replaces the view and loads pages; the panels read S and change only their own parts
// (the ticked label fields). A module's private state (the open sample, the zoo, watched jobs) stays in it.
// Imports nothing.

/** samples per page of the grid */
export const PAGE = 60;

export function emptyFilters() { return { labels: {}, confidence: {}, booleans: {}, tags: [] }; }

export const S = {
  datasets: [], info: null, counts: null,
  view: { dataset: null, stages: [], filters: emptyFilters() },
  offset: 0, count: 0, page: [],
  shown: [], shownBy: {},  // label fields ticked "show on tiles": now, and per dataset
  colors: {},  // label field -> its color on tiles, chips and the compare table
  sessionVersion: -1,  // the newest version of the Python session this page knows
};

/** fields with one label per sample (Classification), then those with several (Classifications) */
export function allLabelFields() {
  return [...S.info.label_fields, ...(S.info.multilabel_fields || [])];
}

/** a label field's color, grey for one the dataset did not list */
export function colorOf(field) { return S.colors[field] || "#999"; }
