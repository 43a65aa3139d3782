"""Compares two normalized results (see :func:`worker.normalize`) and names each difference.

A difference's *signature* says what was asked and how the answers differ, without the
data: ``mean(list_float) result: fiftyone number / bakeoff number`` or
``view[match{gt}] rows: lengths differ``. Cases with the same signature are one finding.
Numbers compare with a relative tolerance of 1e-9 (sums and means of the same values may
round differently in two databases); ``1`` and ``1.0`` are equal, ``True`` and ``1`` are not.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from generate import LABELS, STRS

REL_TOL, ABS_TOL = 1e-9, 1e-12
#: keys that are data (class names, field values): a signature says "<value>" instead
DATA_KEYS = set(LABELS) | set(STRS) | {"fish", "other", "nonexistent"}


def shape(v: Any) -> str:
    """A coarse description of a normalized value: its kind, not its content."""
    if v is None:
        return "None"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, str):
        return "str"
    if isinstance(v, list):
        return "list"
    if isinstance(v, dict):
        if "$error" in v:
            return f"raises {v['$error']}"
        if "$f" in v:
            return v["$f"]
        for tag, name in (("$dt", "datetime"), ("$date", "date"), ("$cls", "Classification"),
                          ("$clss", "Classifications"), ("$dict", "dict")):
            if tag in v:
                return name
        if "$obj" in v:
            return v["$obj"]
        return "results"
    return type(v).__name__


def describe(v: Any) -> str:
    """:func:`shape`, with an exception's own class beside the builtin it is compared by."""
    out = shape(v)
    if isinstance(v, dict) and "$error" in v:
        own = v.get("type", "").rsplit(".", 1)[-1]
        if own and own != v["$error"]:
            out += f" ({own})"
    return out


def key_name(k: Any) -> str:
    k = json.loads(k)
    # top_3_accuracy -> top_N_accuracy: one signature whatever k was
    return re.sub(r"\d+", "N", k) if isinstance(k, str) and k not in DATA_KEYS else "<value>"


def numbers_equal(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=REL_TOL, abs_tol=ABS_TOL)


def compare(fo: Any, bo: Any, path: str = "") -> list[tuple[str, str]]:
    """Every difference between FiftyOne's and bakeoff's answer: ``[(path, description), ...]``."""
    sf, sb = shape(fo), shape(bo)
    if sf != sb:
        return [(path, f"fiftyone {describe(fo)} / bakeoff {describe(bo)}")]
    if sf == "number":
        return [] if numbers_equal(fo, bo) else [(path, "different numbers")]
    if sf in ("None", "nan", "inf", "-inf") or sf.startswith("raises"):
        return []
    if sf == "list":
        if len(fo) != len(bo):
            return [(path, "lengths differ")]
        return dedupe([d for a, b in zip(fo, bo) for d in compare(a, b, path + "[]")])
    if sf == "dict":
        return compare_maps(dict_items(fo), dict_items(bo), path, keyed=True)
    if sf == "results":
        return compare_maps(list(fo.items()), list(bo.items()), path, keyed=False)
    if sf in ("Classification", "Classifications"):
        tag = "$cls" if sf == "Classification" else "$clss"
        return compare(as_plain(fo[tag]), as_plain(bo[tag]), f"{path}.{sf}")
    return [] if fo == bo else [(path, f"different {sf}s")]


def as_plain(v: Any) -> Any:
    """A label's fields as a results dict (compared key by key)."""
    if isinstance(v, list):
        return [as_plain(x) for x in v]
    return {"$dict": sorted([[k, x] for k, x in v.items()])}


def dict_items(v: dict) -> list[tuple[Any, Any]]:
    """Keys as JSON text, so that True and 1 stay apart while 1 and 1.0 (representation) meet."""
    def key(k: Any) -> str:
        return json.dumps(float(k) if isinstance(k, (int, float)) and not isinstance(k, bool) else k, sort_keys=True)

    return [(key(k), x) for k, x in v["$dict"]]


def compare_maps(fo: list, bo: list, path: str, keyed: bool) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    mf, mb = dict(fo), dict(bo)
    for k in mf:
        if k in mb:
            sub = f"{path}[{key_name(k)}]" if keyed else (f"{path}.{k}" if path else k)
            out += compare(mf[k], mb[k], sub)
    # keys one side lacks come last: bakeoff's extra metrics are a deliberate extension, not the first thing to fix
    missing = [k for k in mf if k not in mb]
    extra = [k for k in mb if k not in mf]
    if missing:
        out.append((path, "bakeoff lacks keys " + ",".join(sorted({key_name(k) for k in missing}))))
    if extra:
        out.append((path, "bakeoff has extra keys " + ",".join(sorted({key_name(k) for k in extra}))))
    return dedupe(out)


def dedupe(items: list[tuple[str, str]]) -> list[tuple[str, str]]:
    seen, out = set(), []
    for item in items:
        if item not in seen:
            seen.add(item)
            out.append(item)
    return out


