"""The comparison's duplicates line: what a saved near-duplicates run says about the evaluated samples.

Copies skew an evaluation: an image twice in the test set counts twice, and two copies with
different ground truths are label noise (at least one label is wrong). Finding them needs
embeddings, which is :mod:`bakeoff.brain`'s work, and evaluation sits below brain: so the
comparison never computes duplicates. It reads the record that
``fob.compute_near_duplicates(dataset, brain_key=...)`` saves in the dataset's run catalog
(``RunStore(dataset, "brain")``: ``config["type"] == "duplicates"``, ``config["thresh"]``, and
``results["pair_list"]``, ``[id_a, id_b, exact]`` per pair), and counts the pairs that hold at
least one evaluated sample. Whether their ground truths differ is read now, from the
comparison's ground-truth field, so a label fixed since the run counts as fixed.

Example::

    import bakeoff.brain as fob
    fob.compute_near_duplicates(dataset, threshold=0.05, model="clip-vit-base32-torch", brain_key="dups")
    fo.compare(dataset).describe_duplicates()
    # "duplicates (brain run 'dups', cosine distance <= 0.05): 2 exact pairs, 1 near pair, 1 pair whose
    #  ground truths differ; 5 of 300 evaluated samples involved"
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from bakeoff.core.interface import RunRecord, RunStore, root_dataset, value_lists
from bakeoff.errors import BrainRunNotFoundError, brief, suggest

if TYPE_CHECKING:
    from bakeoff.core.collection import SampleCollection

#: how to get the counts when no run has looked
HOW = ("import bakeoff.brain as fob; fob.compute_near_duplicates(dataset, threshold=0.05, model=..., "
       "brain_key='dups') finds them")


@dataclass(frozen=True)
class DuplicatesCheck:
    """The counts of the duplicates line (``brain_key`` None: no near-duplicates run on the dataset)."""

    brain_key: str | None
    thresh: float | None = None
    exact_pairs: int = 0              # byte-identical files
    near_pairs: int = 0               # within the run's distance, not byte-identical
    conflicting_pairs: int = 0        # both labelled in the ground truth, differently
    involved: int | None = None       # evaluated samples in some pair (None: the run listed no pairs)
    num_evaluated: int = 0
    complete: bool = True             # the run listed all its pairs (else the counts are lower bounds)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "line": self.describe()}

    def describe(self) -> str:
        """One line for people: the counts, or how to compute them."""
        if self.brain_key is None:
            return f"duplicates: not checked: no near-duplicates brain run on this dataset ({HOW})"
        at_least = "" if self.complete else "at least "

        def count(n: int, what: str) -> str:
            return f"{at_least}{n} {what}" if n == 1 else f"{at_least}{n} {what.replace('pair', 'pairs', 1)}"

        counts = ", ".join([count(self.exact_pairs, "exact pair"), count(self.near_pairs, "near pair"),
                            count(self.conflicting_pairs, "pair whose ground truths differ")])
        involved = ("" if self.involved is None else
                    f"; {at_least}{self.involved} of {self.num_evaluated:,} evaluated samples involved")
        old = "" if self.involved is not None else " (the run's totals: compute it again to count the evaluated samples)"
        thresh = f", cosine distance <= {self.thresh:g}" if self.thresh is not None else ""
        return f"duplicates (brain run {self.brain_key!r}{thresh}): {counts}{involved}{old}"


def check_duplicates(collection: SampleCollection, ids: list[str], gt_field: str,
                     brain_key: str | None = None) -> DuplicatesCheck:
    """Count the pairs of the near-duplicates run ``brain_key`` (default: the latest) that hold one of ``ids``."""
    record = _duplicates_run(collection, brain_key)
    if record is None:
        return DuplicatesCheck(None, num_evaluated=len(ids))
    config, results = record["config"] or {}, record["results"] or {}
    thresh = config.get("thresh")
    listed = results.get("pair_list")
    if listed is None:  # a record written before runs listed their pairs: the whole run's counts
        exact = int(results.get("exact_pairs", 0))
        return DuplicatesCheck(record["key"], thresh, exact, int(results.get("pairs", 0)) - exact,
                               int(results.get("conflicting_pairs", 0)), None, len(ids))
    evaluated = set(ids)
    pairs = [(str(a), str(b), bool(exact)) for a, b, exact in listed if a in evaluated or b in evaluated]
    labels = _ground_truths(collection, sorted({i for a, b, _ in pairs for i in (a, b)}), gt_field)
    conflicting = sum(1 for a, b, _ in pairs
                      if labels.get(a) is not None and labels.get(b) is not None and labels[a] != labels[b])
    exact = sum(e for _, _, e in pairs)
    involved = len({i for a, b, _ in pairs for i in (a, b)} & evaluated)
    complete = len(listed) >= int(results.get("pairs", len(listed)))
    return DuplicatesCheck(record["key"], thresh, exact, len(pairs) - exact, conflicting, involved, len(ids),
                           complete)


def _duplicates_run(collection: SampleCollection, brain_key: str | None) -> RunRecord | None:
    runs = [r for r in RunStore(collection, "brain").records() if (r["config"] or {}).get("type") == "duplicates"]
    if brain_key is None:
        return max(runs, key=lambda r: r["updated_at"]) if runs else None
    for record in runs:
        if record["key"] == brain_key:
            return record
    keys = [r["key"] for r in runs]
    hint = suggest(brain_key, keys) if isinstance(brain_key, str) else ""
    raise BrainRunNotFoundError(f"no near-duplicates brain run {brief(brain_key)} on the dataset.{hint} "
                                f"Near-duplicates runs: {keys}; {HOW}")


def _ground_truths(collection: SampleCollection, ids: list[str], gt_field: str) -> dict[str, str | None]:
    """The ground-truth label of each sample of ``ids`` in the whole dataset (a copy may lie outside the view)."""
    root = root_dataset(collection)
    if not ids or not root.has_field(gt_field):
        return {}
    got_ids, labels = value_lists(root.select(ids), ["id", f"{gt_field}.label"])
    return {str(i): (None if label is None else str(label)) for i, label in zip(got_ids, labels, strict=True)}
