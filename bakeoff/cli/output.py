"""How the commands print: aligned text tables for people, JSON for scripts.

Everything goes to stdout through :func:`click.echo`; progress bars and
errors go to stderr, so ``--json`` output can be piped straight into a parser.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import click


def echo_json(value: Any) -> None:
    """``value`` as strict, indented JSON on stdout (NaN as null; dates, paths and other objects as strings)."""
    click.echo(json.dumps(_plain(value), indent=2, default=str, allow_nan=False))


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "item") and callable(value.item) and getattr(value, "ndim", None) == 0:  # numpy scalars
        return _plain(value.item())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def echo_table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str], empty: str = "(none)") -> None:
    """Rows as left-aligned columns under a header; the last column is not padded.

    Example::

        echo_table([{"name": "pets", "samples": 12}], ["name", "samples"])
    """
    if not rows:
        click.echo(empty)
        return
    cells = [[str(row.get(c, "")) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    for line in [list(columns), *cells]:
        padded = [cell.ljust(width) for cell, width in zip(line[:-1], widths, strict=False)]
        click.echo("  ".join([*padded, line[-1]]).rstrip())


def echo_label_summary(dataset, label_field: str) -> None:
    """The dataset's summary, then its class counts (the ten largest) and unreadable images."""
    click.echo(dataset.summary())
    counts = dataset.count_values(f"{label_field}.label")
    counts.pop(None, None)
    unreadable = dataset.count("media_error") if dataset.has_field("media_error") else 0
    click.echo(f"\n{len(counts)} classes, {sum(counts.values())} images, {unreadable} unreadable")
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    for label, count in ranked[:10]:
        click.echo(f"    {label:<30} {count}")
    if len(ranked) > 10:
        click.echo(f"    ... and {len(ranked) - 10} more classes")
