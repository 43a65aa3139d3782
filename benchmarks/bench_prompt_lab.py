"""The prompt lab: re-scoring 10,000 samples with new prompts from their cached image embeddings.

    python benchmarks/bench_prompt_lab.py                 # 10,000 samples of demo-shapes, demo-clip
    python benchmarks/bench_prompt_lab.py --samples 50000

Setup (not timed in the table): 640 demo-shapes images (64 classes x 10) are generated,
hard-linked to ``--samples`` paths, and their demo-clip embeddings put in the embedding cache
for every path, so that ``apply_model`` writes the run ``clip`` from the cache, as it does on
a dataset that was classified before. The table times what the App's prompt lab does:

- opening a lab (loading the model and the view's cached embeddings);
- ``rescore`` with the run's own prompts, with one class's prompts changed (two new prompts
  to encode), with the same change again (every prompt cached), with two templates for all
  64 classes (128 new prompts);
- ``save`` (``apply_model`` from the cache into a new field);
- the scoring step alone on random 512-d embeddings (a real CLIP's width) for 100 and
  1,000 classes: the matrix product, the scorer and the top class.

Each rescore row is the median of 5 calls (the first call of a row encodes its new prompts;
"cold" shows that call). Goal: under a second per rescore for 10,000 samples.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def build(folder: Path, samples: int):
    """A dataset of ``samples`` hard links to 640 demo-shapes images, demo-clip's run 'clip' from the cache."""
    import bakeoff as fo
    import bakeoff.zoo as foz
    from bakeoff.core.interface import database
    from bakeoff.demo.shapes import class_names, write_dataset
    from bakeoff.media.decode import file_identity
    from bakeoff.storage.embeddings import put_embeddings
    from bakeoff.storage.engine import write

    classes = class_names()
    root = write_dataset(folder / "shapes", per_class=10, seed=0)
    originals = fo.Dataset.from_dir(root, name="originals", compute_metadata=False)
    model = foz.load_zoo_model("demo-clip", classes=classes, progress=False)
    vectors = originals.compute_embeddings(model, progress=False)
    paths, truth = originals.values("filepath"), originals.values("ground_truth.label")
    links = folder / "links"
    links.mkdir()
    rows, entries = [], []
    for i in range(samples):
        source = paths[i % len(paths)]
        link = links / f"{i:06d}.png"
        os.link(source, link)
        rows.append(fo.Sample(filepath=str(link), ground_truth=fo.Classification(label=truth[i % len(paths)])))
        entries.append((str(link), *file_identity(str(link)), vectors[i % len(paths)]))
    dataset = fo.Dataset(name="prompt-lab-bench")
    dataset.add_samples(rows)
    with write(database(dataset)) as conn:
        put_embeddings(conn, model.fingerprint, entries)
    dataset.apply_model(model, label_field="clip", progress=False)
    return dataset, classes


def timed(call, repeat: int = 5) -> tuple[float, float]:
    """(first call, median of ``repeat`` calls) in seconds."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return times[0], statistics.median(times)


def measure(samples: int) -> list[tuple[str, float, float | None, str]]:
    from bakeoff.brain.prompt_lab import PromptLab, score_embeddings
    from bakeoff.models.scoring import SoftmaxScorer

    rows: list[tuple[str, float, float | None, str]] = []
    with tempfile.TemporaryDirectory() as folder:
        dataset, classes = build(Path(folder), samples)
        started = time.perf_counter()
        lab = PromptLab(dataset, "clip", gt_field="ground_truth", progress=False)
        rows.append(("open the lab (model + cached embeddings)", time.perf_counter() - started, None,
                     f"baseline accuracy {lab.baseline.accuracy:.3f}"))
        target = classes[0]
        cases = [
            ("rescore: the run's prompts", {}),
            (f"rescore: {target!r} with 2 new prompts", {"prompts": {target: ["a red round thing", "a red disc"]}}),
            ("rescore: the same prompts again", {"prompts": {target: ["a red round thing", "a red disc"]}}),
            ("rescore: 2 templates for all 64 classes", {"templates": ["a drawing of a {}", "a {}"]}),
        ]
        for name, kwargs in cases:
            first, median = timed(lambda kwargs=kwargs: lab.rescore(**kwargs))
            result = lab.last
            rows.append((name, median, first, f"accuracy {result.accuracy:.3f}, {result.changed} changed"))
        started = time.perf_counter()
        info = lab.save("clip_v2", progress=False)
        rows.append(("save as a new field (apply_model from the cache)", time.perf_counter() - started, None,
                     f"{info['results']['from_cache']} from the cache, {info['results']['decoded']} decoded"))
    rng = np.random.default_rng(0)
    image = rng.standard_normal((samples, 512)).astype(np.float32)
    image /= np.linalg.norm(image, axis=1, keepdims=True)
    for n_classes in (100, 1000):
        text = rng.standard_normal((n_classes, 512)).astype(np.float32)
        text /= np.linalg.norm(text, axis=1, keepdims=True)
        first, median = timed(lambda text=text: score_embeddings(image, text, SoftmaxScorer()))
        rows.append((f"scoring alone: 512-d, {n_classes:,} classes", median, first, "random embeddings"))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=10_000, help="samples in the dataset (default 10,000)")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    with tempfile.TemporaryDirectory() as home:
        os.environ["BAKEOFF_HOME"] = home  # a fresh home: nothing of the user's is touched
        import bakeoff as fo

        fo.config.home = Path(home)
        fo.config.show_progress_bars = False
        rows = measure(args.samples)
    print(f"| step ({args.samples:,} samples) | median | first call | |")
    print("|---|---|---|---|")
    for name, median, first, note in rows:
        print(f"| {name} | {median * 1000:,.0f} ms | {'' if first is None else f'{first * 1000:,.0f} ms'} | {note} |")


if __name__ == "__main__":
    main()
