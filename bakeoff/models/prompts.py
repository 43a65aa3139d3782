"""From class names to prompts, and from prompt embeddings to class embeddings.

One :class:`PromptSpec` says how each class becomes text:

- ``text_prompt`` with FiftyOne's meaning: ``"A photo of"`` -> ``"A photo of dog"``
  (prompt, one space, class name). A ``text_prompt`` containing ``{}`` is a template.
- ``templates``: a template set name (``"openai_imagenet"``, ``"simple"``) or a
  list of strings with ``{}``; several templates make an *ensemble*: the class
  embedding is the mean of the normalized prompt embeddings, renormalized
  (Radford et al. 2021).
- ``class_prompts``: ``{class: [prompts]}`` for classes that need their own
  wording; the other classes use the templates.
- ``clean_class_names`` (on by default): the class name is written as words in the
  prompt, :func:`clean_class_name`: ``"car_side"`` -> ``"car side"``; the labels
  stay the class names as given. ``clean_class_names=False`` puts the raw name in
  the prompt, as FiftyOne does (``"A photo of car_side"``).

Models cannot tell apart classes whose prompts encode to the same text embedding
(identical prompts after cleaning, or words a small tokenizer does not know):
:func:`prompt_collisions` finds them.

Example::

    >>> spec = PromptSpec(text_prompt="A photo of")
    >>> spec.prompts_for(["dog", "car_side"])
    [['A photo of dog'], ['A photo of car side']]
    >>> PromptSpec(templates=["a {}.", "art of the {}."]).prompts_for(["car_side"])
    [['a car side.', 'art of the car side.']]
    >>> PromptSpec(text_prompt="A photo of", clean_class_names=False).prompts_for(["car_side"])
    [['A photo of car_side']]
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypedDict

import numpy as np

from bakeoff.errors import PromptError, PromptTypeError, brief
from bakeoff.models.templates import as_templates

DEFAULT_TEXT_PROMPT = "A photo of"
"""FiftyOne's default ``text_prompt`` for its zero-shot models."""

COLLISION_THRESHOLD = 0.999
"""Cosine similarity of two classes' text embeddings above which a model cannot tell them apart."""

_SEPARATORS = re.compile(r"[_\-\s]+")
# a lower-case run of two or more letters followed by a capitalised word: "tennisShoes", not "iPhone" or "McDonald"
_CAMEL = re.compile(r"(?<=[a-z]{2})([A-Z])(?=[a-z])")
# an all-capitals word of five or more letters is a shouted word ("BACKGROUND"), shorter ones acronyms ("TV", "USB")
_SHOUTED = re.compile(r"\b[A-Z]{5,}\b")


def clean_class_name(name: str) -> str:
    """A folder-style class name as words for a prompt (the label itself is never changed).

    The rules, in order: a camelCase boundary becomes a space and the next word is
    lower-cased (``"tennisShoes"`` -> ``"tennis shoes"``; not after a single lower-case
    letter: ``"iPhone"`` stays); underscores, hyphens and runs of white space become
    one space; an all-capitals word of five or more letters is lower-cased
    (``"BACKGROUND"``; shorter ones are acronyms: ``"TV"``, ``"USB"``). Nothing else
    changes: ``"Faces_easy"`` -> ``"Faces easy"``. Words a dataset means otherwise
    (Caltech-101's ``BACKGROUND_Google`` is clutter, not Google) need their own
    prompt: ``class_prompts={"BACKGROUND_Google": "a photo of clutter"}``.

    Example::

        >>> clean_class_name("car_side"), clean_class_name("tennisShoes"), clean_class_name("BACKGROUND_Google")
        ('car side', 'tennis shoes', 'background Google')
    """
    words = _CAMEL.sub(lambda m: " " + m.group(1).lower(), name)
    words = _SEPARATORS.sub(" ", words).strip()
    return _SHOUTED.sub(lambda m: m.group(0).lower(), words)


