"""Runs differential cases on one system: ``python worker.py fiftyone|bakeoff``.

The same file runs under FiftyOne's interpreter and under bakeoff's. It reads one JSON
line per case on stdin (``{"id": ..., "case": {...}}``, see :mod:`generate`) and writes one
JSON line per result on the stdout it was started with; everything the library prints
goes to stderr. A result is normalized only in representation (see :func:`normalize`):
tuples become lists, numbers become JSON numbers or ``{"$f": "nan"}``, labels become their
fields without ids, an exception becomes the builtin class it subclasses.

Shims for names bakeoff spells differently: none so far; each would be listed in SHIMS.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import sys
import traceback
from typing import Any

#: where bakeoff's API differs in name only, what the worker does instead (reported in the harness's output)
SHIMS: list[str] = []
CACHE_SIZE = 6


def builtin_name(exc: BaseException) -> str:
    """The first builtin class in the exception's MRO (bakeoff's errors subclass FiftyOne's builtin)."""
    for cls in type(exc).__mro__:
        if cls.__module__ == "builtins":
            return cls.__name__
    return "Exception"


def error(exc: BaseException) -> dict[str, Any]:
    return {"$error": builtin_name(exc), "type": f"{type(exc).__module__}.{type(exc).__qualname__}",
            "message": str(exc)[:300]}


def normalize(value: Any) -> Any:
    """A JSON form of a result that keeps every difference except representation."""
    import numpy as np

    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        if math.isnan(value):
            return {"$f": "nan"}
        if math.isinf(value):
            return {"$f": "inf" if value > 0 else "-inf"}
        return value
    if isinstance(value, dt.datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, dt.date):
        return {"$date": value.isoformat()}
    if isinstance(value, np.ndarray):
        return [normalize(v) for v in value.tolist()]
    if isinstance(value, (list, tuple)):
        return [normalize(v) for v in value]
    if isinstance(value, dict):
        # FiftyOne leaves the order of count_values(), metrics() and report() unspecified
        items = [[normalize(k), normalize(v)] for k, v in value.items()]
        return {"$dict": sorted(items, key=lambda kv: json.dumps(kv[0], sort_keys=True))}
    name = type(value).__name__
    if name == "Classification":
        out = {"label": value.label, "confidence": normalize(value.confidence)}
        logits = getattr(value, "logits", None)
        if logits is not None:
            out["logits"] = normalize(np.asarray(logits, dtype=float))
        return {"$cls": out}
    if name == "Classifications":
        return {"$clss": [normalize(c)["$cls"] for c in (value.classifications or [])]}
    return {"$obj": name, "repr": repr(value)[:200]}