# what a case asks, for signatures -----------------------------------------------------------------
def path_kind(schema: dict[str, str], path: str) -> str:
    head, _, rest = path.partition(".")
    kind = schema.get(head, "?")
    if rest:
        return f"{kind}.{rest.replace('classifications.', '')}" if kind in ("cls", "clss") else f"{kind}.{rest}"
    return kind


def expr_summary(node: Any, schema: dict[str, str]) -> tuple[set[str], set[str]]:
    """The ops of an expression and the kinds of the fields it reads."""
    ops: set[str] = set()
    kinds: set[str] = set()

    def walk(n: Any) -> None:
        if not isinstance(n, list) or not n or not isinstance(n[0], str):
            return
        op = n[0]
        if op == "F":
            kinds.add(path_kind(schema, n[1]))
            return
        if op == "lit":
            return
        ops.add(op)
        for a in n[1:]:
            if isinstance(a, list) and a and isinstance(a[0], list):
                for x in a:
                    walk(x)
            else:
                walk(a)

    walk(node)
    return ops, kinds


def target(schema: dict[str, str], field: Any) -> str:
    if field is None:
        return ""
    if isinstance(field, str):
        return path_kind(schema, field)
    ops, kinds = expr_summary(field, schema)
    return f"expr{{{','.join(sorted(ops))}}}:{','.join(sorted(kinds))}"


def stage_summary(case: dict[str, Any]) -> str:
    parts = []
    for name, *args in case["stages"]:
        if name == "match":
            ops, kinds = expr_summary(args[0], case["schema"])
            parts.append(f"match{{{','.join(sorted(ops)) or 'truthy'}}}:{','.join(sorted(kinds))}")
        elif name == "sort_by":
            parts.append(f"sort_by({target(case['schema'], args[0])})")
        elif name in ("exists", "filter_labels"):
            parts.append(f"{name}({path_kind(case['schema'], args[0])})")
        else:
            parts.append(name)
    return ",".join(parts)


def query_label(case: dict[str, Any], with_stages: bool = True) -> str:
    q = case["query"]
    if q["kind"] == "aggregation":
        label = f"{q['name']}({target(case['schema'], q['field'])})"
    elif q["kind"] == "evaluation":
        flags = [q["method"]] + (["classes"] if "classes" in q else [])
        label = f"evaluate({','.join(flags)})"
    else:
        label = "view"
    if with_stages and case["stages"] and q["kind"] != "evaluation":
        label += f" on [{stage_summary(case)}]"
    return label


def result_path(case: dict[str, Any], path: str) -> str:
    """Field names in view results become their kinds (``float0`` -> ``values(float)``)."""
    if case["query"]["kind"] == "view":
        head, dot, rest = path.partition("[")
        if head in case["schema"]:
            return f"values({case['schema'][head]})" + dot + rest
    return path


FAILURES = ("setup", "view", "evaluate")


def outcome(result: dict, detail: bool = False) -> str:
    """'ok', or which step raised what: 'setup raises ValueError' (adding the samples failed)."""
    for step in FAILURES:
        if step in result:
            return f"{step} {(describe if detail else shape)(result[step])}"
    return "ok"


def raised_later(failed: dict, other: dict) -> bool:
    """One side refused the view (or the evaluation), the other raised the same builtin from every later call.

    ``dataset.match(F("nope") > 1).mean("x")`` raising ValueError from match() or from mean() is the same
    to a caller; which call raises is not compared.
    """
    step = next((s for s in ("view", "evaluate") if s in failed), None)
    if step is None or "setup" in other:
        return False
    error = failed[step]["$error"]
    if step == "view" and "evaluate" in other:
        return other["evaluate"]["$error"] == error
    answers = [v for k, v in other.items() if k not in FAILURES]
    return bool(answers) and all(isinstance(v, dict) and v.get("$error") == error for v in answers)


def differences(case: dict[str, Any], fo: dict, bo: dict) -> list[str]:
    """The core signatures (what was asked, without the view) of each difference in a case."""
    label = query_label(case, with_stages=False)
    if outcome(fo) != outcome(bo) or outcome(fo) != "ok":
        if outcome(fo) == outcome(bo) or raised_later(fo, bo) or raised_later(bo, fo):
            return []
        both = f"fiftyone {outcome(fo, True)} / bakeoff {outcome(bo, True)}"
        if "setup" in fo or "setup" in bo:
            # adding the samples failed on one side: a matter of the data, whatever the query
            return [f"setup: {both}"]
        return [f"{label}: {both}"]
    return [f"{label} {result_path(case, p) or 'result'}: {d}" for p, d in compare(fo, bo)]


def full_signature(case: dict[str, Any], core: str) -> str:
    """A core signature with the view's stages, once shrinking has left only the ones that matter."""
    if core.startswith("setup:"):
        return f"setup[{','.join(sorted(set(case['schema'].values())))}]" + core[len("setup"):]
    label = query_label(case, with_stages=False)
    return query_label(case) + core[len(label):] if core.startswith(label) else core
