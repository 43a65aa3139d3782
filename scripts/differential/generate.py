"""Random cases for the differential harness: a dataset, a view, and one query, as plain JSON.

A case is::

    {"schema": {"float0": "float", ...},             # field name -> kind (KINDS)
     "rows": [{"float0": 1.5, "list_int1": [1, 2]}, {}, ...],   # a missing key is a missing field
     "stages": [["match", EXPR], ["limit", 2], ...],  # the view, FiftyOne's stage names and arguments
     "query": {"kind": "aggregation", "name": "mean", "field": "float0"}}

Values that JSON cannot hold are tagged: ``{"$f": "nan"}``, ``{"$date": "2020-01-02"}``,
``{"$dt": "2020-01-02T03:04:05.678000", "tz": "US/Eastern"}``, ``{"$cls": {...}}``,
``{"$clss": [...]}``. An expression is a list: ``["F", "float0"]``, ``["lit", 1.5]`` or
``[op, arg, ...]`` (see :mod:`worker` for the ops). Case ``i`` of seed ``s`` depends only
on ``(s, i)``, so ``--cases 10`` is a prefix of ``--cases 1000``.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from typing import Any

KINDS = ("int", "float", "bool", "str", "date", "datetime", "list_int", "list_float", "list_str", "cls", "clss")
NUMERIC = ("int", "float")
LABELS = ("cat", "dog", "bird")
MODES = ("aggregations", "views", "evaluation")

INTS = [-3, -1, 0, 1, 2, 3, 7, 10, 2**31, 2**53 + 1, -(2**53) - 1, 2**62]
FLOATS = [0.0, -0.0, 0.5, 1.5, -2.25, 3.0, 1e9, 1e9 + 1, 1e9 + 2, 1e-300, 5e-324, 1e300, 1.7e308, -1e300,
          math.nan, math.inf, -math.inf, 0.1, 0.2]
STRS = ["cat", "dog", "Bird", "", "café", "a b", "ZZ", "cat2", "Cat"]
TIMEZONES = [None, None, "UTC", "US/Eastern", "Asia/Kolkata"]


def encode_float(x: float) -> Any:
    if math.isnan(x):
        return {"$f": "nan"}
    if math.isinf(x):
        return {"$f": "inf" if x > 0 else "-inf"}
    return x


class Generator:
    """Draws one case from a ``random.Random``; every choice goes through ``self.rng``."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    # values -------------------------------------------------------------------------------------
    def scalar(self, kind: str) -> Any:
        rng = self.rng
        if kind == "int":
            return rng.choice(INTS) if rng.random() < 0.25 else rng.randint(-3, 10)
        if kind == "float":
            return encode_float(rng.choice(FLOATS) if rng.random() < 0.55 else round(rng.uniform(-5, 5), 3))
        if kind == "bool":
            return rng.random() < 0.5
        if kind == "str":
            return rng.choice(STRS)
        if kind == "date":
            return {"$date": (dt.date(2020, 1, 1) + dt.timedelta(days=rng.randint(-400, 400))).isoformat()}
        if kind == "datetime":
            when = dt.datetime(2020, 1, 1) + dt.timedelta(hours=rng.randint(-3000, 3000))
            if rng.random() < 0.2:
                when = dt.datetime(1970, 1, 1) + dt.timedelta(hours=rng.randint(-30, 30))
            if rng.random() < 0.3:
                when = when.replace(microsecond=rng.choice([1000, 123456, 999999]))
            return {"$dt": when.isoformat(), "tz": rng.choice(TIMEZONES)}
        if kind == "cls":
            return {"$cls": self.classification()}
        if kind == "clss":
            return {"$clss": [self.classification() for _ in range(rng.randint(0, 3))]}
        if kind.startswith("list_"):
            inner = kind[5:]
            # rarely None inside a list: FiftyOne refuses such lists, which would otherwise fill the report
            return [None if rng.random() < 0.02 else self.scalar(inner) for _ in range(rng.randint(0, 3))]
        raise ValueError(kind)

    def classification(self, logits: int = 0) -> dict[str, Any]:
        rng = self.rng
        out: dict[str, Any] = {"label": rng.choice(LABELS + ("fish",)) if rng.random() < 0.1 else rng.choice(LABELS)}
        if rng.random() < 0.85:
            out["confidence"] = round(rng.random(), 3)
        if logits:
            out["logits"] = [round(rng.uniform(-3, 3), 2) for _ in range(logits)]
        return out

    def rows(self, schema: dict[str, str], n: int) -> list[dict[str, Any]]:
        rows = []
        for _ in range(n):
            row: dict[str, Any] = {}
            for name, kind in schema.items():
                u = self.rng.random()
                if u < 0.12:
                    continue                      # missing
                row[name] = None if u < 0.2 else self.scalar(kind)
            if self.rng.random() < 0.3:
                row["tags"] = self.rng.sample(["a", "b", "c"], self.rng.randint(0, 2))
            rows.append(row)
        return rows

    def schema(self) -> dict[str, str]:
        kinds = self.rng.sample(KINDS, self.rng.randint(2, 4))
        return {f"{kind}{j}": kind for j, kind in enumerate(kinds)}

    # expressions --------------------------------------------------------------------------------
    def literal(self, kind: str) -> Any:
        if kind in ("list_int", "list_float", "list_str"):
            kind = kind[5:]
        if kind == "datetime":
            when = dt.datetime(2020, 1, 1) + dt.timedelta(hours=self.rng.randint(-3000, 3000))
            return {"$dt": when.isoformat(), "tz": None}
        value = self.scalar(kind)
        return value

    def paths(self, schema: dict[str, str]) -> list[tuple[str, str]]:
        """(path, kind) of everything an expression can read: fields and label subfields."""
        out = []
        for name, kind in schema.items():
            if kind == "cls":
                out += [(f"{name}.label", "str"), (f"{name}.confidence", "float")]
            elif kind == "clss":
                out += [(f"{name}.classifications.label", "list_str"),
                        (f"{name}.classifications.confidence", "list_float"), (f"{name}.classifications", "list_obj")]
            else:
                out.append((name, kind))
        return out

    def predicate(self, schema: dict[str, str], depth: int = 0) -> list:
        rng = self.rng
        if depth < 2 and rng.random() < 0.3:
            op = rng.choice(["and", "or", "not", "any", "all"])
            if op == "not":
                return ["not", self.predicate(schema, depth + 1)]
            parts = [self.predicate(schema, depth + 1) for _ in range(rng.randint(2, 3))]
            return [op, *parts] if op in ("and", "or") else [op, parts]
        path, kind = rng.choice(self.paths(schema))
        f = ["F", path]
        u = rng.random()
        if u < 0.1:
            return f                                               # truthiness
        if u < 0.2:
            return ["exists", f, rng.random() < 0.7]
        if u < 0.28:
            return [rng.choice(["eq", "ne"]), f, ["lit", None]]
        if kind in NUMERIC:
            left = f
            if rng.random() < 0.35:
                left = [rng.choice(["add", "sub", "mul", "div", "mod"]), f, ["lit", rng.choice([2, 0.5, -1, 3, 0])]]
            elif rng.random() < 0.15:
                left = rng.choice([["abs", f], ["round", f, rng.choice([0, 1])]])
            if rng.random() < 0.15:
                return ["is_in", left, [self.scalar(kind) for _ in range(2)]]
            return [rng.choice(["eq", "ne", "lt", "le", "gt", "ge"]), left, ["lit", self.scalar(kind)]]
        if kind == "str":
            # not "": FiftyOne's ends_with("") / starts_with("") fail in MongoDB ("'$' by itself is not a valid
            # FieldPath"), a FiftyOne bug that would fill the report
            v = rng.choice(["c", "a", "Ca", "t", "é"])
            return rng.choice([
                ["eq", f, ["lit", rng.choice(STRS)]], ["gt", f, ["lit", rng.choice(STRS)]],
                ["starts_with", f, v], ["ends_with", f, v], ["contains_str", f, v],
                ["eq", ["lower", f], ["lit", "cat"]], ["gt", ["strlen", f], ["lit", 2]],
                ["re_match", f, rng.choice(["^c", "a.?t", "^$", "[A-Z]"])], ["is_in", f, rng.sample(STRS, 2)],
            ])
        if kind.startswith("list_"):
            if kind == "list_obj" or rng.random() < 0.4:
                return [rng.choice(["gt", "eq", "ge"]), ["length", f], ["lit", rng.randint(0, 2)]]
            inner = kind[5:]
            return ["contains", f, [self.scalar(inner) for _ in range(rng.randint(1, 2))], rng.random() < 0.3]
        if kind == "bool":
            return [rng.choice(["eq", "ne"]), f, ["lit", rng.random() < 0.5]]
        if kind == "datetime":
            return [rng.choice(["lt", "gt", "eq"]), f, ["lit", self.literal("datetime")]]
        return ["exists", f, True]                                 # dates, labels

    def number_expr(self, schema: dict[str, str]) -> list | None:
        numeric = [(p, k) for p, k in self.paths(schema) if k in NUMERIC or k in ("list_int", "list_float")]
        if not numeric:
            return None
        path, kind = self.rng.choice(numeric)
        if kind.startswith("list_"):
            return ["length", ["F", path]]
        return [self.rng.choice(["mul", "add", "sub"]), ["F", path], ["lit", self.rng.choice([2, -1, 0.5, 10])]]

    # stages -------------------------------------------------------------------------------------
    def stage(self, schema: dict[str, str]) -> list:
        rng = self.rng
        names = list(schema)
        u = rng.random()
        if u < 0.35:
            return ["match", self.predicate(schema)]
        if u < 0.45:
            return ["exists", rng.choice(names), rng.random() < 0.7]
        if u < 0.6:
            sortable = [p for p, k in self.paths(schema) if not k.startswith("list_") and k not in ("cls", "clss")]
            if not sortable:
                return ["limit", rng.randint(0, 5)]
            key: Any = rng.choice(sortable)
            if rng.random() < 0.2 and self.number_expr(schema):
                key = self.number_expr(schema)
            return ["sort_by", key, rng.random() < 0.4]
        if u < 0.7:
            return [rng.choice(["limit", "skip"]), rng.randint(0, 6)]
        if u < 0.78:
            return ["select_fields", rng.sample(names, rng.randint(0, len(names)))]
        if u < 0.84:
            return ["exclude_fields", rng.sample(names, 1)]
        if u < 0.9:
            return ["match_tags", rng.sample(["a", "b", "c"], rng.randint(1, 2)), rng.random() < 0.8]
        labels = [n for n, k in schema.items() if k in ("cls", "clss")]
        if labels:
            cond = rng.choice([["eq", ["F", "label"], ["lit", rng.choice(LABELS)]],
                               ["gt", ["F", "confidence"], ["lit", round(rng.random(), 2)]],
                               ["is_in", ["F", "label"], rng.sample(LABELS, 2)]])
            return ["filter_labels", rng.choice(labels), cond, rng.random() < 0.6]
        return ["match", self.predicate(schema)]

    # queries ------------------------------------------------------------------------------------
    def aggregation(self, schema: dict[str, str]) -> dict[str, Any]:
        rng = self.rng
        paths = self.paths(schema)
        name = rng.choice(["count", "count_values", "distinct", "sum", "mean", "std", "bounds", "values",
                           "quantiles", "histogram_values"])
        numeric = [p for p, k in paths if k in NUMERIC or k in ("list_int", "list_float")]
        if name == "count":
            field: Any = rng.choice([None, *[p for p, _ in paths]])
        elif name in ("sum", "mean", "std", "quantiles"):
            field = rng.choice(numeric) if numeric else rng.choice(paths)[0]
        elif name == "histogram_values":
            ok = [p for p, k in paths if k in NUMERIC or k in ("list_int", "list_float", "date", "datetime")]
            field = rng.choice(ok) if ok else rng.choice(paths)[0]
        elif name in ("count_values", "distinct"):
            ok = [p for p, k in paths if k not in ("cls", "clss", "list_obj")]
            field = rng.choice(ok) if ok else rng.choice(paths)[0]
        else:
            field = rng.choice(paths)[0]
        if field is not None and name in ("sum", "mean", "std", "bounds", "values", "quantiles") and rng.random() < 0.15:
            field = self.number_expr(schema) or field
        query: dict[str, Any] = {"kind": "aggregation", "name": name, "field": field}
        if name == "std":
            query["sample"] = rng.random() < 0.3
        if name == "quantiles":
            query["quantiles"] = sorted(rng.sample([0, 0.1, 0.25, 0.5, 0.75, 0.9, 1], rng.randint(1, 3)))
        if name == "histogram_values":
            query["bins"] = rng.randint(1, 5)
        return query

    def evaluation_case(self, data: Generator) -> dict[str, Any]:
        """Ground truth and predictions with logits from ``data`` (shared by a group), the method from self."""
        rng = self.rng
        order = list(LABELS) if data.rng.random() < 0.8 else ["dog", "cat", "bird", "fish"]
        schema = {"ground_truth": "cls", "predictions": "cls"}
        rows = []
        for _ in range(data.rng.randint(0, 8)):
            row: dict[str, Any] = {}
            if data.rng.random() > 0.12:
                row["ground_truth"] = {"$cls": {"label": data.rng.choice(LABELS) if data.rng.random() < 0.9 else "fish"}}
            if data.rng.random() > 0.12:
                pred = data.classification(logits=len(order))
                if data.rng.random() < 0.8:
                    logits = pred["logits"]
                    pred["label"] = order[logits.index(max(logits))]
                if data.rng.random() < 0.05:
                    del pred["logits"]
                row["predictions"] = {"$cls": pred}
            rows.append(row)
        method = rng.choice(["simple", "top-k", "binary"])
        query: dict[str, Any] = {"kind": "evaluation", "method": method}
        if method == "top-k":
            query["classes"] = order
            query["k"] = rng.randint(1, 3)
        elif method == "binary":
            query["classes"] = rng.choice([["dog", "cat"], ["other", "cat"], ["bird", "dog"]])
        elif rng.random() < 0.5:
            query["classes"] = rng.sample(list(LABELS) + ["fish"], rng.randint(1, 4))
        stages: list = []
        u = rng.random()
        if u < 0.15:
            stages = [["match", ["eq", ["F", "ground_truth.label"], ["lit", "nonexistent"]]]]
        elif u < 0.4:
            stages = [["match", ["gt", ["F", "predictions.confidence"], ["lit", round(rng.random(), 2)]]]]
        elif u < 0.5:
            stages = [["limit", rng.randint(0, 4)]]
        return {"schema": schema, "rows": rows, "stages": stages, "query": query}

