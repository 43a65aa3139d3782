"""Train bakeoff's tiny demo zero-shot models on synthetic shapes (fixed seeds, fixed steps).

    python scripts/train_demo_models.py                 # all models into bakeoff/demo/models/
    python scripts/train_demo_models.py --only demo-clip --steps 300   # a quick try

Each model is trained through the real library (transformers here), saved the
way a user would keep it (``save_pretrained`` plus a locally built tokenizer
and image processor), then evaluated zero-shot through bakeoff's public zoo
loader on the ``demo-shapes`` zoo dataset (a different seed from the training
images). A CARD.md next to the weights records data, steps, time and accuracy.

Loss: a contrastive loss in which every caption that fits an image counts as a
positive ("a circle" fits every circle in the batch), as soft targets of the
image->text and text->image cross-entropies; with one caption per class this
is CLIP's loss.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bakeoff.demo.shapes import COLORS, SHAPES, captions_for, class_names, write_dataset  # noqa: E402

OUT = ROOT / "bakeoff" / "demo" / "models"
BATCH = 128
SPECIALS = ["<pad>", "<unk>", "<s>", "</s>"]  # </s> is not id 2: transformers' CLIP then pools at the first </s>


def build_tokenizer(folder: Path, bos: bool = True, eos_last: bool = False):
    """A word-level tokenizer over the caption vocabulary (built in a second, no download).

    CLIP-style: ``<s> words </s>``; SigLIP-style (``bos=False``): ``words </s>``.
    """
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    words = sorted({w for c in COLORS for s in SHAPES for caption in captions_for(c, s) for w in caption.split()}
                   | {"photo", "of", "a", "an", "the"})
    # open_clip's text transformer pools at the highest token id (argmax): there </s> must come last
    order = ["<pad>", "<unk>", "<s>", *words, "</s>"] if eos_last else SPECIALS + words
    vocab = {token: i for i, token in enumerate(order)}
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    tok.normalizer = normalizers.Lowercase()
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>" if bos else "$A </s>",
        special_tokens=[("<s>", vocab["<s>"]), ("</s>", vocab["</s>"])] if bos else [("</s>", vocab["</s>"])])
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>" if bos else None, eos_token="</s>",
                                   pad_token="<pad>", unk_token="<unk>", model_max_length=16 if bos else 64)
    fast.save_pretrained(folder)
    return fast


def training_images(per_class: int, seed: int, size: int):
    """(images as PIL, color index, shape index) for training: another seed than the demo-shapes zoo set."""
    from PIL import Image

    tmp = Path(tempfile.mkdtemp())
    write_dataset(tmp, per_class=per_class, seed=seed, size=size)
    images, colors, shapes = [], [], []
    for label in class_names():
        color, shape = label.split(" ")
        for path in sorted((tmp / label).glob("*.png")):
            images.append(Image.open(path).convert("RGB"))
            colors.append(list(COLORS).index(color))
            shapes.append(SHAPES.index(shape))
    return images, np.array(colors), np.array(shapes)


def caption_batch(colors, shapes, rng: random.Random):
    """One random caption per image, and what each caption pins down (colour, shape; -1 = any)."""
    texts, need_color, need_shape = [], [], []
    color_names = list(COLORS)
    for c, s in zip(colors, shapes, strict=True):
        kind = rng.random()
        color, shape = color_names[c], SHAPES[s]
        if kind < 0.7:
            texts.append(rng.choice([t for t in captions_for(color, shape) if color in t and shape in t]))
            need_color.append(c)
            need_shape.append(s)
        elif kind < 0.85:
            texts.append(rng.choice([t for t in captions_for(color, shape) if shape in t and color not in t]))
            need_color.append(-1)
            need_shape.append(s)
        else:
            texts.append(rng.choice([t for t in captions_for(color, shape) if color in t and shape not in t]))
            need_color.append(c)
            need_shape.append(-1)
    return texts, torch.tensor(need_color), torch.tensor(need_shape)


def multi_positive_loss(image_emb, text_emb, scale, colors, shapes, need_color, need_shape):
    logits = scale * image_emb @ text_emb.T  # [images, captions]
    fits = ((need_color[None, :] == -1) | (need_color[None, :] == colors[:, None])) & \
           ((need_shape[None, :] == -1) | (need_shape[None, :] == shapes[:, None]))
    targets = fits.float()
    image_loss = -(targets / targets.sum(1, keepdim=True) * logits.log_softmax(1)).sum(1).mean()
    text_loss = -(targets.T / targets.T.sum(1, keepdim=True) * logits.T.log_softmax(1)).sum(1).mean()
    return (image_loss + text_loss) / 2


def sigmoid_loss(image_emb, text_emb, scale, bias, colors, shapes, need_color, need_shape):
    """SigLIP's pairwise sigmoid loss, every fitting caption a positive."""
    logits = scale * image_emb @ text_emb.T + bias
    fits = ((need_color[None, :] == -1) | (need_color[None, :] == colors[:, None])) & \
           ((need_shape[None, :] == -1) | (need_shape[None, :] == shapes[:, None]))
    signs = fits.float() * 2 - 1
    return -torch.nn.functional.logsigmoid(signs * logits).sum() / len(image_emb)