@dataclass(frozen=True)
class PromptSpec:
    """How class names become prompts; immutable, so it can key caches.

    ``templates`` wins over ``text_prompt`` when both are given. With neither,
    FiftyOne's default ``"A photo of"`` applies; ``text_prompt=""`` means the
    bare class name. Class names are cleaned into words unless
    ``clean_class_names=False``.
    """

    text_prompt: str | None = None
    templates: tuple[str, ...] | None = None
    class_prompts: tuple[tuple[str, tuple[str, ...]], ...] = ()
    clean_class_names: bool = True

    @classmethod
    def build(
        cls,
        text_prompt: str | None = None,
        templates: str | Sequence[str] | None = None,
        class_prompts: Mapping[str, str | Sequence[str]] | None = None,
        clean_class_names: bool = True,
    ) -> PromptSpec:
        """Check and normalize user arguments into a spec.

        Example::

            >>> PromptSpec.build(templates="simple").templates[0]
            'itap of a {}.'
        """
        if text_prompt is not None and not isinstance(text_prompt, str):
            raise PromptTypeError(f"text_prompt must be a string such as 'A photo of', not {brief(text_prompt)}")
        checked = as_templates(templates) if templates is not None else None
        pairs: list[tuple[str, tuple[str, ...]]] = []
        for name, prompts in (class_prompts or {}).items():
            prompts = (prompts,) if isinstance(prompts, str) else tuple(prompts)
            if not prompts or not all(isinstance(p, str) and p for p in prompts):
                raise PromptError(
                    f"class_prompts[{brief(name)}] = {brief(prompts)}: give one or more non-empty prompt strings"
                )
            pairs.append((name, prompts))
        return cls(text_prompt, checked, tuple(pairs), bool(clean_class_names))

    def _templates(self) -> tuple[str, ...]:
        if self.templates is not None:
            return self.templates
        prompt = DEFAULT_TEXT_PROMPT if self.text_prompt is None else self.text_prompt
        if "{}" in prompt:
            return (prompt,)
        return (f"{prompt} {{}}",) if prompt else ("{}",)

    def prompts_for(self, classes: Iterable[str]) -> list[list[str]]:
        """The prompts of each class, in order: one list per class.

        Example::

            >>> PromptSpec(text_prompt="").prompts_for(["cat"])
            [['cat']]
        """
        templates = self._templates()
        overrides = dict(self.class_prompts)
        result = []
        for name in classes:
            if name in overrides:
                result.append(list(overrides[name]))
                continue
            words = clean_class_name(name) if self.clean_class_names else name
            # replace() rather than format(): class names may contain braces
            result.append([t.replace("{}", words, 1) for t in templates])
        return result


class PromptCollision(TypedDict):
    """Classes a model cannot tell apart (see :func:`prompt_collisions`)."""

    classes: list[str]
    #: the lowest cosine similarity of two class embeddings in the group
    cosine: float
    #: whether every class of the group has the same prompts
    same_prompts: bool


