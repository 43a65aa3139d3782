// The grid of the view's samples, a page at a time: thumbnails with a chip per ticked label field
// (✓/✗ from an evaluation), and the pager above it. A click opens the sample (modal.js).
import { mediaURL } from "./api.js";
import { $, el } from "./dom.js";
import { chipText } from "./labels.js";
import { openModal } from "./modal.js";
import { PAGE, S } from "./state.js";
import { goPage } from "./view.js";

// a Classifications field: one chip per label (the first MAX_CHIPS, then "+n")
const MAX_CHIPS = 4;

function renderPager() {
  const first = S.count ? S.offset + 1 : 0, last = Math.min(S.offset + PAGE, S.count);
  $("pager").replaceChildren(
    el("button", { onclick: () => goPage(-1), disabled: S.offset === 0, "data-testid": "page-prev", text: "‹ prev" }),
    el("span", { text: `${first.toLocaleString()}–${last.toLocaleString()} of ${S.count.toLocaleString()}` }),
    el("button", { onclick: () => goPage(1), disabled: last >= S.count, "data-testid": "page-next", text: "next ›" }));
}

function evalMark(sample, field) {
  for (const [key, ev] of Object.entries(S.info.evaluations)) {
    if (ev.pred_field === field && key in sample.booleans && sample.booleans[key] !== null) {
      if (ev.stale && ev.stale.length) {  // the stored right/wrong no longer describes the labels shown
        return el("span", { class: "mark-stale", "data-testid": "mark-stale", title: `${key} is stale: ${ev.stale.join("; ")}; evaluate again`, text: "?" });
      }
      return sample.booleans[key] ? el("span", { class: "mark-right", title: key, text: "✓" })
        : el("span", { class: "mark-wrong", title: key, text: "✗" });
    }
  }
  return null;
}

/** the tiles of S.page with the label fields in S.shown */
export function renderGrid() {
  const ds = encodeURIComponent(S.view.dataset);
  const tiles = S.page.map((sample, i) => {
    const img = el("img", { loading: "lazy", alt: sample.name, src: mediaURL(`/thumbnails/${ds}/${sample.id}`) });
    img.onerror = () => img.replaceWith(el("div", { class: "broken", text: `cannot show ${sample.name}` }));
    const chips = S.shown.filter((f) => f in sample.labels).flatMap((f) => {
      const value = sample.labels[f];
      if (Array.isArray(value)) return multiChips(f, value);
      return [el("div", { class: "chip", style: `border-color:${S.colors[f]}`, title: f },
        el("span", { text: chipText(value) }), evalMark(sample, f))];
    });
    return el("div", { class: "tile", "data-testid": "tile", "data-id": sample.id, title: sample.filepath,
      onclick: () => openModal(i) }, img, el("div", { class: "labels" }, ...chips));
  });
  $("grid").replaceChildren(...tiles);
}

function multiChips(field, values) {
  const chips = values.slice(0, MAX_CHIPS).map((v) => el("div", { class: "chip", style: `border-color:${S.colors[field]}`,
    title: field, "data-testid": `chip-${field}` }, el("span", { text: chipText(v) })));
  if (values.length > MAX_CHIPS) chips.push(el("div", { class: "chip more", title: values.slice(MAX_CHIPS).map(chipText).join(", "),
    text: `+${values.length - MAX_CHIPS}` }));
  return chips;
}

/** the grid and its pager redraw with each page of samples */
export const grid = {
  pageLoaded() { renderPager(); renderGrid(); },
};