def build_model(kind: str, tok, width: int, vision_layers: int, text_layers: int, size: int):
    import transformers as tf

    text = {"vocab_size": len(tok), "hidden_size": width, "intermediate_size": 2 * width,
            "num_hidden_layers": text_layers, "num_attention_heads": 4, "eos_token_id": tok.eos_token_id,
            "pad_token_id": tok.pad_token_id}
    vision = {"hidden_size": width, "intermediate_size": 2 * width, "num_hidden_layers": vision_layers,
              "num_attention_heads": 4, "image_size": size, "patch_size": 8}
    if kind == "clip":
        text.update(max_position_embeddings=16, bos_token_id=tok.bos_token_id)
        model = tf.CLIPModel(tf.CLIPConfig(text_config=text, vision_config=vision, projection_dim=64,
                                           logit_scale_init_value=math.log(1 / 0.07)))
        processor = tf.CLIPImageProcessor(size={"shortest_edge": size}, crop_size={"height": size, "width": size})
        text_kwargs = {"padding": True}
    else:  # SigLIP: text padded to 64 tokens with no attention mask, as bakeoff (and the original) runs it
        text.update(max_position_embeddings=64, bos_token_id=None)  # no <s>: SigLIP text has no start token
        model = tf.SiglipModel(tf.SiglipConfig(text_config=text, vision_config=vision))
        with torch.no_grad():  # SigLIP's initialisation: scale 10, bias -10
            model.logit_scale.fill_(math.log(10.0))
            model.logit_bias.fill_(-10.0)
        processor = tf.SiglipImageProcessor(size={"height": size, "width": size})
        text_kwargs = {"padding": "max_length", "max_length": 64}
    return model, processor, text_kwargs


def build_open_clip(folder: Path, tok, width: int, vision_layers: int, text_layers: int, size: int):
    """An open_clip ``local-dir:`` folder: open_clip_config.json (with the local tokenizer) plus weights."""
    import open_clip

    model_cfg = {
        "embed_dim": 64,
        "vision_cfg": {"image_size": size, "layers": vision_layers, "width": width, "patch_size": 8, "head_width": 32},
        "text_cfg": {"context_length": 16, "vocab_size": len(tok), "width": width, "heads": 2, "layers": text_layers,
                     "hf_tokenizer_name": "local-dir", "pool_type": "argmax"},
    }
    preprocess_cfg = {"mean": [0.48145466, 0.4578275, 0.40821073], "std": [0.26862954, 0.26130258, 0.27577711],
                      "interpolation": "bicubic", "resize_mode": "shortest"}
    (folder / "open_clip_config.json").write_text(json.dumps({"model_cfg": model_cfg, "preprocess_cfg": preprocess_cfg},
                                                             indent=1))
    model, _, transform = open_clip.create_model_and_transforms(f"local-dir:{folder}", load_weights=False)
    return model, transform, open_clip.get_tokenizer(f"local-dir:{folder}")


