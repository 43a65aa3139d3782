// How a label reads on a tile's chip and in the sample's side panel: `cat 0.93`, `—` when missing.
// Imports nothing.

export function chipText(value) {
  return value ? `${value.label}${value.confidence !== null ? " " + value.confidence.toFixed(2) : ""}` : "—";
}
