"""The harness's command line: generate cases, run both systems, shrink and report the differences."""

from __future__ import annotations

import argparse
import fnmatch
import json
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import compare
import render
from generate import MODES, features, generate
from shrink import shrink
from workers import ROOT, Pair

DEFAULT_FIFTYONE = ROOT / ".bench-fo" / "bin" / "python"
DEFAULT_BAKEOFF = ROOT / ".venv" / "bin" / "python"
DEFAULT_KNOWN = ROOT / "scripts" / "differential_known.txt"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="Run random datasets, views, aggregations and evaluations on FiftyOne "
                                            "and on bakeoff and report every difference with a minimal reproduction.")
    p.add_argument("--cases", type=int, default=200, help="how many cases (default 200)")
    p.add_argument("--seed", type=int, default=0, help="case i of seed s is always the same case")
    p.add_argument("--database", default="sqlite", help="bakeoff's database: sqlite (a temp file) or a postgresql:// URI")
    p.add_argument("--only", choices=MODES, help="only this kind of case")
    p.add_argument("--known", default=str(DEFAULT_KNOWN),
                   help="explained differences, one 'SIGNATURE-GLOB :: reason' per line (default %(default)s)")
    p.add_argument("--fiftyone-python", default=str(DEFAULT_FIFTYONE), help="an interpreter that imports fiftyone")
    p.add_argument("--bakeoff-python", default=str(DEFAULT_BAKEOFF), help="an interpreter that imports bakeoff")
    p.add_argument("--shrink-runs", type=int, default=50, help="runs spent shrinking one difference (default 50)")
    p.add_argument("--shrink-seconds", type=float, default=180,
                   help="time spent shrinking in all; later differences are shown as generated (default 180)")
    p.add_argument("--shrinks-per-signature", type=int, default=2,
                   help="cases shrunk per core signature, to tell apart causes that look alike (default 2)")
    p.add_argument("--show-cases", type=int, default=8, help="case numbers listed per signature")
    return p.parse_args(argv)