def fit(name: str, model, pixels, colors, shapes, steps: int, seed: int, embed, sigmoid: bool) -> float:
    """The training loop every demo model shares; ``embed(idx, texts)`` gives L2-normalized embeddings.

    Returns the training time in seconds.
    """
    colors_t, shapes_t = torch.tensor(colors), torch.tensor(shapes)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.05)
    warmup = max(1, steps // 20)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min(1.0, (s + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * min(s, steps) / steps)))
    rng = random.Random(seed)
    model.train()
    start = time.perf_counter()
    for step in range(steps):
        idx = torch.tensor(rng.sample(range(len(pixels)), BATCH))
        texts, need_color, need_shape = caption_batch(colors[idx.numpy()], shapes[idx.numpy()], rng)
        image_emb, text_emb = embed(idx, texts)
        scale = model.logit_scale.exp().clamp(max=100)
        if sigmoid:
            loss = sigmoid_loss(image_emb, text_emb, scale, model.logit_bias, colors_t[idx], shapes_t[idx],
                                need_color, need_shape)
        else:
            loss = multi_positive_loss(image_emb, text_emb, scale, colors_t[idx], shapes_t[idx], need_color, need_shape)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
        if step % 50 == 0 or step == steps - 1:
            print(f"{name} step {step:5d} loss {loss.item():.3f} ({time.perf_counter() - start:.0f} s)", flush=True)
    model.eval()
    return time.perf_counter() - start


def _normalized(features):
    features = getattr(features, "pooler_output", features)  # transformers 5 returns output objects
    return features / features.norm(dim=-1, keepdim=True)


def train(name: str, kind: str, steps: int, width: int, vision_layers: int, text_layers: int, seed: int,
          out: Path = OUT) -> dict:
    from safetensors.torch import save_file

    torch.manual_seed(seed)
    folder = Path(out) / name
    folder.mkdir(parents=True, exist_ok=True)
    tok = build_tokenizer(folder, bos=kind != "siglip", eos_last=kind == "open_clip")
    size = 64
    if kind == "open_clip":
        model, transform, tokenizer = build_open_clip(folder, tok, width, vision_layers, text_layers, size)
    else:
        model, processor, text_kwargs = build_model(kind, tok, width, vision_layers, text_layers, size)
    images, colors, shapes = training_images(per_class=40, seed=1, size=size)
    if kind == "open_clip":
        pixels = torch.stack([transform(image) for image in images])

        def embed(idx, texts):
            return model.encode_image(pixels[idx], normalize=True), model.encode_text(tokenizer(texts), normalize=True)
    else:
        pixels = processor(images=images, return_tensors="pt")["pixel_values"]

        def embed(idx, texts):
            tokens = tok(texts, return_tensors="pt", **text_kwargs)
            # SigLIP runs its text without an attention mask, as bakeoff's adapter (and the original) does
            mask = {"attention_mask": tokens["attention_mask"]} if kind == "clip" else {}
            return (_normalized(model.get_image_features(pixel_values=pixels[idx])),
                    _normalized(model.get_text_features(input_ids=tokens["input_ids"], **mask)))

    seconds = fit(name, model, pixels, colors, shapes, steps, seed, embed, sigmoid=kind == "siglip")
    if kind == "open_clip":
        state = {k: v.detach().contiguous().clone() for k, v in model.state_dict().items()}
        save_file(state, str(folder / "open_clip_model.safetensors"))
    else:
        model.save_pretrained(folder)
        processor.save_pretrained(folder)
    params = sum(p.numel() for p in model.parameters())
    return {"folder": folder, "seconds": seconds, "steps": steps, "params": params, "batch": BATCH, "kind": kind}


def evaluate(name: str, folder: Path, kind: str = "clip") -> float:
    """Zero-shot top-1 on the demo-shapes zoo dataset through bakeoff's public API."""
    import bakeoff as fo
    import bakeoff.zoo as foz

    with tempfile.TemporaryDirectory() as home:
        fo.config.home = home
        fo.config.show_progress_bars = False
        dataset = foz.load_zoo_dataset("demo-shapes")
        classes = dataset.distinct("ground_truth.label")
        if kind == "open_clip":
            model = foz.load_zoo_model("open-clip-torch", clip_model=f"local-dir:{folder}", pretrained="",
                                       classes=classes, text_prompt="a photo of a")
        else:
            model = foz.load_zoo_model("zero-shot-classification-transformer-torch", name_or_path=str(folder),
                                       classes=classes, text_prompt="a photo of a")
        field = name.replace("-", "_")
        dataset.apply_model(model, label_field=field)
        results = dataset.evaluate_classifications(field, eval_key=f"{field}_eval")
        return results.metrics()["accuracy"]


def write_card(name: str, info: dict, accuracy: float, description: str) -> None:
    size_mb = sum(p.stat().st_size for p in info["folder"].iterdir()) / 1e6
    card = f"""# {name}

{description}

- Library: {LIBRARY[info["kind"]]}, {info['params']:,} parameters, {size_mb:.1f} MB on disk.
- Data: `bakeoff.demo.write_dataset(per_class=40, seed=1, size=64)` — 2,560 synthetic images of
  8 colours x 8 shapes, one random caption per image per step (70% colour+shape, 15% shape only,
  15% colour only).
- Training: {info['steps']} steps of batch {info['batch']}, AdamW (lr 1e-3, cosine, 5% warm-up),
  {"multi-positive pairwise sigmoid" if info["kind"] == "siglip" else "multi-positive softmax contrastive"} loss, seed 0; {info['seconds'] / 60:.1f} minutes on the 2-core build machine
  (torch {torch.__version__}).
- Zero-shot top-1 on the `demo-shapes` zoo dataset (seed 0, 1,280 images, 64 classes, prompt
  "a photo of a <class>"): **{accuracy * 100:.1f}%** (chance 1.6%).
- Reproduce: `python scripts/train_demo_models.py --only {name}`.
"""
    (info["folder"] / "CARD.md").write_text(card)
    print(card)


LIBRARY = {"clip": "transformers `CLIPModel`", "siglip": "transformers `SiglipModel`",
           "open_clip": "open_clip `CLIP` in a `local-dir:` folder (open_clip_config.json, weights, tokenizer)"}

MODELS = {
    "demo-clip": dict(kind="clip", width=128, vision_layers=4, text_layers=3, description=(
        "bakeoff's demo CLIP: a tiny CLIP-style model trained on synthetic coloured shapes so the demo "
        "runs offline. It knows 8 colours and 8 shapes and nothing else.")),
    "demo-siglip": dict(kind="siglip", width=96, vision_layers=3, text_layers=2, description=(
        "bakeoff's demo SigLIP: a smaller SigLIP-style model (sigmoid loss, sigmoid scoring) trained on "
        "the same synthetic shapes, so the demo compares two families.")),
    "demo-openclip": dict(kind="open_clip", width=64, vision_layers=3, text_layers=2, description=(
        "bakeoff's demo OpenCLIP: the smallest of the three, an open_clip model saved as a `local-dir:` "
        "folder with its own word-level tokenizer, loaded through open_clip like any other.")),
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", choices=list(MODELS))
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--out", type=Path, default=OUT, help="where the model folders go (default: the package)")
    args = parser.parse_args(argv)
    torch.set_num_threads(2)
    for name, spec in MODELS.items():
        if args.only and name != args.only:
            continue
        info = train(name, spec["kind"], args.steps, spec["width"], spec["vision_layers"], spec["text_layers"], seed=0,
                     out=args.out)
        accuracy = evaluate(name, info["folder"], spec["kind"])
        write_card(name, info, accuracy, spec["description"])
        (info["folder"] / "training.json").write_text(json.dumps(
            {"steps": info["steps"], "seconds": round(info["seconds"], 1), "accuracy": accuracy}, indent=1))


if __name__ == "__main__":
    main()