class Runner:
    def __init__(self, system: str) -> None:
        self.system = system
        if system == "fiftyone":
            import fiftyone as fo
            from fiftyone import ViewField as F
        else:
            import bakeoff as fo
            from bakeoff import ViewField as F
        self.fo, self.F = fo, F
        self.cache: dict[str, Any] = {}

    # inputs -------------------------------------------------------------------------------------
    def value(self, v: Any) -> Any:
        import numpy as np

        fo = self.fo
        if isinstance(v, list):
            return [self.value(x) for x in v]
        if not isinstance(v, dict):
            return v
        if "$f" in v:
            return float(v["$f"])
        if "$date" in v:
            return dt.date.fromisoformat(v["$date"])
        if "$dt" in v:
            when = dt.datetime.fromisoformat(v["$dt"])
            if v.get("tz"):
                from zoneinfo import ZoneInfo

                when = when.replace(tzinfo=ZoneInfo(v["tz"]))
            return when
        if "$cls" in v:
            c = dict(v["$cls"])
            if "logits" in c:
                c["logits"] = np.asarray(c["logits"], dtype=float)
            return fo.Classification(**c)
        if "$clss" in v:
            return fo.Classifications(classifications=[self.value({"$cls": c}) for c in v["$clss"]])
        raise ValueError(f"unknown tagged value {v!r}")

    def expr(self, node: Any) -> Any:
        F = self.F
        op, *args = node
        if op == "F":
            return F(args[0])
        if op == "lit":
            return self.value(args[0])
        e = self.expr
        binary = {"eq": "__eq__", "ne": "__ne__", "lt": "__lt__", "le": "__le__", "gt": "__gt__", "ge": "__ge__",
                  "add": "__add__", "sub": "__sub__", "mul": "__mul__", "div": "__truediv__", "mod": "__mod__"}
        if op in binary:
            left, right = e(args[0]), args[1]
            return getattr(left, binary[op])(e(right) if right[0] != "lit" else self.value(right[1]))
        if op == "and":
            out = e(args[0])
            for a in args[1:]:
                out = out & e(a)
            return out
        if op == "or":
            out = e(args[0])
            for a in args[1:]:
                out = out | e(a)
            return out
        if op == "not":
            return ~e(args[0])
        if op in ("any", "all"):
            return getattr(F(), op)([e(a) for a in args[0]])
        if op in ("abs", "length", "lower", "upper", "strlen", "is_null"):
            return getattr(e(args[0]), op)()
        if op == "round":
            return e(args[0]).round(args[1])
        if op == "is_in":
            return e(args[0]).is_in([self.value(v) for v in args[1]])
        if op == "exists":
            return e(args[0]).exists(args[1])
        if op == "contains":
            return e(args[0]).contains([self.value(v) for v in args[1]], all=args[2])
        if op in ("starts_with", "ends_with", "contains_str", "re_match"):
            return getattr(e(args[0]), op)(args[1])
        if op == "if_else":
            return e(args[0]).if_else(e(args[1]), e(args[2]))
        raise ValueError(f"unknown op {op!r}")

    def field_or_expr(self, field: Any) -> Any:
        return field if field is None or isinstance(field, str) else self.expr(field)

    # datasets -----------------------------------------------------------------------------------
    def dataset(self, case: dict[str, Any], fresh: bool) -> Any:
        key = json.dumps([case["schema"], case["rows"]], sort_keys=True)
        if not fresh and key in self.cache:
            return self.cache[key]
        fo = self.fo
        samples = []
        for i, row in enumerate(case["rows"]):
            fields = {name: self.value(v) for name, v in row.items() if name != "tags"}
            samples.append(fo.Sample(filepath=f"/tmp/differential/{i}.jpg", tags=row.get("tags", []), **fields))
        ds = fo.Dataset()
        try:
            ds.add_samples(samples)
        except BaseException:
            ds.delete()
            raise
        if not fresh:
            self.cache[key] = ds
            while len(self.cache) > CACHE_SIZE:
                self.cache.pop(next(iter(self.cache))).delete()
        return ds

    def view(self, ds: Any, stages: list) -> Any:
        view = ds.view()
        for name, *args in stages:
            if name == "match":
                view = view.match(self.expr(args[0]))
            elif name == "exists":
                view = view.exists(args[0], args[1])
            elif name == "sort_by":
                view = view.sort_by(self.field_or_expr(args[0]), reverse=args[1])
            elif name in ("limit", "skip", "select_fields", "exclude_fields"):
                view = getattr(view, name)(args[0])
            elif name == "match_tags":
                view = view.match_tags(args[0], bool=args[1])
            elif name == "filter_labels":
                view = view.filter_labels(args[0], self.expr(args[1]), only_matches=args[2])
            else:
                raise ValueError(f"unknown stage {name!r}")
        return view

    def unsupported(self, case: dict[str, Any]) -> list[str]:
        """Features the case needs that this system lacks (bakeoff, while they are being built)."""
        missing = []
        if "clss" in case["schema"].values() and not hasattr(self.fo, "Classifications"):
            missing.append("Classifications")
        if any(s[0] == "filter_labels" for s in case["stages"]) and not hasattr(self.fo.Dataset, "filter_labels"):
            missing.append("filter_labels")
        return missing

    # queries ------------------------------------------------------------------------------------
    def run(self, case: dict[str, Any]) -> dict[str, Any]:
        missing = self.unsupported(case)
        if missing:
            return {"unsupported": missing}
        query = case["query"]
        evaluation = query["kind"] == "evaluation"
        try:
            ds = self.dataset(case, fresh=evaluation)
        except Exception as exc:  # noqa: BLE001 -- a refusal is a result to compare
            return {"setup": error(exc)}
        try:
            try:
                view = self.view(ds, case["stages"])
            except Exception as exc:  # noqa: BLE001
                return {"view": error(exc)}
            if evaluation:
                return self.evaluate(ds, view, query)
            if query["kind"] == "view":
                return self.view_result(view, case["schema"])
            return {"result": self.call(lambda: self.aggregate(view, query))}
        finally:
            if evaluation:
                ds.delete()

    @staticmethod
    def call(fn) -> Any:
        try:
            return normalize(fn())
        except Exception as exc:  # noqa: BLE001
            return error(exc)

    def aggregate(self, view: Any, q: dict[str, Any]) -> Any:
        field = self.field_or_expr(q["field"])
        name = q["name"]
        if name == "count":
            return view.count(field) if field is not None else view.count()
        if name == "std":
            return view.std(field, sample=q["sample"])
        if name == "quantiles":
            return view.quantiles(field, q["quantiles"])
        if name == "histogram_values":
            return view.histogram_values(field, bins=q["bins"])
        return getattr(view, name)(field)

    def view_result(self, view: Any, schema: dict[str, str]) -> dict[str, Any]:
        def rows():
            return [int(p.rsplit("/", 1)[1].split(".")[0]) for p in view.values("filepath")]

        out = {"rows": self.call(rows), "count": self.call(view.count)}
        for name in schema:
            out[name] = self.call(lambda name=name: view.values(name))
        return out

    def evaluate(self, ds: Any, view: Any, q: dict[str, Any]) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"gt_field": "ground_truth", "eval_key": "eval", "method": q["method"]}
        if "classes" in q:
            kwargs["classes"] = q["classes"]
        if "k" in q:
            kwargs["k"] = q["k"]
        try:
            results = view.evaluate_classifications("predictions", **kwargs)
        except Exception as exc:  # noqa: BLE001
            return {"evaluate": error(exc)}
        # per-sample results first: the harness names a case after its first difference
        return {
            "eval_values": self.call(lambda: ds.values("eval")),
            "eval_counts": self.call(lambda: view.count_values("eval")),
            "confusion_matrix": self.call(results.confusion_matrix),
            "metrics": self.call(results.metrics),
            "report": self.call(results.report),
        }


def main() -> None:
    system = sys.argv[1]
    # the protocol gets the real stdout; anything the library prints (progress, logs) goes to stderr
    protocol = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    runner = Runner(system)
    features = {"Classifications": hasattr(runner.fo, "Classifications"),
                "filter_labels": hasattr(runner.fo.Dataset, "filter_labels")}
    protocol.write(json.dumps({"ready": system, "shims": SHIMS, "features": features}) + "\n")
    for line in sys.stdin:
        message = json.loads(line)
        try:
            result = runner.run(message["case"])
        except Exception as exc:  # noqa: BLE001 -- the worker itself failed: say so, keep serving
            result = {"crash": error(exc), "traceback": traceback.format_exc()[-2000:]}
        protocol.write(json.dumps({"id": message["id"], "result": result}) + "\n")


if __name__ == "__main__":
    main()
