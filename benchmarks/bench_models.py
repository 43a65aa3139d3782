"""Benchmark bakeoff's model adapters against the bare libraries, in the same run.

One command, one table::

    python benchmarks/bench_models.py                       # images (B/32, B/16) + 257 prompts
    python benchmarks/bench_models.py --archs ViT-B-32 --repeats 5
    python benchmarks/bench_models.py --bf16                # also the opt-in bf16 CPU path

Real-size architectures with random weights (the same compute as real ones).
Bakeoff and its reference alternate within each repeat; the table reports
medians and the median per-repeat ratio (see ``../shared/BENCHMARKS.md``).

- images: ``OpenClipModel.encode_images`` (normalized float32 numpy) vs
  ``model.encode_image(batch, normalize=True)`` on the same preprocessed batch;
  goal ratio >= 0.98.
- text: 257 class prompts through ``encode_texts`` (fresh cache each repeat)
  vs open_clip's default: tokenize at the full 77-token context and
  ``encode_text`` in one call; goal >= 3x with embeddings equal to 1e-5.
- ``--bf16``: fp32 vs bf16 weights through the adapter on real photographs
  from ``../shared/data/caltech101-subset``: speed and top-1 agreement over
  the 257 prompts. With random weights the class margins are tiny, so the
  agreement measured here is a pessimistic bound for trained weights.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import open_clip
from open_clip.zero_shot_metadata import IMAGENET_CLASSNAMES

from bakeoff.models.open_clip_adapter import OpenClipModel
from bakeoff.models.prompts import TextEmbeddingCache

PHOTOS = Path(__file__).resolve().parents[2] / "shared" / "data" / "caltech101-subset"


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _adapter(arch: str, precision: str = "fp32") -> OpenClipModel:
    torch.manual_seed(0)
    model, _, transform = open_clip.create_model_and_transforms(arch, pretrained=None, precision=precision)
    return OpenClipModel(model, transform, open_clip.get_tokenizer(arch), f"{arch}:random",
                         device="cpu", precision=precision, cache=TextEmbeddingCache())


def bench_images(arch: str, batch: int, repeats: int) -> list[str]:
    adapter = _adapter(arch)
    pixels = torch.randn(batch, 3, *adapter.model.visual.image_size)

    def bare():
        with torch.inference_mode():
            adapter.model.encode_image(pixels, normalize=True)

    def ours():
        adapter.encode_images(pixels)

    bare(), ours()  # warm-up
    times_bare, times_ours = [], []
    for i in range(repeats):  # alternate which goes first, so drift in machine load cancels
        if i % 2:
            times_ours.append(_timed(ours))
            times_bare.append(_timed(bare))
        else:
            times_bare.append(_timed(bare))
            times_ours.append(_timed(ours))
    ratio = statistics.median(b / o for b, o in zip(times_bare, times_ours))
    return [f"{arch} images, batch {batch}", f"{batch / statistics.median(times_bare):.2f} img/s",
            f"{batch / statistics.median(times_ours):.2f} img/s", f"{ratio:.3f}x (goal >= 0.98)"]


def bench_text(arch: str, n_prompts: int, repeats: int) -> list[str]:
    adapter = _adapter(arch)
    prompts = [f"A photo of {c}" for c in IMAGENET_CLASSNAMES[:n_prompts]]
    results = {}

    def bare():
        with torch.inference_mode():
            results["bare"] = adapter.model.encode_text(adapter.tokenizer(prompts), normalize=True).numpy()

    def ours():
        adapter.cache.clear()
        results["ours"] = adapter.encode_texts(prompts)

    times_bare, times_ours = [], []
    for _ in range(repeats):
        times_bare.append(_timed(bare))
        times_ours.append(_timed(ours))
    diff = float(np.abs(results["bare"] - results["ours"]).max())
    ratio = statistics.median(b / o for b, o in zip(times_bare, times_ours))
    return [f"{arch} text, {n_prompts} prompts", f"{statistics.median(times_bare):.2f} s",
            f"{statistics.median(times_ours):.2f} s", f"{ratio:.1f}x faster, max |diff| {diff:.1e} (goal >= 3x, 1e-5)"]


def _photos(n: int) -> list:
    from PIL import Image

    every = sorted(PHOTOS.rglob("*.jpg"))
    files = every[:: max(1, len(every) // n)][:n]
    if not files:
        raise SystemExit(f"--bf16 needs photographs under {PHOTOS}")
    return [Image.open(f).convert("RGB") for f in files]


def bench_bf16(arch: str, n_images: int, n_prompts: int, repeats: int) -> list[str]:
    classes = list(IMAGENET_CLASSNAMES[:n_prompts])
    exact, fast = _adapter(arch, "fp32"), _adapter(arch, "bf16")
    for model in (exact, fast):
        model.classes = classes
    photos = _photos(n_images)
    pixels = torch.stack([exact.preprocess(p) for p in photos])
    exact.encode_images(pixels[:2]), fast.encode_images(pixels[:2])  # warm-up
    t_exact, t_fast, agree = [], [], None
    for _ in range(repeats):
        t_exact.append(_timed(lambda: exact.encode_images(pixels)))
        t_fast.append(_timed(lambda: fast.encode_images(pixels)))
    pred_exact, pred_fast = exact.predict(pixels), fast.predict(pixels)
    agree = np.mean([a == b for a, b in zip(pred_exact.labels, pred_fast.labels)])
    cosine = (pred_exact.embeddings * pred_fast.embeddings).sum(1)
    ratio = statistics.median(e / f for e, f in zip(t_exact, t_fast))
    return [f"{arch} bf16 vs fp32, {len(photos)} photos", f"{len(photos) / statistics.median(t_exact):.2f} img/s",
            f"{len(photos) / statistics.median(t_fast):.2f} img/s",
            (f"{ratio:.2f}x, top-1 agreement {agree:.1%} over {n_prompts} classes (random weights), "
            f"image-embedding cosine min {cosine.min():.4f}")]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--archs", default="ViT-B-32,ViT-B-16", help="comma-separated open_clip architectures")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--prompts", type=int, default=257)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-images", action="store_true")
    parser.add_argument("--skip-text", action="store_true")
    parser.add_argument("--bf16", action="store_true", help="also measure the opt-in bf16 CPU path")
    parser.add_argument("--bf16-images", type=int, default=64)
    args = parser.parse_args(argv)

    rows = [["work", "bare library", "bakeoff", "ratio"]]
    archs = [a for a in args.archs.split(",") if a]
    for arch in archs if not args.skip_images else []:
        rows.append(bench_images(arch, args.batch, args.repeats))
        print(" | ".join(rows[-1]), file=sys.stderr, flush=True)
    if not args.skip_text:
        rows.append(bench_text(archs[0], args.prompts, args.repeats))
        print(" | ".join(rows[-1]), file=sys.stderr, flush=True)
    if args.bf16:
        for arch in archs:
            rows.append(bench_bf16(arch, args.bf16_images, args.prompts, args.repeats))
            print(" | ".join(rows[-1]), file=sys.stderr, flush=True)
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    print(f"torch {torch.__version__}, open_clip {open_clip.__version__}, {torch.get_num_threads()} threads, "
          f"{args.repeats} repeats, medians")
    for i, row in enumerate(rows):
        print(" | ".join(c.ljust(w) for c, w in zip(row, widths)))
        if i == 0:
            print("-+-".join("-" * w for w in widths))


if __name__ == "__main__":
    main()
