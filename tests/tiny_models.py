"""Tiny random-weight models, built and saved locally once per test session.

Every family bakeoff scores is here, each saved the way a user would have it on
disk (a ``save_pretrained`` folder, an open_clip ``local-dir:`` folder or an
architecture plus a weights file), with a tokenizer built locally (the
``tokenizers`` library, or open_clip's bundled OpenAI BPE vocabulary).
Nothing is downloaded: ``HF_HUB_OFFLINE=1`` is set for the session.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np
import pytest
from PIL import Image

CLASSES = ["dog", "tennis-shoes", "car_side", "an airplane", "cat"]
CORPUS = ["a", "photo", "of", "the", "dog", "cat", "car", "side", "airplane", "tennis", "shoes", "bad", "small", "large", "art", "origami", "itap", "video", "game", "in", "an", "of", "a", "the", "photo", "A", "photo", "of"]
CLIP_MEAN, CLIP_STD = [0.48145466, 0.4578275, 0.40821073], [0.26862954, 0.26130258, 0.27577711]


def _register_timm_towers() -> None:
    """Tiny EVA02 and SigLIP vision towers under timm names open_clip configs can refer to."""
    from timm.models import register_model
    from timm.models._registry import _model_entrypoints
    from timm.models.eva import _create_eva
    from timm.models.vision_transformer import _create_vision_transformer

    if "bakeoff_tiny_eva02" in _model_entrypoints:
        return

    @register_model
    def bakeoff_tiny_eva02(pretrained=False, **kwargs):
        args = {"img_size": 32, "patch_size": 8, "embed_dim": 32, "depth": 2, "num_heads": 2, "mlp_ratio": 4 * 2 / 3,
                    "swiglu_mlp": True, "use_rot_pos_emb": True, "ref_feat_shape": (4, 4)}
        return _create_eva("bakeoff_tiny_eva02", pretrained=False, **dict(args, **kwargs))

    @register_model
    def bakeoff_tiny_siglip(pretrained=False, **kwargs):
        args = {"img_size": 32, "patch_size": 8, "embed_dim": 32, "depth": 2, "num_heads": 2, "class_token": False,
                    "global_pool": "map"}
        return _create_vision_transformer("bakeoff_tiny_siglip", pretrained=False, **dict(args, **kwargs))


def _hf_tokenizer(kind: str, folder: Path, *, lowercase: bool = True):
    """A PreTrainedTokenizerFast trained in-process on CORPUS and saved to ``folder``."""
    from tokenizers import (
        Tokenizer,
        models,
        normalizers,
        pre_tokenizers,
        processors,
        trainers,
    )
    from transformers import PreTrainedTokenizerFast

    if kind == "wordpiece":  # BERT-like (ALIGN, CLIPA): [CLS] ... [SEP]
        specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]"]
        tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
        trainer = trainers.WordPieceTrainer(vocab_size=200, special_tokens=specials)
        bos, eos, pad, unk = "[CLS]", "[SEP]", "[PAD]", "[UNK]"
    elif kind == "unigram":  # SigLIP-like: ... </s>, pad 1
        specials = ["<unk>", "<pad>", "</s>"]
        tok = Tokenizer(models.Unigram())
        trainer = trainers.UnigramTrainer(vocab_size=120, special_tokens=specials, unk_token="<unk>")
        bos, eos, pad, unk = None, "</s>", "<pad>", "<unk>"
    else:  # "bpe": CLIP/XLM-R-like: <s> ... </s>
        specials = ["<s>", "<pad>", "</s>", "<unk>"]
        tok = Tokenizer(models.BPE(unk_token="<unk>"))
        trainer = trainers.BpeTrainer(vocab_size=150, special_tokens=specials)
        bos, eos, pad, unk = "<s>", "</s>", "<pad>", "<unk>"
    if lowercase:
        tok.normalizer = normalizers.Lowercase()
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.train_from_iterator([" ".join(CORPUS)] * 5, trainer=trainer)
    single = f"{bos} $A {eos}" if bos else f"$A {eos}"
    pairs = [(t, tok.token_to_id(t)) for t in (bos, eos) if t]
    tok.post_processor = processors.TemplateProcessing(single=single, special_tokens=pairs)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token=bos, eos_token=eos, pad_token=pad,
                                   unk_token=unk, model_max_length=64)
    if kind == "wordpiece":
        fast.sep_token, fast.cls_token = "[SEP]", "[CLS]"
    fast.save_pretrained(folder)
    return fast


# ---- transformers ------------------------------------------------------------------------------

def _save_transformers(kind: str, folder: Path) -> Path:
    import torch
    import transformers as tf

    torch.manual_seed(0)
    vision = {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 2,
                  "image_size": 32, "patch_size": 8}
    text = {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 2}
    if kind == "clip":
        tok = _hf_tokenizer("bpe", folder)
        text.update(vocab_size=len(tok), max_position_embeddings=64, bos_token_id=tok.bos_token_id,
                    eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id)
        model = tf.CLIPModel(tf.CLIPConfig(text_config=text, vision_config=vision, projection_dim=16))
        processor = tf.CLIPImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32})
    elif kind == "altclip":
        tok = _hf_tokenizer("bpe", folder)
        text.update(vocab_size=len(tok), max_position_embeddings=70, pad_token_id=tok.pad_token_id,
                    bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id, project_dim=16, type_vocab_size=1)
        model = tf.AltCLIPModel(tf.AltCLIPConfig(text_config=text, vision_config=vision, projection_dim=16))
        processor = tf.CLIPImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32})
    elif kind == "align":
        tok = _hf_tokenizer("wordpiece", folder)
        text.update(vocab_size=len(tok), max_position_embeddings=64, pad_token_id=tok.pad_token_id)
        vis = {"image_size": 32, "width_coefficient": 1.0, "depth_coefficient": 1.0, "hidden_dim": 64,
                   "in_channels": [32, 16], "out_channels": [16, 32], "kernel_sizes": [3, 3], "strides": [1, 2],
                   "num_block_repeats": [1, 1], "expand_ratios": [1, 2], "initializer_range": 0.5}
        config = tf.AlignConfig(text_config=text, vision_config=vis, projection_dim=32, initializer_range=0.5)
        model = tf.AlignModel(config)
        with torch.no_grad():  # init is 1.0: all classes near-equal; trained ALIGN is ~0.01
            model.temperature.fill_(0.02)
        processor = tf.EfficientNetImageProcessor(size={"height": 32, "width": 32}, crop_size={"height": 32, "width": 32},
                                                  do_center_crop=False, rescale_offset=True)
    elif kind == "siglip":
        tok = _hf_tokenizer("unigram", folder)
        text.update(vocab_size=len(tok), max_position_embeddings=64, pad_token_id=tok.pad_token_id,
                    bos_token_id=None, eos_token_id=tok.eos_token_id)
        model = tf.SiglipModel(tf.SiglipConfig(text_config=text, vision_config=vision))
        with torch.no_grad():  # random init leaves both at 0: SigLIP's trained values are ~log(10), -10
            model.logit_scale.fill_(math.log(8.0))
            model.logit_bias.fill_(-1.5)
        processor = tf.SiglipImageProcessor(size={"height": 32, "width": 32})
    elif kind == "siglip2":  # NaFlex: preprocess returns pixel_values, pixel_attention_mask, spatial_shapes
        tok = _hf_tokenizer("unigram", folder)
        text.update(vocab_size=len(tok), max_position_embeddings=64, pad_token_id=tok.pad_token_id,
                    bos_token_id=None, eos_token_id=tok.eos_token_id)
        vision = {k: v for k, v in vision.items() if k != "image_size"} | {"num_patches": 16}
        model = tf.Siglip2Model(tf.Siglip2Config(text_config=text, vision_config=vision))
        with torch.no_grad():
            model.logit_scale.fill_(math.log(8.0))
            model.logit_bias.fill_(-1.5)
        processor = tf.Siglip2ImageProcessor(patch_size=8, max_num_patches=16)
    else:
        raise ValueError(kind)
    model.save_pretrained(folder)
    processor.save_pretrained(folder)
    return folder


# ---- open_clip ---------------------------------------------------------------------------------

TINY_VIT = {"image_size": 32, "layers": 2, "width": 32, "patch_size": 8, "head_width": 16}
TINY_TEXT = {"context_length": 77, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 2}


def open_clip_arch(quick_gelu: bool = False) -> dict:
    return {"embed_dim": 16, "quick_gelu": quick_gelu, "vision_cfg": dict(TINY_VIT), "text_cfg": dict(TINY_TEXT)}


def _open_clip_cfg(kind: str, folder: Path) -> tuple[dict, dict]:
    """(model_cfg, preprocess_cfg) of a tiny model of each open_clip family."""
    clip_pre = {"mean": CLIP_MEAN, "std": CLIP_STD, "interpolation": "bicubic", "resize_mode": "shortest"}
    if kind == "clip":
        return open_clip_arch(False), clip_pre
    if kind == "clip-quickgelu":
        return open_clip_arch(True), clip_pre
    if kind == "eva02":
        cfg = {"embed_dim": 16, "custom_text": True,
               "vision_cfg": {"image_size": 32, "timm_model_name": "bakeoff_tiny_eva02",
                              "timm_model_pretrained": False, "timm_pool": "token", "timm_proj": "linear"},
               "text_cfg": dict(TINY_TEXT)}
        return cfg, clip_pre
    if kind == "clipa":
        tok = _hf_tokenizer("wordpiece", folder)
        cfg = {"embed_dim": 16,
               "vision_cfg": dict(TINY_VIT, no_ln_pre=True, pool_type="avg", final_ln_after_pool=True),
               "text_cfg": {"context_length": 32, "vocab_size": len(tok), "hf_tokenizer_name": "bert-base-uncased",
                            "tokenizer_kwargs": {"strip_sep_token": True}, "width": 32, "heads": 2, "layers": 2,
                            "pool_type": "last", "no_causal_mask": True}}
        return cfg, {"mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225],
                     "interpolation": "bilinear", "resize_mode": "squash"}
    if kind == "siglip":
        tok = _hf_tokenizer("unigram", folder)
        cfg = {"embed_dim": 32, "init_logit_bias": -10, "custom_text": True,
               "vision_cfg": {"image_size": 32, "timm_model_name": "bakeoff_tiny_siglip",
                              "timm_model_pretrained": False, "timm_pool": "map", "timm_proj": "none"},
               "text_cfg": {"context_length": 64, "vocab_size": len(tok), "hf_tokenizer_name": "timm/ViT-B-16-SigLIP",
                            "tokenizer_kwargs": {"clean": "canonicalize"}, "width": 32, "heads": 2, "layers": 2,
                            "no_causal_mask": True, "proj_bias": True, "pool_type": "last", "norm_kwargs": {"eps": 1e-6}}}
        return cfg, {"mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5], "interpolation": "bicubic", "resize_mode": "squash"}
    raise ValueError(kind)


def _save_open_clip(kind: str, folder: Path) -> Path:
    import open_clip
    import torch
    from safetensors.torch import save_file

    _register_timm_towers()
    folder.mkdir(parents=True, exist_ok=True)
    model_cfg, pre = _open_clip_cfg(kind, folder)
    (folder / "open_clip_config.json").write_text(json.dumps({"model_cfg": model_cfg, "preprocess_cfg": pre}))
    torch.manual_seed(1)
    model = open_clip.create_model(f"local-dir:{folder}", load_weights=False)  # random init
    with torch.no_grad():
        model.logit_scale.fill_(math.log(30.0))
        if model.logit_bias is not None:
            model.logit_bias.fill_(-2.0)
    state = {k: v.detach().contiguous().clone() for k, v in model.state_dict().items()}
    save_file(state, str(folder / "open_clip_model.safetensors"))
    return folder


# ---- fixtures ----------------------------------------------------------------------------------

OPEN_CLIP_KINDS = ("clip", "clip-quickgelu", "eva02", "clipa", "siglip")
TRANSFORMERS_KINDS = ("clip", "altclip", "align", "siglip", "siglip2")


@pytest.fixture(scope="session")
def tiny_root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("tiny-models")


@pytest.fixture(scope="session")
def tiny_model_dir(tiny_root):
    """``tiny_model_dir(library, kind) -> Path``: builds each tiny model once."""
    built: dict[tuple[str, str], Path] = {}

    def get(library: str, kind: str) -> Path:
        key = (library, kind)
        if key not in built:
            folder = tiny_root / f"{library}-{kind}"
            folder.mkdir()
            built[key] = (_save_open_clip if library == "open_clip" else _save_transformers)(kind, folder)
        return built[key]

    return get


@pytest.fixture(scope="session")
def tiny_arch_file(tiny_root, tiny_model_dir) -> Path:
    """Registers architectures 'BakeoffTiny-ViT' and 'BakeoffTiny-ViT-quickgelu' with open_clip and
    returns a bare weights file (no sidecar config) trained-with-QuickGELU style."""
    import shutil

    import open_clip

    configs = tiny_root / "arch-configs"
    configs.mkdir()
    for name, qg in (("BakeoffTiny-ViT", False), ("BakeoffTiny-ViT-quickgelu", True)):
        (configs / f"{name}.json").write_text(json.dumps(open_clip_arch(qg)))
    open_clip.add_model_config(configs)
    bare = tiny_root / "bare-weights"
    bare.mkdir()
    target = bare / "finetuned.safetensors"
    shutil.copy(tiny_model_dir("open_clip", "clip-quickgelu") / "open_clip_model.safetensors", target)
    return target


@pytest.fixture(scope="session")
def images() -> list[Image.Image]:
    rng = np.random.default_rng(0)
    sizes = [(48, 40), (32, 32), (64, 50), (37, 61)]
    return [Image.fromarray(rng.integers(0, 255, (h, w, 3), dtype=np.uint8)) for w, h in sizes]


@pytest.fixture()
def model_zoo_dir(tmp_path, monkeypatch) -> Path:
    """An empty model zoo folder, set as bakeoff's for the test."""
    from bakeoff._config import config

    folder = tmp_path / "zoo-models"
    folder.mkdir()
    monkeypatch.setattr(config, "_model_zoo_dir", str(folder))
    return folder
