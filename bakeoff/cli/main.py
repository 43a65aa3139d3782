"""``bakeoff`` command line: datasets and the zoo (the CLI issue adds the rest).

Examples::

    bakeoff datasets list
    bakeoff datasets create pets --from-dir ~/pictures/pets --persistent
    bakeoff datasets info pets
    bakeoff zoo load caltech101 --max-samples 1000 --shuffle --seed 51 --name caltech101-1000
    bakeoff zoo list
"""

from __future__ import annotations

import argparse
import logging
import sys

import bakeoff as fo


def _datasets_list(args) -> int:
    for name in fo.list_datasets(args.pattern):
        print(name)
    return 0


def _datasets_info(args) -> int:
    print(fo.load_dataset(args.name))
    return 0


def _datasets_create(args) -> int:
    dataset = fo.Dataset.from_dir(args.from_dir, name=args.name, label_field=args.label_field,
                                  max_samples=args.max_samples, shuffle=args.shuffle, seed=args.seed,
                                  persistent=args.persistent, overwrite=args.overwrite)
    _print_summary(dataset, args.label_field)
    return 0


def _datasets_delete(args) -> int:
    fo.delete_dataset(args.name)
    print(f"deleted {args.name}")
    return 0


def _zoo_list(args) -> int:
    from bakeoff.zoo.datasets import ZOO_DATASETS

    for name in sorted(ZOO_DATASETS):
        print(f"{name:<14} {ZOO_DATASETS[name].description}")
    return 0


def _zoo_load(args) -> int:
    import bakeoff.zoo as foz

    dataset = foz.load_zoo_dataset(args.dataset, max_samples=args.max_samples, shuffle=args.shuffle, seed=args.seed,
                                   persistent=not args.temporary, dataset_name=args.name, dataset_dir=args.dataset_dir,
                                   overwrite=args.overwrite)
    _print_summary(dataset, "ground_truth")
    return 0


def _demo(args) -> int:
    from bakeoff.demo.run import run_demo

    run_demo(report=args.report, fresh=args.fresh)
    return 0


def _print_summary(dataset, label_field: str) -> None:
    print(dataset)
    labels = dataset.values(f"{label_field}.label")
    counts: dict[str, int] = {}
    for label in labels:
        counts[label] = counts.get(label, 0) + 1
    unreadable = dataset.count("media_error") if dataset.has_field("media_error") else 0
    print(f"\n{len(counts)} classes, {len(labels)} images, {unreadable} unreadable")
    for label, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:10]:
        print(f"    {label:<30} {count}")
    if len(counts) > 10:
        print(f"    ... and {len(counts) - 10} more classes")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bakeoff", description="Compare zero-shot image classifiers on your images.")
    parser.add_argument("--version", action="version", version=f"bakeoff {fo.__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    commands = parser.add_subparsers(dest="command", required=True)

    datasets = commands.add_parser("datasets", help="list, create, inspect and delete datasets")
    dsub = datasets.add_subparsers(dest="action", required=True)
    p = dsub.add_parser("list", help="names of all datasets")
    p.add_argument("pattern", nargs="?", help="glob pattern, e.g. 'caltech*'")
    p.set_defaults(func=_datasets_list)
    p = dsub.add_parser("info", help="print a dataset's summary")
    p.add_argument("name")
    p.set_defaults(func=_datasets_info)
    p = dsub.add_parser("create", help="import a folder with one subfolder of images per class")
    p.add_argument("name")
    p.add_argument("--from-dir", required=True)
    p.add_argument("--label-field", default="ground_truth")
    p.add_argument("--max-samples", type=int)
    p.add_argument("--shuffle", action="store_true")
    p.add_argument("--seed", type=int)
    p.add_argument("--persistent", action="store_true")
    p.add_argument("--overwrite", action="store_true")
    p.set_defaults(func=_datasets_create)
    p = dsub.add_parser("delete", help="delete a dataset")
    p.add_argument("name")
    p.set_defaults(func=_datasets_delete)

    demo = commands.add_parser("demo", help="the whole bake-off offline: bakeoff's demo models on synthetic shapes")
    demo.add_argument("--report", default="bakeoff-demo-report.html", help="where to write the HTML report")
    demo.add_argument("--fresh", action="store_true", help="rebuild the demo dataset and re-run every model")
    demo.set_defaults(func=_demo)

    zoo = commands.add_parser("zoo", help="zoo datasets")
    zsub = zoo.add_subparsers(dest="action", required=True)
    p = zsub.add_parser("list", help="zoo datasets")
    p.set_defaults(func=_zoo_list)
    p = zsub.add_parser("load", help="load (and download if needed) a zoo dataset as a persistent dataset")
    p.add_argument("dataset")
    p.add_argument("--name", help="dataset name (default: <zoo name>[-<max samples>])")
    p.add_argument("--dataset-dir", help="folder holding (or to receive) the data")
    p.add_argument("--max-samples", type=int)
    p.add_argument("--shuffle", action="store_true")
    p.add_argument("--seed", type=int)
    p.add_argument("--temporary", action="store_true", help="do not keep the dataset after the command")
    p.add_argument("--overwrite", action="store_true")
    p.set_defaults(func=_zoo_load)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(message)s")
    try:
        return args.func(args)
    except fo.BakeoffError as error:
        print(f"bakeoff: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