#: cases per dataset: the cases of a group share their dataset (FiftyOne takes ~0.2 s to make one)
GROUP = 4


def generate(seed: int, index: int, only: str | None = None) -> dict[str, Any]:
    """Case ``index`` of ``seed``: a dict with ``mode`` and the case; the same inputs give the same case.

    The dataset (mode, schema, rows) is drawn from the case's group, the view and query from the case.
    """
    data = Generator(random.Random(f"{seed}:group:{index // GROUP}:{only}"))
    mode = only or data.rng.choices(MODES, weights=(5, 3, 2))[0]
    own = Generator(random.Random(f"{seed}:{index}:{only}"))
    if mode == "evaluation":
        case = own.evaluation_case(data)
    else:
        schema = data.schema()
        # few empty datasets: FiftyOne has no fields until a sample has them, and a view naming a field no sample
        # has is one difference (bakeoff refuses unknown fields), found often enough at 5%
        rows = data.rows(schema, 0 if data.rng.random() < 0.05 else data.rng.randint(1, 7))
        n_stages = own.rng.choice([0, 0, 1, 1, 2]) if mode == "aggregations" else own.rng.randint(1, 3)
        stages = [own.stage(schema) for _ in range(n_stages)]
        query = own.aggregation(schema) if mode == "aggregations" else {"kind": "view"}
        case = {"schema": schema, "rows": rows, "stages": stages, "query": query}
    case["mode"] = mode
    return case


def features(case: dict[str, Any]) -> set[str]:
    """The FiftyOne features a case uses that bakeoff may not have yet (see worker.unsupported)."""
    out = set()
    if "clss" in case["schema"].values():
        out.add("Classifications")
    if any(stage[0] == "filter_labels" for stage in case["stages"]):
        out.add("filter_labels")
    return out