def prompt_collisions(classes: Sequence[str], prompts: Sequence[Sequence[str]], embeddings: np.ndarray,
                      threshold: float = COLLISION_THRESHOLD) -> list[PromptCollision]:
    """Groups of classes whose class embeddings are (nearly) the same: a model cannot tell them apart.

    Two classes collide when their prompts are identical or the cosine similarity of their
    (normalized) embeddings is at least ``threshold``; collisions chain into groups. Each group:
    ``{"classes": [...], "cosine": lowest similarity in the group, "same_prompts": bool}``.

    Example::

        >>> e = np.array([[1, 0], [1, 1e-4], [0, 1]], dtype=np.float32)
        >>> prompt_collisions(["cat", "kitty", "dog"], [["a cat"], ["a kitty"], ["a dog"]], e)
        [{'classes': ['cat', 'kitty'], 'cosine': 1.0, 'same_prompts': False}]
    """
    emb = np.asarray(embeddings, dtype=np.float32)
    emb = emb / np.maximum(np.linalg.norm(emb, axis=1, keepdims=True), 1e-12)
    parent = list(range(len(classes)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    pairs: list[tuple[int, int]] = []
    by_prompts: dict[tuple[str, ...], int] = {}
    for i, group in enumerate(prompts):
        j = by_prompts.setdefault(tuple(group), i)
        if j != i:
            pairs.append((j, i))
    for start in range(0, len(emb), 1024):  # blocks: [1024, n] similarities at a time, not [n, n]
        sims = emb[start : start + 1024] @ emb.T
        rows, cols = np.nonzero(sims >= threshold)
        pairs.extend((start + int(r), int(c)) for r, c in zip(rows, cols, strict=True) if start + r < c)
    for i, j in pairs:
        parent[root(j)] = root(i)
    groups: dict[int, list[int]] = {}
    for i in range(len(classes)):
        groups.setdefault(root(i), []).append(i)
    result: list[PromptCollision] = []
    for members in groups.values():
        if len(members) < 2:
            continue
        block = emb[members] @ emb[members].T
        result.append({"classes": [classes[i] for i in members], "cosine": round(float(block.min()), 4),
                       "same_prompts": len({tuple(prompts[i]) for i in members}) == 1})
    return result


def describe_collisions(collisions: Sequence[PromptCollision]) -> str:
    """One sentence naming the colliding classes, for a warning (``""`` when none).

    Example::

        >>> describe_collisions([{"classes": ["Faces", "Faces_easy"], "cosine": 1.0, "same_prompts": False}])
        "classes the model cannot tell apart (text embeddings with cosine similarity >= 0.999): ['Faces', 'Faces_easy'] (cosine 1.0); give them distinct prompts with class_prompts= or merge them"
    """
    if not collisions:
        return ""
    shown = "; ".join(f"{brief(c['classes'][:6], 200)}"
                      + (" (identical prompts)" if c["same_prompts"] else f" (cosine {c['cosine']})")
                      for c in collisions[:5])
    more = f"; and {len(collisions) - 5} more groups" if len(collisions) > 5 else ""
    return (f"classes the model cannot tell apart (text embeddings with cosine similarity >= {COLLISION_THRESHOLD}): "
            f"{shown}{more}; give them distinct prompts with class_prompts= or merge them")


def ensemble(prompt_embeddings: np.ndarray, groups: Sequence[int]) -> np.ndarray:
    """Class embeddings from prompt embeddings: per-class mean of normalized rows, renormalized.

    ``groups[i]`` is how many consecutive rows belong to class ``i``.

    Example::

        >>> e = np.array([[1, 0], [0, 1], [1, 0]], dtype=np.float32)
        >>> ensemble(e, [2, 1]).astype(float).round(3).tolist()
        [[0.707, 0.707], [1.0, 0.0]]
    """
    emb = np.asarray(prompt_embeddings, dtype=np.float32)
    if sum(groups) != len(emb):
        raise PromptError(f"groups sum to {sum(groups)} but there are {len(emb)} prompt embeddings; "
                          "give one group size per class, adding up to the number of rows")
    emb = emb / np.linalg.norm(emb, axis=1, keepdims=True)
    starts = np.cumsum([0, *groups[:-1]]).astype(np.intp)
    means = np.add.reduceat(emb, starts, axis=0) / np.asarray(groups, dtype=np.float32)[:, None]
    normalized: np.ndarray = (means / np.linalg.norm(means, axis=1, keepdims=True)).astype(np.float32)
    return normalized


@dataclass
class TextEmbeddingCache:
    """Normalized prompt embeddings keyed by ``(fingerprint, prompt)``, LRU-bounded, thread-safe.

    One process-wide instance (:data:`TEXT_EMBEDDINGS`) serves every model, so
    reloading a model or changing classes re-encodes only the new prompts.

    Example::

        >>> cache = TextEmbeddingCache(max_entries=10)
        >>> cache.put("fp", ["a cat"], np.ones((1, 2), np.float32))
        >>> sorted(cache.get("fp", ["a cat", "a dog"]))
        ['a cat']
    """

    max_entries: int = 200_000
    _store: OrderedDict[tuple[str, str], np.ndarray] = field(default_factory=OrderedDict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    hits: int = 0
    misses: int = 0

    def __reduce__(self) -> tuple[Callable[..., TextEmbeddingCache], tuple[int, ...]]:
        # a model sent to another process (a Ray actor) uses that process's own cache, starting empty
        if self is TEXT_EMBEDDINGS:
            return _process_cache, ()
        return TextEmbeddingCache, (self.max_entries,)

    def get(self, fingerprint: str, prompts: Iterable[str]) -> dict[str, np.ndarray]:
        """The cached embeddings among ``prompts`` (missing ones are absent)."""
        found: dict[str, np.ndarray] = {}
        with self._lock:
            for prompt in prompts:
                row = self._store.get((fingerprint, prompt))
                if row is None:
                    self.misses += 1
                else:
                    self._store.move_to_end((fingerprint, prompt))
                    found[prompt] = row
                    self.hits += 1
        return found

    def put(self, fingerprint: str, prompts: Sequence[str], embeddings: np.ndarray) -> None:
        """Store one row of ``embeddings`` per prompt."""
        with self._lock:
            for prompt, row in zip(prompts, embeddings, strict=True):
                self._store[(fingerprint, prompt)] = np.array(row, dtype=np.float32)
            while len(self._store) > self.max_entries:
                self._store.popitem(last=False)

    def clear(self) -> None:
        """Forget everything (e.g. to measure encoding time)."""
        with self._lock:
            self._store.clear()
            self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._store)


TEXT_EMBEDDINGS = TextEmbeddingCache()
"""The process-wide text-embedding cache that models use unless given another."""


def _process_cache() -> TextEmbeddingCache:
    """The receiving process's :data:`TEXT_EMBEDDINGS` (how a pickled model finds its cache)."""
    return TEXT_EMBEDDINGS
