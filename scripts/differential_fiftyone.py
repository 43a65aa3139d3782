"""Differential tests of bakeoff against FiftyOne: random datasets, views, aggregations and evaluations.

    python scripts/differential_fiftyone.py --cases 500 --seed 1
    python scripts/differential_fiftyone.py --only evaluation --database postgresql://...

Each case runs in FiftyOne's interpreter (``.bench-fo``, see ../shared/BENCHMARKS.md) and in
bakeoff's; every difference is printed with a reproduction shrunk to the fewest rows, fields,
stages and expression nodes that still show it, then one summary line. Differences matched by
``scripts/differential_known.txt`` are reported as explained. The exit status is 1 when an
unexplained difference remains. The pieces live in ``scripts/differential/``.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "differential"))

from cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
