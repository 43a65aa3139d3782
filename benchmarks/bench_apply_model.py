"""apply_model benchmark on real photos from ../shared/data/caltech101-subset.

    python benchmarks/bench_apply_model.py            # all four parts (about 5 minutes on 2 cores)
    python benchmarks/bench_apply_model.py --quick    # fewer images

1. model-bound: ViT-B/32 at real size, random weights: apply_model images/s over
   the bare image encoder on already-preprocessed tensors (same process,
   alternating); goal >= 0.97.
2. pipeline-bound: a tiny 64-px CLIP over all 3,060 photos: apply_model images/s
   over a one-thread decode + preprocess loop; goal >= 1.6 on 2 cores.
3. re-scoring 1,000 samples with 257 new classes from the embedding cache vs a
   full re-run (ViT-B/32); goal >= 100x.
4. peak memory (RSS) of apply_model over 3,060 vs 300 photos, each in a fresh
   process; goal: less than 100 MiB apart.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
PHOTOS = ROOT.parent / "shared" / "data" / "caltech101-subset" / "101_ObjectCategories"

TINY_CONFIG = {"embed_dim": 64, "vision_cfg": {"image_size": 64, "layers": 2, "width": 64, "patch_size": 16},
               "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 64, "heads": 2, "layers": 2}}


def build_model(arch: str, classes):
    import open_clip
    import torch

    from bakeoff.models.open_clip_adapter import OpenClipModel
    from bakeoff.models.prompts import TextEmbeddingCache

    if arch == "tiny":
        folder = Path(tempfile.mkdtemp())
        (folder / "BakeoffBench-Tiny.json").write_text(json.dumps(TINY_CONFIG))
        open_clip.add_model_config(folder)
        arch = "BakeoffBench-Tiny"
    torch.manual_seed(0)
    model, _, transform = open_clip.create_model_and_transforms(arch, pretrained=None)
    return OpenClipModel(model, transform, open_clip.get_tokenizer(arch), f"{arch}:random", device="cpu",
                         classes=classes, cache=TextEmbeddingCache())


def dataset(n: int | None, name: str):
    import bakeoff as fo

    return fo.Dataset.from_dir(PHOTOS, max_samples=n, shuffle=True, seed=0, name=name, overwrite=True,
                               compute_metadata=False, progress=False)


def model_bound(n: int, repeats: int) -> tuple[float, float]:
    from bakeoff.inference import load_image

    ds = dataset(n, "bench-model-bound")
    model = build_model("ViT-B-32", ds.distinct("ground_truth.label"))
    tensors = [model.preprocess(load_image(p)) for p in ds.values("filepath")]
    ds.limit(32).apply_model(model, label_field="warm_up", batch_size=32, use_cache=False, progress=False)
    bare, ours = [], []
    for r in range(repeats):
        start = time.perf_counter()
        for i in range(0, len(tensors), 32):
            model.encode_images(tensors[i : i + 32])
        bare.append(len(tensors) / (time.perf_counter() - start))
        start = time.perf_counter()
        ds.apply_model(model, label_field=f"p{r}", batch_size=32, use_cache=False, progress=False)
        ours.append(len(tensors) / (time.perf_counter() - start))
    return statistics.median(ours), statistics.median(bare)


def pipeline_bound(repeats: int, n: int | None) -> tuple[float, float]:
    from bakeoff.inference import load_image

    ds = dataset(n, "bench-pipeline-bound")
    model = build_model("tiny", ds.distinct("ground_truth.label"))
    paths = ds.values("filepath")
    # warm both sides (first-call costs: torch kernels, the thread pool, the new field's schema change)
    ds.limit(64).apply_model(model, label_field="warm_up", batch_size=64, use_cache=False, progress=False)
    loop, ours = [], []
    for r in range(repeats):
        start = time.perf_counter()
        for p in paths:
            model.preprocess(load_image(p))
        loop.append(len(paths) / (time.perf_counter() - start))
        start = time.perf_counter()
        ds.apply_model(model, label_field=f"p{r}", batch_size=64, use_cache=False, progress=False)
        ours.append(len(paths) / (time.perf_counter() - start))
    return statistics.median(ours), statistics.median(loop)


def rescoring(n: int) -> tuple[float, float]:
    from open_clip.zero_shot_metadata import IMAGENET_CLASSNAMES

    ds = dataset(n, "bench-rescore")
    model = build_model("ViT-B-32", ds.distinct("ground_truth.label"))
    start = time.perf_counter()
    ds.apply_model(model, label_field="first", batch_size=32, progress=False)
    full = time.perf_counter() - start
    model.classes = list(IMAGENET_CLASSNAMES[:257])
    start = time.perf_counter()
    summary = ds.apply_model(model, label_field="rescored", batch_size=32, progress=False)
    cached = time.perf_counter() - start
    assert summary.decoded == 0, summary
    return full, cached


FIFTYONE_TINY = r"""
import json, sys, tempfile, time
from pathlib import Path
import open_clip
folder = Path(tempfile.mkdtemp())
(folder / "BakeoffBench-Tiny.json").write_text(sys.argv[3])
open_clip.add_model_config(folder)
import fiftyone as fo, fiftyone.zoo as foz
n = int(sys.argv[2]) or None
ds = fo.Dataset.from_dir(dataset_dir=sys.argv[1], dataset_type=fo.types.ImageClassificationDirectoryTree,
                         max_samples=n, shuffle=True, seed=0)
