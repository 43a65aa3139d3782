"""A case as the Python a person would type: the reproduction printed with each difference."""

from __future__ import annotations

from typing import Any

_INFIX = {"eq": "==", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">=", "add": "+", "sub": "-", "mul": "*",
          "div": "/", "mod": "%"}


def value(v: Any) -> str:
    if isinstance(v, list):
        return "[" + ", ".join(value(x) for x in v) + "]"
    if not isinstance(v, dict):
        return repr(v)
    if "$f" in v:
        return f'float("{v["$f"]}")'
    if "$date" in v:
        return f'date.fromisoformat("{v["$date"]}")'
    if "$dt" in v:
        tz = f'.replace(tzinfo=ZoneInfo("{v["tz"]}"))' if v.get("tz") else ""
        return f'datetime.fromisoformat("{v["$dt"]}"){tz}'
    if "$cls" in v:
        return "fo.Classification(" + ", ".join(f"{k}={value(x)}" for k, x in v["$cls"].items()) + ")"
    if "$clss" in v:
        return "fo.Classifications(classifications=[" + ", ".join(value({"$cls": c}) for c in v["$clss"]) + "])"
    return repr(v)


def expr(node: Any) -> str:
    op, *args = node
    if op == "F":
        return f'F("{args[0]}")'
    if op == "lit":
        return value(args[0])
    if op in _INFIX:
        return f"({expr(args[0])} {_INFIX[op]} {expr(args[1])})"
    if op in ("and", "or"):
        return "(" + f" {'&' if op == 'and' else '|'} ".join(expr(a) for a in args) + ")"
    if op == "not":
        return f"~{expr(args[0])}"
    if op in ("any", "all"):
        return f"F().{op}([" + ", ".join(expr(a) for a in args[0]) + "])"
    if op in ("abs", "length", "lower", "upper", "strlen", "is_null"):
        return f"{expr(args[0])}.{op}()"
    if op in ("is_in", "round", "exists", "starts_with", "ends_with", "contains_str", "re_match"):
        return f"{expr(args[0])}.{op}({value(args[1])})"
    if op == "contains":
        return f"{expr(args[0])}.contains({value(args[1])}, all={args[2]})"
    if op == "if_else":
        return f"{expr(args[0])}.if_else({expr(args[1])}, {expr(args[2])})"
    return repr(node)


def field(f: Any) -> str:
    return "" if f is None else repr(f) if isinstance(f, str) else expr(f)


def stage(s: list) -> str:
    name, *args = s
    if name == "match":
        return f".match({expr(args[0])})"
    if name == "exists":
        return f".exists({args[0]!r}, {args[1]})"
    if name == "sort_by":
        return f".sort_by({field(args[0])}, reverse={args[1]})"
    if name == "match_tags":
        return f".match_tags({args[0]!r}, bool={args[1]})"
    if name == "filter_labels":
        return f".filter_labels({args[0]!r}, {expr(args[1])}, only_matches={args[2]})"
    return f".{name}({args[0]!r})"


def python(case: dict[str, Any]) -> str:
    """Code that runs the case under ``import fiftyone as fo`` (or ``import bakeoff as fo``)."""
    lines = ["dataset = fo.Dataset()", "dataset.add_samples(["]
    for i, row in enumerate(case["rows"]):
        args = [f'filepath="/tmp/differential/{i}.jpg"'] + [f"{k}={value(v)}" for k, v in row.items()]
        lines.append(f"    fo.Sample({', '.join(args)}),")
    lines.append("])")
    view = "dataset" + "".join(stage(s) for s in case["stages"])
    q = case["query"]
    if q["kind"] == "aggregation":
        extra = {"std": f", sample={q.get('sample')}", "quantiles": f", {q.get('quantiles')}",
                 "histogram_values": f", bins={q.get('bins')}"}.get(q["name"], "")
        lines.append(f"{view}.{q['name']}({field(q['field'])}{extra})")
    elif q["kind"] == "view":
        lines.append(f"view = {view}")
        lines.append("view.values('filepath'), " + ", ".join(f"view.values({n!r})" for n in case["schema"]))
    else:
        kwargs = "".join(f", {k}={q[k]!r}" for k in ("classes", "k") if k in q)
        lines.append(f"results = {view}.evaluate_classifications('predictions', gt_field='ground_truth', "
                     f"eval_key='eval', method={q['method']!r}{kwargs})")
        lines.append("results.metrics(), results.report(), results.confusion_matrix(), dataset.values('eval')")
    return "\n".join(lines)
