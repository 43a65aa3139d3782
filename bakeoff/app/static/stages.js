// How the view's stages read on their chips: `clip_eval = false`, `limit 25`, `sort by filepath ↓`.
// The stage's JSON stays in the chip's tooltip and in the "edit view" box.
// Imports nothing.

const INFIX = { eq: "=", ne: "≠", lt: "<", le: "≤", gt: ">", ge: "≥", add: "+", sub: "−", mul: "×", div: "/", mod: "%" };

function literalText(value) {
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(literalText).join(", ")}]`;
  if (value === null) return "None";
  return String(value);
}

// An expression as it reads to a person; `top` leaves out the outermost parentheses.
function exprText(e, top = true) {
  if (e === null || typeof e !== "object") return literalText(e);
  if ("$field" in e) return e.$field || "sample";
  if ("$literal" in e) return literalText(e.$literal);
  const op = e.$op, a = e.args || [];
  const wrap = (text) => (top ? text : `(${text})`);
  if (op in INFIX && a.length === 2) return wrap(`${exprText(a[0], false)} ${INFIX[op]} ${exprText(a[1], false)}`);
  if (op === "and" || op === "or") {
    if (!a.length) return op === "and" ? "always" : "never";
    // comparisons bind tighter than and/or: only a nested and/or of the other kind needs parentheses
    const part = (x) => (x && (x.$op === "and" || x.$op === "or") && x.$op !== op ? `(${exprText(x)})` : exprText(x));
    return wrap(a.map(part).join(` ${op} `));
  }
  if (op === "not") return `not ${exprText(a[0], false)}`;
  if (op === "neg") return `−${exprText(a[0], false)}`;
  if (op === "abs") return `|${exprText(a[0])}|`;
  if (op === "is_in") return wrap(`${exprText(a[0], false)} in ${exprText(a[1])}`);
  if (op === "exists") return wrap(`${exprText(a[0], false)} ${a[1] && a[1].$literal === false ? "missing" : "exists"}`);
  if (op === "is_null") return wrap(`${exprText(a[0], false)} is None`);
  if (op === "contains") {
    const all = a[2] && a[2].$literal === true;
    return wrap(`${exprText(a[0], false)} contains ${all ? "all of " : ""}${exprText(a[1])}`);
  }
  if (op === "re_match") return wrap(`${exprText(a[0], false)} matches /${a[1] && a[1].$literal}/`);
  if (op === "length" || op === "strlen") return `len(${exprText(a[0])})`;
  if (op === "starts_with" || op === "ends_with" || op === "contains_str") {
    return wrap(`${exprText(a[0], false)} ${op.replace("_", " ")} ${exprText(a[1])}`);
  }
  if (op === "if_else") return wrap(`${exprText(a[1], false)} if ${exprText(a[0], false)} else ${exprText(a[2], false)}`);
  return `${exprText(a[0], false)}.${op}(${a.slice(1).map((x) => exprText(x)).join(", ")})`;
}

function stageFilterText(filter) {
  if (filter && typeof filter === "object" && "$expr" in filter) return exprText(filter.$expr);
  return exprText(filter);
}

// a sample id (24 hex digits): "more like this" searches by one
const looksLikeId = (text) => typeof text === "string" && text.length === 24 && [...text].every((c) => "0123456789abcdef".includes(c));

export function describeStage(stage) {
  const k = stage.kwargs || {};
  switch (stage._cls) {
    case "Match": return stageFilterText(k.filter);
    case "Limit": return `limit ${k.limit}`;
    case "Skip": return `skip ${k.skip}`;
    case "Take": return `random ${k.size}`;
    case "Shuffle": return "shuffled";
    case "SortBy": {
      const key = typeof k.field_or_expr === "string" ? k.field_or_expr : stageFilterText(k.field_or_expr);
      return `sort by ${key} ${k.reverse ? "↓" : "↑"}`;
    }
    case "Exists": return `${k.field} ${k.bool === false ? "missing" : "exists"}`;
    case "MatchTags": {
      const tags = Array.isArray(k.tags) ? k.tags.join(", ") : k.tags;
      return k.bool === false ? `not tagged ${tags}` : `tagged ${tags}`;
    }
    case "Select": return `${(k.sample_ids || []).length} selected samples`;
    case "Exclude": return `${(k.sample_ids || []).length} samples excluded`;
    case "SelectFields": return `only fields ${(k.field_names || []).join(", ")}`;
    case "ExcludeFields": return `without fields ${(k.field_names || []).join(", ")}`;
    case "FilterLabels": return `${k.field}: ${stageFilterText(k.filter)}`;
    case "SortBySimilarity": return `${k.k} most ${k.reverse ? "un" : ""}like ${looksLikeId(k.query) ? "a sample" : JSON.stringify(k.query)}`;
    case "SelectRegion": return `region of ${k.brain_key} (${(k.polygon || []).length} corners)`;
    default: {
      const args = Object.entries(k).map(([name, v]) => `${name}=${JSON.stringify(v)}`).join(", ");
      return `${stage._cls}(${args})`;
    }
  }
}
