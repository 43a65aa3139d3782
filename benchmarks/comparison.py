"""What the benchmarks that compare bakeoff with FiftyOne share: finding FiftyOne, running a workload.

A workload is a Python script whose first argument is the system ("bakeoff" or
"fiftyone"); it runs in a fresh interpreter of that system's environment and
prints one JSON line last.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_FIFTYONE_PYTHON = str(ROOT / ".bench-fo" / "bin" / "python")


def add_fiftyone_arguments(parser) -> None:
    parser.add_argument("--fiftyone-python", default=DEFAULT_FIFTYONE_PYTHON,
                        help="an interpreter that can import fiftyone (see ../shared/BENCHMARKS.md)")
    parser.add_argument("--no-fiftyone", action="store_true", help="measure bakeoff only")


def systems(args) -> dict[str, str]:
    """``{"bakeoff": python[, "fiftyone": python]}``; says so when FiftyOne is not measured."""
    found = {"bakeoff": sys.executable}
    python = Path(args.fiftyone_python)
    if args.no_fiftyone:
        return found
    if python.exists() and subprocess.run([str(python), "-c", "import fiftyone"], capture_output=True).returncode == 0:
        found["fiftyone"] = str(python)
    else:
        print(f"FiftyOne not found at {python}: measuring bakeoff only (see ../shared/BENCHMARKS.md)\n")
    return found


def run_workload(script: str, python: str, system: str, args: list[str], home: str) -> dict:
    env = {**os.environ, "BAKEOFF_HOME": home, "BAKEOFF_SHOW_PROGRESS_BARS": "0", "FIFTYONE_DO_NOT_TRACK": "true",
           "FIFTYONE_DATABASE_DIR": os.path.join(home, "fo-db"), "FIFTYONE_SHOW_PROGRESS_BARS": "false"}
    out = subprocess.run([python, "-c", script, system, *map(str, args)], capture_output=True, text=True, env=env,
                         cwd=ROOT)
    if out.returncode != 0:
        raise RuntimeError(f"{system} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])
