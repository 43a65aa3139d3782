"""The zero-shot classifier abstraction every adapter implements.

A :class:`ZeroShotModel` is a preprocessor, an image encoder, a text encoder, a
scorer (see :mod:`bakeoff.models.scoring`), a prompt spec (see
:mod:`bakeoff.models.prompts`) and a ``fingerprint`` that keys embedding caches.
It knows nothing of datasets: ``apply_model`` drives it like this::

    model = load_zoo_model("clip-vit-base32-torch", classes=["cat", "dog"])
    tensors = [model.preprocess(img) for img in pil_images]    # any thread
    image_emb = model.encode_images(tensors)                    # float32 [n, d], L2-normalized
    logits = model.score(image_emb)                             # [n, n_classes]
    probs = model.probabilities(logits)
    # or, in one call:
    model.predict(pil_images).labels                            # ['cat', 'dog', ...]

torch is imported on first use, not when this module is imported.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from bakeoff.errors import InvalidOptionError, brief
from bakeoff.models.errors import ModelInputError, NoClassesError, PromptError, PromptTypeError
from bakeoff.models.prompts import (
    TEXT_EMBEDDINGS,
    PromptCollision,
    PromptSpec,
    TextEmbeddingCache,
    describe_collisions,
    ensemble,
    prompt_collisions,
)
from bakeoff.models.scoring import Scorer, top_predictions

if TYPE_CHECKING:  # pragma: no cover
    import torch
    from PIL.Image import Image

logger = logging.getLogger(__name__)

PRECISIONS = ("fp32", "fp16", "bf16")


def resolve_device(device: str | None = None) -> str:
    """``device`` if given, else ``"cuda"`` when a GPU is visible, else ``"cpu"``.

    Example::

        >>> resolve_device("cpu")
        'cpu'
    """
    if device is not None:
        return str(device)
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def resolve_precision(device: str, precision: str | None = None) -> str:
    """``precision`` if given, else half precision (``"fp16"``) on GPU and ``"fp32"`` on CPU.

    ``"bf16"`` on CPU is the opt-in faster path (see the README of this package
    for its measured speed and agreement with fp32).

    Example::

        >>> resolve_precision("cpu"), resolve_precision("cuda:0")
        ('fp32', 'fp16')
    """
    if precision is None:
        return "fp16" if str(device).startswith("cuda") else "fp32"
    if precision not in PRECISIONS:
        raise InvalidOptionError(f"precision={brief(precision)} is not one of {PRECISIONS}; use 'fp32' for exact results")
    return precision


@dataclass(frozen=True)
class Predictions:
    """The result of :meth:`ZeroShotModel.predict`: one entry per image.

    ``logits`` are the pre-activation scores, ``probabilities`` their softmax
    (or sigmoid for SigLIP), ``confidences`` the top class's probability.
    """

    labels: list[str]
    confidences: np.ndarray
    logits: np.ndarray
    probabilities: np.ndarray
    embeddings: np.ndarray


class ZeroShotModel:
    """Base class of zero-shot image classifiers; adapters fill in four hooks.

    Subclasses implement :meth:`preprocess`, ``_image_features``,
    ``_text_features`` and set ``scorer`` and ``identity`` (architecture and
    weights, for the fingerprint).

    Args:
        classes: class names, or ``None`` to compute embeddings only.
        text_prompt: FiftyOne's prompt prefix (``"A photo of"`` + " " + class),
            or a template with ``{}``.
        templates: a template set name (``"openai_imagenet"``, ``"simple"``) or
            list of templates; several make an ensemble.
        class_prompts: ``{class: [prompts]}`` overriding the templates per class.
        clean_class_names: ``"car_side"`` -> ``"car side"`` in the prompts (default; the labels
            stay the class names); ``False`` puts the raw names in the prompts, as FiftyOne does.
        device: ``"cuda"``, ``"cpu"``, ``"cuda:1"``...; default CUDA when present.
        precision: ``"fp32"``, ``"fp16"`` or ``"bf16"``; default fp16 on GPU, fp32 on CPU.
        text_batch_size: prompts per text-tower call.
        cache: where prompt embeddings are kept (default: process-wide cache).
    """

    library: str = "base"
    scorer: Scorer
    identity: str
    #: the wrapped network; an adapter sets it when it loads the weights
    model: torch.nn.Module

    def __init__(
        self,
        *,
        classes: Sequence[str] | None = None,
        text_prompt: str | None = None,
        templates: str | Sequence[str] | None = None,
        class_prompts: Mapping[str, str | Sequence[str]] | None = None,
        clean_class_names: bool = True,
        device: str | None = None,
        precision: str | None = None,
        text_batch_size: int = 256,
        cache: TextEmbeddingCache | None = None,
    ) -> None:
        self.device = resolve_device(device)
        self.precision = resolve_precision(self.device, precision)
        self.text_batch_size = int(text_batch_size)
        self.cache = TEXT_EMBEDDINGS if cache is None else cache
        self._prompt_spec = PromptSpec.build(text_prompt, templates, class_prompts, clean_class_names)
        self._classes: list[str] | None = None
        self._class_embeddings: tuple[Any, np.ndarray, list[PromptCollision]] | None = None
        self.classes = classes

    # ---- hooks for adapters -------------------------------------------------
    def preprocess(self, image: Image) -> torch.Tensor | dict[str, torch.Tensor]:
        """One decoded PIL image -> the model's input tensor ``[3, H, W]``; thread-safe."""
        raise NotImplementedError

    def _image_features(self, pixels: Any) -> torch.Tensor:
        raise NotImplementedError

    def _text_features(self, prompts: list[str]) -> torch.Tensor:
        raise NotImplementedError

    # ---- classes and prompts ------------------------------------------------
    @property
    def classes(self) -> list[str] | None:
        """The class names to choose from; settable (``None`` for embeddings only)."""
        return None if self._classes is None else list(self._classes)

    @classes.setter
    def classes(self, value: Sequence[str] | None) -> None:
        if value is not None:
            if isinstance(value, str):
                raise PromptTypeError(f"classes must be a list of names, not the string {brief(value)}")
            value = list(value)
            bad = [c for c in value if not isinstance(c, str) or not c]
            if bad:
                raise PromptError(f"classes must be non-empty strings; got {brief(bad[:3])}")
            dupes = sorted({c for c in value if value.count(c) > 1})
            if dupes:
                raise PromptError(f"classes contain duplicates {brief(dupes[:5])}; pass each class once")
        self._classes = value
        self._class_embeddings = None

    @property
    def prompt_spec(self) -> PromptSpec:
        """How classes become prompts; set it or call :meth:`set_prompts`."""
        return self._prompt_spec

    @prompt_spec.setter
    def prompt_spec(self, spec: PromptSpec) -> None:
        self._prompt_spec = spec
        self._class_embeddings = None

    def set_prompts(
        self,
        text_prompt: str | None = None,
        templates: str | Sequence[str] | None = None,
        class_prompts: Mapping[str, str | Sequence[str]] | None = None,
        clean_class_names: bool = True,
    ) -> None:
        """Replace the prompt settings (arguments as in the constructor).

        Example::

            model.set_prompts(templates="openai_imagenet")   # 80-prompt ensemble
        """
        self.prompt_spec = PromptSpec.build(text_prompt, templates, class_prompts, clean_class_names)

    @property
    def text_prompt(self) -> str | None:
        """FiftyOne's ``text_prompt``; setting it replaces templates and other prompt settings."""
        return self._prompt_spec.text_prompt

    @text_prompt.setter
    def text_prompt(self, value: str | None) -> None:
        self.set_prompts(text_prompt=value)

    def prompts(self) -> list[list[str]]:
        """The prompts of each current class, e.g. ``[['A photo of cat'], ['A photo of dog']]``."""
        return self._prompt_spec.prompts_for(self._require_classes())

    def _require_classes(self) -> list[str]:
        if not self._classes:
            raise NoClassesError(
                f"{self.fingerprint} has no classes to classify into; pass classes=[...] to "
                "load_zoo_model() or set model.classes = [...] first (embeddings work without classes)"
            )
        return self._classes

    # ---- identity -----------------------------------------------------------
    @property
    def fingerprint(self) -> str:
        """Stable id of (library, architecture, weights, precision): the key of embedding caches.

        Example: ``'open_clip:ViT-B-32-quickgelu:openai:fp32'``.
        """
        return f"{self.library}:{self.identity}:{self.precision}"

    @property
    def family(self) -> str:
        """The scoring family: ``"clip"``, ``"align"`` or ``"siglip"``."""
        return self.scorer.family

    def __repr__(self) -> str:
        n = "None" if self._classes is None else len(self._classes)
        return f"<{type(self).__name__} {self.fingerprint} on {self.device}, {n} classes, {self.scorer.describe()}>"

    def to(self, device: str) -> ZeroShotModel:
        """Move the weights to ``device``, keeping the precision (and so the fingerprint and cache keys).

        Example::

            model.to("cuda:1")    # e.g. in a Ray replica that was given a GPU
        """
        self.model.to(device)
        self.device = str(device)
        return self

    # ---- encoding -------------------------------------------------------------
    @property
    def torch_dtype(self) -> torch.dtype:
        import torch

        return {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}[self.precision]

    def collate(self, batch: Any) -> Any:
        """PIL images, preprocessed tensors (or dicts of them), or a stacked tensor -> one batch."""
        import torch

        if isinstance(batch, (torch.Tensor, dict)):
            return batch
        items = [self.preprocess(x) if not isinstance(x, (torch.Tensor, dict)) else x for x in batch]
        if not items:
            raise ModelInputError("encode_images() got an empty batch; pass one or more images or tensors")
        if isinstance(items[0], dict):
            dicts = cast("list[dict[str, torch.Tensor]]", items)
            return {k: torch.stack([it[k] for it in dicts]) for k in dicts[0]}
        return torch.stack(cast("list[torch.Tensor]", items))

    def _to_device(self, x: Any) -> Any:
        if isinstance(x, dict):
            return {k: self._to_device(v) for k, v in x.items()}
        if x.is_floating_point():
            return x.to(self.device, dtype=self.torch_dtype, non_blocking=True)
        return x.to(self.device, non_blocking=True)

    def encode_images(self, batch: Any) -> np.ndarray:
        """Image embeddings, float32 ``[n, d]``, L2-normalized.

        ``batch``: a list of PIL images, a list of :meth:`preprocess` outputs, or
        a stacked ``[n, 3, H, W]`` tensor.

        Example::

            emb = model.encode_images([model.preprocess(img) for img in images])
        """
        import torch

        pixels = self._to_device(self.collate(batch))
        with torch.inference_mode():
            feats = self._image_features(pixels)
        return _normalized_numpy(feats)

    def encode_texts(self, prompts: Sequence[str]) -> np.ndarray:
        """Prompt embeddings, float32 ``[m, d]``, L2-normalized; cached per (fingerprint, prompt).

        Example::

            model.encode_texts(["a photo of a cat", "a photo of a dog"]).shape   # (2, 512)
        """
        import torch

        prompts = list(prompts)
        if not prompts:
            raise ModelInputError("encode_texts() got no prompts; pass one or more strings")
        found = self.cache.get(self.fingerprint, prompts)
        missing = sorted({p for p in prompts if p not in found}, key=lambda p: (len(p), p))
        # sorted by length so each batch pads to similar lengths
        for start in range(0, len(missing), self.text_batch_size):
            chunk = missing[start : start + self.text_batch_size]
            with torch.inference_mode():
                emb = _normalized_numpy(self._text_features(chunk))
            self.cache.put(self.fingerprint, chunk, emb)
            found.update(zip(chunk, emb))
        return np.stack([found[p] for p in prompts]).astype(np.float32)

    def text_embeddings(self) -> np.ndarray:
        """One embedding per current class (ensembled over its prompts), ``[n_classes, d]``.

        Computed once per classes/prompt settings; classes whose embeddings collide (see
        :meth:`prompt_collisions`) are named in a logged warning then.
        """
        return self._embedded_classes()[1]

    def _embedded_classes(self) -> tuple[Any, np.ndarray, list[PromptCollision]]:
        """``(key, class embeddings, collisions)`` for the current classes and prompts, computed once."""
        key = (tuple(self._require_classes()), self._prompt_spec, self.fingerprint)
        if self._class_embeddings is None or self._class_embeddings[0] != key:
            per_class = self.prompts()
            flat = [p for group in per_class for p in group]
            emb = self.encode_texts(flat)
            if len(flat) != len(per_class):
                emb = ensemble(emb, [len(g) for g in per_class])
            collisions = prompt_collisions(list(key[0]), per_class, emb)
            if collisions:
                logger.warning("%s: %s", self.fingerprint, describe_collisions(collisions))
            self._class_embeddings = (key, emb, collisions)
        return self._class_embeddings

    def prompt_collisions(self) -> list[PromptCollision]:
        """Groups of current classes this model cannot tell apart: identical prompts, or class
        embeddings with cosine similarity >= :data:`~bakeoff.models.prompts.COLLISION_THRESHOLD`.

        Every image gets the same score for the classes of a group. Each group is
        ``{"classes": [...], "cosine": float, "same_prompts": bool}``.

        Example::

            >>> model.classes = ["Faces", "Faces_easy", "car_side"]      # doctest: +SKIP
            >>> model.prompt_collisions()                                # doctest: +SKIP
            [{'classes': ['Faces', 'Faces_easy'], 'cosine': 0.9996, 'same_prompts': False}]
        """
        return [group.copy() for group in self._embedded_classes()[2]]

    # ---- scoring --------------------------------------------------------------
    def score(self, image_emb: np.ndarray, text_emb: np.ndarray | None = None) -> np.ndarray:
        """Logits ``[n, n_classes]`` (pre-activation scores); ``text_emb`` defaults to the classes'."""
        return self.scorer.score(image_emb, self.text_embeddings() if text_emb is None else text_emb)

    def probabilities(self, logits: np.ndarray) -> np.ndarray:
        """Softmax over classes (CLIP, ALIGN) or per-class sigmoid (SigLIP)."""
        return self.scorer.probabilities(logits)

    def predict(self, images: Any) -> Predictions:
        """Classify PIL images (or preprocessed tensors) into the current classes.

        Example::

            >>> model = load_zoo_model("clip-vit-base32-torch", classes=["cat", "dog"])  # doctest: +SKIP
            >>> model.predict([Image.open("cat.jpg")]).labels                            # doctest: +SKIP
            ['cat']
        """
        classes = self._require_classes()
        emb = self.encode_images(images)
        logits = self.score(emb)
        probs = self.probabilities(logits)
        idx, conf = top_predictions(probs)
        return Predictions([classes[i] for i in idx], conf, logits, probs, emb)


def _normalized_numpy(feats: Any) -> np.ndarray:
    feats = feats.float()
    feats = feats / feats.norm(dim=-1, keepdim=True)
    out: np.ndarray = feats.cpu().numpy().astype(np.float32, copy=False)
    return out
