"""Every zoo entry and every scoring family, on tiny local models, against the library's own forward."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
import torch

from bakeoff.models import clean_class_name, list_zoo_models, load_zoo_model, zoo_model_info

CLASSES = ["dog", "tennis-shoes", "car_side", "an airplane", "cat"]  # as in conftest
OPEN_CLIP = "open-clip-torch"
TRANSFORMERS = "zero-shot-classification-transformer-torch"


@dataclass(frozen=True)
class Case:
    zoo_name: str
    library: str
    kind: str
    family: str

    @property
    def id(self) -> str:
        return f"{self.zoo_name}[{self.library}-{self.kind}]"


_OPEN_CLIP_FAMILIES = {"clip": "clip", "clip-quickgelu": "clip", "eva02": "clip", "clipa": "clip", "siglip": "siglip"}
_TRANSFORMERS_FAMILIES = {"clip": "clip", "altclip": "clip", "align": "align", "siglip": "siglip", "siglip2": "siglip"}
# each alias is tested on a tiny model of the family of the real model it names
_ALIAS_KIND = {
    "clip-vit-base32-torch": "clip-quickgelu",
    "clip-vit-b32-openai": "clip-quickgelu",
    "clipa-vit-l14-datacomp1b": "clipa",
    "dfn-vit-b16-dfn2b": "clip-quickgelu",
    "eva02-clip-vit-b16": "eva02",
    "metaclip-vit-b32-400m": "clip-quickgelu",
    "siglip-vit-b16": "siglip",
    "altclip": "altclip",
    "align-base": "align",
    "demo-clip": "clip",
    "demo-siglip": "siglip",
    "demo-openclip": "clip",
}


def _cases() -> list[Case]:
    cases = []
    for name in list_zoo_models():
        base = zoo_model_info(name)["base"]
        library = "open_clip" if base in (OPEN_CLIP, "clip-vit-base32-torch") else "transformers"
        families = _OPEN_CLIP_FAMILIES if library == "open_clip" else _TRANSFORMERS_FAMILIES
        kinds = [_ALIAS_KIND[name]] if name in _ALIAS_KIND else list(families)
        cases += [Case(name, library, kind, families[kind]) for kind in kinds]
    return cases


CASES = _cases()


def test_every_zoo_entry_and_family_has_a_case():
    assert {c.zoo_name for c in CASES} == set(list_zoo_models())
    covered = {(c.library, c.kind) for c in CASES}
    assert {("open_clip", k) for k in _OPEN_CLIP_FAMILIES} <= covered
    assert {("transformers", k) for k in _TRANSFORMERS_FAMILIES} <= covered


def _reference_open_clip(folder, images, prompts):
    import open_clip

    model, _, preprocess = open_clip.create_model_and_transforms(f"local-dir:{folder}")
    tokenizer = open_clip.get_tokenizer(f"local-dir:{folder}")
    with torch.no_grad():
        logits, _ = model.eval().get_logits(torch.stack([preprocess(i) for i in images]), tokenizer(prompts))
    sigmoid = model.logit_bias is not None
    return logits.numpy(), (logits.sigmoid() if sigmoid else logits.softmax(-1)).numpy()


def _reference_transformers(folder, kind, images, prompts):
    from transformers import AutoImageProcessor, AutoModel, AutoTokenizer

    model = AutoModel.from_pretrained(folder).eval()
    pixels = dict(AutoImageProcessor.from_pretrained(folder)(images=images, return_tensors="pt"))
    tokenizer = AutoTokenizer.from_pretrained(folder)
    if kind.startswith("siglip"):  # as SigLIP was trained: 64 tokens, no attention mask
        text = tokenizer(prompts, padding="max_length", max_length=64, return_tensors="pt")
        inputs = {"input_ids": text["input_ids"]}
    else:
        text = tokenizer(prompts, padding=True, return_tensors="pt")
        inputs = {k: v for k, v in text.items() if k in ("input_ids", "attention_mask", "token_type_ids")}
    with torch.no_grad():
        logits = model(**pixels, **inputs).logits_per_image
    return logits.numpy(), (logits.sigmoid() if kind.startswith("siglip") else logits.softmax(-1)).numpy()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_probabilities_match_the_library_forward(case, tiny_model_dir, images):
    folder = tiny_model_dir(case.library, case.kind)
    prompts = [f"A photo of {clean_class_name(c)}" for c in CLASSES]  # FiftyOne's text_prompt, names as words
    if case.library == "open_clip":
        kwargs = {"clip_model": f"local-dir:{folder}", "pretrained": ""}
        ref_logits, ref_probs = _reference_open_clip(folder, images, prompts)
    else:
        kwargs = {"name_or_path": str(folder)}
        ref_logits, ref_probs = _reference_transformers(folder, case.kind, images, prompts)

    model = load_zoo_model(case.zoo_name, classes=CLASSES, device="cpu", **kwargs)
    pred = model.predict(images)

    assert model.family == case.family
    assert model.prompts()[0] == ["A photo of dog"]
    np.testing.assert_allclose(pred.probabilities, ref_probs, atol=1e-5, rtol=0)
    np.testing.assert_allclose(pred.logits, ref_logits, atol=1e-4, rtol=1e-5)
    assert pred.labels == [CLASSES[i] for i in ref_probs.argmax(1)]
    np.testing.assert_allclose(pred.confidences, ref_probs.max(1), atol=1e-5)
    assert pred.embeddings.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(pred.embeddings, axis=1), 1.0, atol=1e-5)
    # probabilities are informative, not all equal (the tiny model is not degenerate)
    assert np.ptp(ref_probs) > 1e-3