model = foz.load_zoo_model("open-clip-torch", clip_model="BakeoffBench-Tiny", pretrained="",
                           classes=ds.distinct("ground_truth.label"), device="cpu")
t = time.perf_counter()
ds.apply_model(model, label_field="p", batch_size=64, progress=False)
print(json.dumps({"rate": len(ds) / (time.perf_counter() - t)}))
"""


def fiftyone_pipeline(n: int | None, home: str) -> float | None:
    """FiftyOne's apply_model with the same tiny architecture (random weights) on the same photos, img/s."""
    from comparison import DEFAULT_FIFTYONE_PYTHON

    python = Path(DEFAULT_FIFTYONE_PYTHON)
    if not python.exists():
        return None
    env = {**os.environ, "FIFTYONE_DO_NOT_TRACK": "true", "FIFTYONE_DATABASE_DIR": os.path.join(home, "fo-db")}
    out = subprocess.run([str(python), "-c", FIFTYONE_TINY, str(PHOTOS), str(n or 0), json.dumps(TINY_CONFIG)],
                         capture_output=True, text=True, env=env, check=False)
    if out.returncode != 0:
        print(f"FiftyOne run failed (torch and open_clip_torch in .bench-fo?):\n{out.stderr[-1500:]}")
        return None
    return json.loads(out.stdout.strip().splitlines()[-1])["rate"]


MEMORY = """
import resource, sys
sys.path.insert(0, {root!r})
from benchmarks.bench_apply_model import build_model, dataset
ds = dataset({n}, "bench-memory")
model = build_model("tiny", ds.distinct("ground_truth.label"))
ds.apply_model(model, label_field="p", batch_size=64, use_cache=False, progress=False)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def peak_memory(n: int | None, home: str) -> float:
    env = {**os.environ, "BAKEOFF_HOME": home, "BAKEOFF_SHOW_PROGRESS_BARS": "0"}
    out = subprocess.run([sys.executable, "-c", MEMORY.format(root=str(ROOT), n=n)], capture_output=True, text=True,
                         env=env, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer images and repeats")
    args = parser.parse_args()
    if not PHOTOS.is_dir():
        sys.exit(f"photos not found at {PHOTOS}")
    with tempfile.TemporaryDirectory() as home:
        os.environ["BAKEOFF_HOME"] = home
        import bakeoff as fo

        fo.config.home = home
        fo.config.show_progress_bars = False
        n_model, n_rescore, repeats = (64, 200, 1) if args.quick else (160, 1000, 2)
        ours, bare = model_bound(n_model, repeats)
        print(f"{'part':<58}{'bakeoff':>12}{'reference':>12}{'ratio':>8}  goal")
        print("-" * 100)
        print(f"{'1. ViT-B/32 apply_model vs bare encoder (img/s)':<58}{ours:>12.1f}{bare:>12.1f}{ours / bare:>8.3f}  >= 0.97")
        ours, loop = pipeline_bound(repeats, 600 if args.quick else None)
        print(f"{'2. tiny model apply_model vs 1-thread decode loop (img/s)':<58}{ours:>12.1f}{loop:>12.1f}{ours / loop:>8.2f}  >= 1.6")
        theirs = fiftyone_pipeline(600 if args.quick else None, home)
        if theirs:
            print(f"{'   ... vs FiftyOne apply_model, same photos and model (img/s)':<58}{ours:>12.1f}{theirs:>12.1f}"
                  f"{ours / theirs:>8.2f}  >= 5")
        full, cached = rescoring(n_rescore)
        print(f"{f'3. re-score {n_rescore} samples, 257 classes: full vs cache (s)':<58}{cached:>12.2f}{full:>12.2f}{full / cached:>8.1f}  >= 100")
        small, large = peak_memory(300, home), peak_memory(None if not args.quick else 1200, home)
        print(f"{'4. peak RSS: all 3,060 vs 300 photos (MiB)':<58}{large:>12.0f}{small:>12.0f}{large - small:>+8.0f}  < 100 apart")
        if not theirs:
            print("\nFiftyOne not measured (needs .bench-fo with torch and open_clip_torch, see ../shared/BENCHMARKS.md); "
                  "its reference with the same tiny model on these photos: 296-330 img/s")


if __name__ == "__main__":
    main()
