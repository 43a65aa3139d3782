"""Iterating a view fetches its rows in chunks: the chunks must give the view's rows, in its order,
with its computed fields, however the stages nest (a sort before a limit, a filter after a limit)."""

from __future__ import annotations

import bakeoff as fo
from bakeoff import ViewField as F
from bakeoff.core.collection import ITER_CHUNK

N = 2 * ITER_CHUNK + 37  # three chunks, the last one partial


def _dataset() -> fo.Dataset:
    dataset = fo.Dataset()
    dataset.add_samples([
        fo.Sample(filepath=f"/images/{i}.jpg", n=(i * 7919) % 1009,
                  gt=fo.Classification(label=f"c{i % 5}", confidence=(i % 10) / 10))
        for i in range(N)
    ])
    return dataset


def _views(dataset: fo.Dataset) -> dict[str, fo.DatasetView]:
    return {
        "sort, limit": dataset.sort_by("n").limit(N - 100),
        "sort descending, skip": dataset.sort_by("n", reverse=True).skip(50),
        "limit, then match (a nested query)": dataset.limit(N - 10).match(F("n") > 100).sort_by("n"),
        "filter_labels, sort by label": dataset.filter_labels("gt", F("confidence") > 0.45).sort_by("gt.label"),
        "set_field, sort": dataset.set_field("n", F("n") * 2).sort_by("n", reverse=True).limit(ITER_CHUNK + 1),
        "shuffle": dataset.shuffle(seed=7),
        "select ordered": dataset.select(list(reversed(dataset.values("id")))[:1500], ordered=True),
    }


def test_iterating_a_view_gives_its_rows_in_its_order_with_its_fields():
    dataset = _dataset()
    for name, view in _views(dataset).items():
        ids, ns, labels = view.values("id"), view.values("n"), view.values("gt.label")
        samples = list(view)
        assert [s.id for s in samples] == ids, name
        assert [s.n for s in samples] == ns, name
        assert [s.gt.label if s.gt is not None else None for s in samples] == labels, name
        assert len(samples) == len(view), name


def test_a_sample_that_stops_matching_during_iteration_is_left_out():
    dataset = _dataset()
    view = dataset.match(F("n") >= 0).sort_by("n")
    last = view.last().id
    seen = []
    for i, sample in enumerate(view):
        if i == 0:
            changed = dataset[last]
            changed.n = -1  # the view's last row no longer matches; its chunk is fetched later
            changed.save()
        seen.append(sample.id)
    assert last not in seen
    assert len(seen) == N - 1


def test_select_ordered_keeps_the_first_position_of_a_repeated_id_and_leaves_unknown_ids_out():
    dataset = _dataset()
    ids = dataset.values("id")
    view = dataset.select([ids[3], ids[1], ids[3], "5f0000000000000000000000", ids[2000]], ordered=True)
    assert view.values("id") == [ids[3], ids[1], ids[2000]]
    assert [s.id for s in view] == [ids[3], ids[1], ids[2000]]
    assert len(view) == 3
    assert view.skip(1).limit(1).values("id") == [ids[1]]
    assert view.count_values("gt.label") == dataset.select([ids[3], ids[1], ids[2000]]).count_values("gt.label")


def test_select_ordered_of_many_ids_reads_in_their_order():
    dataset = _dataset()
    ids = dataset.values("id")[::-1]
    view = dataset.select(ids, ordered=True)
    assert view.values("id") == ids
    assert view.match(F("n") > 500).values("id") == [i for i, n in zip(ids, dataset.values("n")[::-1]) if n > 500]
    assert view.limit(5).sort_by("n").values("n") == sorted(dataset.values("n")[::-1][:5])
