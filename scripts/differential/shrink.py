"""Shrinks a case while a difference persists: fewer stages, rows, fields, values, expression nodes.

Greedy: try each smaller variant in turn, keep the first that still shows the same (core)
signature, start again from it; stop when no variant keeps it or the budget of runs is spent.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from typing import Any

Case = dict[str, Any]


def _without_field(case: Case, name: str) -> Case:
    out = copy.deepcopy(case)
    out["schema"].pop(name, None)
    for row in out["rows"]:
        row.pop(name, None)
    return out


def _smaller_exprs(node: Any) -> Iterator[Any]:
    """Expressions one step simpler than ``node``: a sub-expression in its place, or one operand fewer."""
    if not isinstance(node, list) or not node or node[0] in ("F", "lit"):
        return
    op, *args = node
    if op in ("and", "or"):
        yield from args
        if len(args) > 2:
            for i in range(len(args)):
                yield [op, *args[:i], *args[i + 1:]]
    elif op in ("any", "all"):
        yield from args[0]
        if len(args[0]) > 1:
            for i in range(len(args[0])):
                yield [op, args[0][:i] + args[0][i + 1:]]
    elif op == "not":
        yield args[0]
    elif isinstance(args[0], list) and args[0] and args[0][0] not in ("F", "lit") and op not in ("any", "all"):
        # (F("x") * 2) > 1  ->  F("x") > 1
        inner = args[0]
        if isinstance(inner[1], list):
            yield [op, inner[1], *args[1:]]
    for i, a in enumerate(args):
        if isinstance(a, list) and a and isinstance(a[0], str):
            for smaller in _smaller_exprs(a):
                yield [op, *args[:i], smaller, *args[i + 1:]]


def candidates(case: Case) -> Iterator[Case]:
    """Every one-step-smaller variant of a case, biggest cuts first."""
    # stages
    for i in range(len(case["stages"])):
        yield {**case, "stages": case["stages"][:i] + case["stages"][i + 1:]}
    # rows: halves, quarters, ..., then one at a time
    rows = case["rows"]
    size = len(rows) // 2
    while size >= 1:
        for start in range(0, len(rows), size):
            yield {**case, "rows": rows[:start] + rows[start + size:]}
        size //= 2
    # fields the view and query do not name (removing one they name changes the question: FiftyOne ignores
    # unknown fields where bakeoff refuses them, a difference of its own)
    named = json.dumps([case["stages"], case["query"]])
    for name in list(case["schema"]):
        if f'"{name}' not in named:
            yield _without_field(case, name)
    if any("tags" in r for r in rows):
        yield {**case, "rows": [{k: v for k, v in r.items() if k != "tags"} for r in rows]}
    # single values, then list elements
    for i, row in enumerate(rows):
        for k in row:
            smaller = dict(row)
            del smaller[k]
            yield {**case, "rows": rows[:i] + [smaller] + rows[i + 1:]}
    for i, row in enumerate(rows):
        for k, v in row.items():
            if isinstance(v, list) and v:
                for j in range(len(v)):
                    yield {**case, "rows": rows[:i] + [{**row, k: v[:j] + v[j + 1:]}] + rows[i + 1:]}
    # expressions in match / sort_by stages and in the query
    for i, stage in enumerate(case["stages"]):
        if stage[0] in ("match", "sort_by") and isinstance(stage[1], list):
            for smaller in _smaller_exprs(stage[1]):
                yield {**case, "stages": case["stages"][:i] + [[stage[0], smaller, *stage[2:]]] + case["stages"][i + 1:]}
    q = case["query"]
    if isinstance(q.get("field"), list):
        for smaller in [*_smaller_exprs(q["field"]), *[a for a in q["field"][1:] if isinstance(a, list)]]:
            if isinstance(smaller, list) and smaller and smaller[0] == "F":
                smaller = smaller[1]
            if smaller != q["field"] and not (isinstance(smaller, list) and smaller and smaller[0] == "lit"):
                yield {**case, "query": {**q, "field": smaller}}
    if len(q.get("quantiles", [])) > 1:
        for i in range(len(q["quantiles"])):
            yield {**case, "query": {**q, "quantiles": q["quantiles"][:i] + q["quantiles"][i + 1:]}}


def shrink(case: Case, still_differs: Callable[[Case], bool], budget: int) -> tuple[Case, int]:
    """The smallest variant found that still differs, and the runs it took."""
    runs = 0
    progress = True
    while progress and runs < budget:
        progress = False
        for smaller in candidates(case):
            if runs >= budget:
                break
            runs += 1
            if still_differs(smaller):
                case, progress = smaller, True
                break
    return case, runs