def read_known(path: str) -> list[tuple[str, str]]:
    """``[(glob, reason)]`` from the known-differences file; a line without a reason is refused."""
    if not path or not Path(path).exists():
        return []
    out = []
    for n, line in enumerate(Path(path).read_text().splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        pattern, sep, reason = line.partition("::")
        if not sep or not reason.strip():
            raise SystemExit(f"{path}:{n}: expected 'SIGNATURE-GLOB :: reason', got {line!r}")
        out.append((pattern.strip(), reason.strip()))
    return out


def explain(signature: str, known: list[tuple[str, str]]) -> str | None:
    for pattern, reason in known:
        if fnmatch.fnmatchcase(signature, pattern):
            return reason
    return None


def core_signatures(case: dict[str, Any], fo: dict, bo: dict) -> list[str]:
    label = compare.query_label(case, with_stages=False)
    crashed = [name for name, r in (("fiftyone", fo), ("bakeoff", bo)) if "crash" in r]
    if crashed:
        return [f"{label}: {' and '.join(crashed)} worker failed"]
    return compare.differences(case, fo, bo)


def size(case: dict[str, Any]) -> str:
    return f"{len(case['rows'])} rows, {len(case['schema'])} fields, {len(case['stages'])} stages"


def brief(result: dict, limit: int = 700) -> str:
    text = json.dumps(result, ensure_ascii=False)
    return text if len(text) <= limit else text[:limit] + " ..."


class Campaign:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.pair = Pair(args.fiftyone_python, args.bakeoff_python, args.database)
        self.known = read_known(args.known)
        self.agree = 0
        self.unsupported: Counter = Counter()
        self.by_core: dict[str, list[int]] = defaultdict(list)       # core signature -> case numbers
        self.cases: dict[int, dict[str, Any]] = {}
        self.shrunk: dict[str, list[dict[str, Any]]] = defaultdict(list)  # core -> shrunk reproductions
        self.shrink_spent = 0.0

    def run(self) -> int:
        args = self.args
        start = time.monotonic()
        print(f"differential: seed {args.seed}, {args.cases} cases{f' ({args.only})' if args.only else ''}, "
              f"bakeoff on {'sqlite' if args.database == 'sqlite' else 'postgresql'}, FiftyOne from "
              f"{args.fiftyone_python}", flush=True)
        try:
            for i in range(args.cases):
                self.one(i)
                if (i + 1) % 50 == 0:
                    print(f"  ... {i + 1} cases, {time.monotonic() - start:.0f} s", file=sys.stderr, flush=True)
            shims = self.pair.bakeoff.shims
            return self.report(time.monotonic() - start, shims)
        finally:
            self.pair.close()

    def one(self, i: int) -> None:
        case = generate(self.args.seed, i, self.args.only)
        missing = self.pair.unsupported(features(case))
        if missing:
            self.unsupported[", ".join(missing)] += 1
            return
        fo, bo = self.pair.run(case)
        cores = core_signatures(case, fo, bo)
        if not cores:
            self.agree += 1
            return
        self.cases[i] = case
        # a case is filed under its first unexplained difference (the others usually follow from it)
        unexplained = [c for c in cores if not self.explained(case, c)]
        core = (unexplained or cores)[0]
        self.by_core[core].append(i)
        if len(self.shrunk[core]) < self.args.shrinks_per_signature and self.shrink_spent < self.args.shrink_seconds:
            self.shrink_case(i, case, core)

    def explained(self, case: dict[str, Any], core: str) -> bool:
        return bool(explain(core, self.known) or explain(compare.full_signature(case, core), self.known))

    def shrink_case(self, i: int, case: dict[str, Any], core: str) -> None:
        t0 = time.monotonic()
        deadline = t0 + max(0.0, self.args.shrink_seconds - self.shrink_spent)

        def still_differs(candidate: dict[str, Any]) -> bool:
            if time.monotonic() > deadline:
                return False
            fo, bo = self.pair.run(candidate)
            return core in core_signatures(candidate, fo, bo)

        small, runs = shrink(case, still_differs, self.args.shrink_runs)
        fo, bo = self.pair.run(small)
        self.shrink_spent += time.monotonic() - t0
        self.shrunk[core].append({"case": i, "original": case, "small": small, "runs": runs, "fiftyone": fo,
                                  "bakeoff": bo, "signature": compare.full_signature(small, core),
                                  "others": [c for c in core_signatures(small, fo, bo) if c != core]})

    # report -------------------------------------------------------------------------------------
    def groups(self) -> dict[str, dict[str, Any]]:
        """Full signature -> {cases, reproduction}: each core's cases go to the shrunk signatures found for it."""
        out: dict[str, dict[str, Any]] = {}
        for core, numbers in self.by_core.items():
            repros = self.shrunk.get(core) or []
            if not repros:
                i = numbers[0]
                case = self.cases[i]
                fo, bo = self.pair.run(case)
                repros = [{"case": i, "original": case, "small": case, "runs": 0, "fiftyone": fo, "bakeoff": bo,
                           "signature": compare.full_signature(case, core), "unshrunk": True,
                           "others": [c for c in core_signatures(case, fo, bo) if c != core]}]
            shrunk_cases = {r["case"]: r for r in repros}
            for n in numbers:
                repro = shrunk_cases.get(n, repros[0])
                group = out.setdefault(repro["signature"], {"cases": [], "repro": repro, "core": core})
                group["cases"].append(n)
        return out

    def report(self, seconds: float, shims: list[str]) -> int:
        groups = self.groups()
        unexplained_cases: set[int] = set()
        explained_cases: set[int] = set()
        n_unexplained = 0
        for signature in sorted(groups, key=lambda s: (-len(groups[s]["cases"]), s)):
            group = groups[signature]
            reason = explain(signature, self.known)
            if reason is None:
                n_unexplained += 1
                unexplained_cases.update(group["cases"])
            else:
                explained_cases.update(group["cases"])
            self.print_group(signature, group, reason)
        differ = len(set(self.cases))
        explained_only = len(explained_cases - unexplained_cases)
        unsupported = sum(self.unsupported.values())
        print()
        print(f"bakeoff shims in the worker: {', '.join(shims) if shims else 'none'}")
        if self.unsupported:
            print("unsupported in bakeoff (not run): " +
                  "; ".join(f"{name}: {n} cases" for name, n in sorted(self.unsupported.items())))
        print(f"{self.args.cases} cases, {self.agree} agree, {differ} differ ({len(groups)} distinct signatures, "
              f"{n_unexplained} unexplained; {explained_only} cases explained), {unsupported} unsupported in bakeoff "
              f"[seed {self.args.seed}, {seconds:.0f} s]")
        return 1 if n_unexplained else 0

    def print_group(self, signature: str, group: dict[str, Any], reason: str | None) -> None:
        repro = group["repro"]
        cases = group["cases"]
        shown = ", ".join(f"#{n}" for n in cases[: self.args.show_cases]) + (" ..." if len(cases) > self.args.show_cases
                                                                              else "")
        print()
        print(f"=== {'explained' if reason else 'DIFFERENCE'}: {signature}")
        if reason:
            print(f"    reason: {reason}")
        print(f"    {len(cases)} case(s): {shown}")
        how = ("not shrunk (shrinking budget spent)" if repro.get("unshrunk") else
               f"shrunk from {size(repro['original'])} to {size(repro['small'])} in {repro['runs']} runs")
        print(f"    reproduction (case #{repro['case']}, {how}):")
        for line in render.python(repro["small"]).splitlines():
            print(f"      {line}")
        if repro["others"]:
            print("    the reproduction also differs in: " + "; ".join(repro["others"][:6])
                  + (" ..." if len(repro["others"]) > 6 else ""))
        print(f"    fiftyone: {brief(repro['fiftyone'])}")
        print(f"    bakeoff:  {brief(repro['bakeoff'])}")
        print(f"    case json: {json.dumps(repro['small'], ensure_ascii=False)}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not Path(args.fiftyone_python).exists():
        print(f"FiftyOne's interpreter {args.fiftyone_python} does not exist: install it as "
              "../shared/BENCHMARKS.md says, or pass --fiftyone-python", file=sys.stderr)
        return 2
    return Campaign(args).run()
