"""How long each ``bakeoff`` command takes, and how much of it is importing libraries.

Runs the commands of a small bake-off in a fresh bakeoff home: list, import 100
images of the demo shapes, apply each demo model, evaluate, compare. Each command
runs as its own process (as a user runs it), first for its wall time, then again
under ``python -X importtime`` for the import time, summed per top-level package.
An ``apply`` runs on a new field each time, so the wall time includes encoding
every image (the embedding cache of an earlier run is not used).

    python benchmarks/bench_cli.py              # one run of each command
    python benchmarks/bench_cli.py --repeat 3   # the fastest of three

Target (issue 16): ``bakeoff apply`` with a demo model on 100 images under 10 s on
an idle machine.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

#: packages shown in their own column; everything else is summed under "other"
PACKAGES = ("torch", "torchvision", "transformers", "open_clip", "timm", "sklearn", "scipy", "pandas", "bakeoff")
DATASET = "shapes100"


def commands(images: Path, run: int) -> list[tuple[str, list[str]]]:
    """``(label, argv)`` of each command, in the order a user runs them; ``run`` makes new field names."""
    apply = ["apply", DATASET, "--classes-from", "ground_truth", "--no-progress"]
    return [
        ("datasets list", ["datasets", "list"]),
        ("zoo models", ["zoo", "models"]),
        ("datasets create (100 images)", ["datasets", "create", DATASET, "--from-dir", str(images), "--overwrite"]),
        *[(f"apply {model} (100 images)", [*apply, "--model", model, "--field", f"{model.replace('-', '_')}_{run}"])
          for model in ("demo-clip", "demo-siglip", "demo-openclip")],
        ("evaluate", ["evaluate", DATASET, f"demo_clip_{run}"]),
        ("compare", ["compare", DATASET]),
    ]


def run_command(argv: list[str], env: dict[str, str], importtime: bool) -> tuple[float, str]:
    """Wall seconds of ``python [-X importtime] -m bakeoff.cli.main argv`` and its stderr."""
    cmd = [sys.executable, *(["-X", "importtime"] if importtime else []), "-m", "bakeoff.cli.main", *argv]
    started = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return wall, done.stderr


def import_seconds(stderr: str) -> Counter:
    """Seconds of import per top-level package (self times of ``-X importtime``), and ``"total"``."""
    per: Counter = Counter()
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        _, self_us, _, name = (part.strip() for part in line.replace("import time:", "|", 1).split("|"))
        top = name.split(".")[0]
        seconds = int(self_us) / 1e6
        per[top if top in PACKAGES else "other"] += seconds
        per["total"] += seconds
    return per


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1, help="Runs per command (the fastest wall time is shown).")
    args = parser.parse_args()

    from bakeoff.demo.shapes import class_names, write_dataset

    with tempfile.TemporaryDirectory(prefix="bench-cli-") as tmp:
        images = write_dataset(Path(tmp) / "images", per_class=10, seed=0, classes=class_names()[:10])
        env = {**os.environ, "BAKEOFF_HOME": str(Path(tmp) / "home"), "BAKEOFF_SHOW_PROGRESS_BARS": "0"}
        env.pop("BAKEOFF_DATABASE_URI", None)
        walls: dict[str, float] = {}
        for run in range(args.repeat):
            for label, argv in commands(images, run):
                wall, _ = run_command(argv, env, importtime=False)
                walls[label] = min(wall, walls.get(label, wall))
        imports = {label: import_seconds(run_command(argv, env, importtime=True)[1])
                   for label, argv in commands(images, args.repeat)}

    shown = [p for p in PACKAGES if any(imports[label][p] >= 0.005 for label in imports)]
    header = ["command", "wall s", "imports s", *shown, "other"]
    print(f"bakeoff CLI on {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; "
          f"fastest of {args.repeat}; import seconds per package from -X importtime (self times summed)\n")
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    for label, wall in walls.items():
        per = imports[label]
        cells = [label, f"{wall:.1f}", f"{per['total']:.1f}", *(f"{per[p]:.2f}" for p in shown), f"{per['other']:.2f}"]
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
