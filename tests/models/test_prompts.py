"""Prompts, templates, ensembles, class cleaning and the text-embedding cache (no model needed)."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from bakeoff.models.prompts import (
    PromptSpec,
    TextEmbeddingCache,
    clean_class_name,
    ensemble,
)
from bakeoff.models.templates import (
    OPENAI_IMAGENET_TEMPLATES,
    SIMPLE_TEMPLATES,
    as_templates,
    get_template_set,
    list_template_sets,
)


@pytest.mark.parametrize(
    ("name", "cleaned"),
    [
        ("tennis-shoes", "tennis shoes"),
        ("car_side", "car side"),
        ("car__side", "car side"),
        ("  spaced   out ", "spaced out"),
        ("t-shirt_v-neck", "t shirt v neck"),
        ("ak47", "ak47"),
        ("Golden Retriever", "Golden Retriever"),
        ("tennisShoes", "tennis shoes"),          # camelCase
        ("grandPianoKeys", "grand piano keys"),
        ("iPhone", "iPhone"),                     # not after a single lower-case letter
        ("McDonald", "McDonald"),
        ("BACKGROUND_Google", "background Google"),  # a shouted word is lower-cased...
        ("TV_remote", "TV remote"),               # ...an acronym is not
        ("USB-stick", "USB stick"),
        ("Faces_easy", "Faces easy"),
        ("water_lilly", "water lilly"),
    ],
)
def test_clean_class_name(name, cleaned):
    assert clean_class_name(name) == cleaned


@pytest.mark.parametrize(
    ("kwargs", "classes", "expected"),
    [
        ({}, ["dog"], [["A photo of dog"]]),  # FiftyOne's default text_prompt
        ({"text_prompt": "A photo of"}, ["car_side"], [["A photo of car side"]]),  # words by default
        ({"text_prompt": "A photo of", "clean_class_names": False}, ["car_side"], [["A photo of car_side"]]),
        ({"text_prompt": "a picture of a"}, ["tennis-shoes"], [["a picture of a tennis shoes"]]),
        ({"templates": ["a {}."], "clean_class_names": False}, ["BACKGROUND_Google"], [["a BACKGROUND_Google."]]),
        ({"text_prompt": ""}, ["dog"], [["dog"]]),
        ({"text_prompt": "a {} in the wild"}, ["dog"], [["a dog in the wild"]]),
        ({"templates": ["a {}.", "art of the {}."]}, ["dog", "cat"],
         [["a dog.", "art of the dog."], ["a cat.", "art of the cat."]]),
        ({"templates": "a {}!"}, ["dog"], [["a dog!"]]),
        ({"text_prompt": "ignored", "templates": ["a {}."]}, ["dog"], [["a dog."]]),  # templates win
        ({"class_prompts": {"cat": ["a kitty", "a cat"]}}, ["dog", "cat"],
         [["A photo of dog"], ["a kitty", "a cat"]]),
        ({"class_prompts": {"cat": "a kitty"}, "templates": ["x {}"]}, ["cat", "dog"], [["a kitty"], ["x dog"]]),
        ({"templates": ["{}."]}, ["{weird}"], [["{weird}."]]),  # braces in class names are text
    ],
)
def test_prompts_for(kwargs, classes, expected):
    assert PromptSpec.build(**kwargs).prompts_for(classes) == expected


def test_named_template_sets():
    assert len(OPENAI_IMAGENET_TEMPLATES) == 80 and len(set(OPENAI_IMAGENET_TEMPLATES)) == 80
    assert len(SIMPLE_TEMPLATES) == 7
    assert get_template_set("openai_imagenet") is OPENAI_IMAGENET_TEMPLATES
    assert PromptSpec.build(templates="simple").prompts_for(["dog"])[0][0] == "itap of a dog."
    assert {"openai_imagenet", "simple", "fiftyone"} <= set(list_template_sets())
    assert all(t.count("{}") == 1 for t in OPENAI_IMAGENET_TEMPLATES + SIMPLE_TEMPLATES)


@pytest.mark.parametrize(
    ("templates", "match"),
    [
        ("openai_imagenett", "Did you mean 'openai_imagenet'"),
        (["a photo of"], "exactly one '{}'"),
        (["a {} and {}"], "exactly one '{}'"),
        ([], "templates is empty"),
    ],
)
def test_bad_templates_say_what_and_how(templates, match):
    with pytest.raises(ValueError, match=match):
        as_templates(templates)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"class_prompts": {"cat": []}}, ValueError),
        ({"class_prompts": {"cat": [""]}}, ValueError),
        ({"text_prompt": 3}, TypeError),
    ],
)
def test_bad_prompt_arguments(kwargs, error):
    with pytest.raises(error):
        PromptSpec.build(**kwargs)


@pytest.mark.parametrize(
    ("rows", "groups", "expected"),
    [
        ([[1, 0], [0, 1]], [1, 1], [[1, 0], [0, 1]]),
        ([[1, 0], [0, 1]], [2], [[2**-0.5, 2**-0.5]]),
        ([[3, 0], [0, 1], [0, 5]], [2, 1], [[2**-0.5, 2**-0.5], [0, 1]]),  # rows normalized before averaging
        ([[1, 0], [1, 0], [0, 2]], [3], [[2 / 5**0.5, 1 / 5**0.5]]),
    ],
)
def test_ensemble_means_normalized_rows_and_renormalizes(rows, groups, expected):
    out = ensemble(np.array(rows, np.float32), groups)
    np.testing.assert_allclose(out, expected, atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-6)


def test_ensemble_rejects_wrong_groups():
    with pytest.raises(ValueError, match="groups sum to 3"):
        ensemble(np.ones((2, 4), np.float32), [1, 2])


def test_cache_keys_on_fingerprint_and_prompt_and_evicts_oldest():
    cache = TextEmbeddingCache(max_entries=2)
    cache.put("m1", ["a", "b"], np.eye(2, dtype=np.float32))
    assert set(cache.get("m1", ["a", "b", "c"])) == {"a", "b"}
    assert cache.get("m2", ["a"]) == {}  # another model never sees m1's embeddings
    cache.get("m1", ["a"])  # touch a: b is now the oldest
    cache.put("m1", ["c"], np.ones((1, 2), np.float32))
    assert set(cache.get("m1", ["a", "b", "c"])) == {"a", "c"}
    assert len(cache) == 2


def test_cache_is_thread_safe():
    cache = TextEmbeddingCache(max_entries=10_000)

    def work(i):
        for j in range(200):
            cache.put("fp", [f"{i}-{j}"], np.full((1, 4), j, np.float32))
            cache.get("fp", [f"{i}-{j}"])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(cache) == 800
    assert cache.get("fp", ["3-199"])["3-199"][0] == 199


# -- classes a model cannot tell apart (issue 16, item 13) -------------------------------------


def test_prompt_collisions_groups_near_identical_embeddings_and_identical_prompts():
    from bakeoff.models.prompts import COLLISION_THRESHOLD, describe_collisions, prompt_collisions

    emb = np.array([[1, 0, 0], [1, 1e-3, 0], [0, 1, 0], [0, 0, 1], [0, 0.02, 1]], dtype=np.float32)
    classes = ["cat", "kitty", "dog", "Faces", "Faces_easy"]
    prompts = [["a cat"], ["a kitty"], ["a dog"], ["a face"], ["a face"]]
    found = prompt_collisions(classes, prompts, emb)
    assert found == [{"classes": ["cat", "kitty"], "cosine": 1.0, "same_prompts": False},
                     {"classes": ["Faces", "Faces_easy"], "cosine": 0.9998, "same_prompts": True}]
    text = describe_collisions(found)
    assert "['cat', 'kitty']" in text and "['Faces', 'Faces_easy'] (identical prompts)" in text
    assert str(COLLISION_THRESHOLD) in text
    assert prompt_collisions(classes[:3], prompts[:3], emb[[0, 2, 3]]) == []
    assert describe_collisions([]) == ""


def test_prompt_collisions_chain_and_scale_in_blocks():
    from bakeoff.models.prompts import prompt_collisions

    rng = np.random.default_rng(0)
    emb = rng.normal(size=(2100, 8)).astype(np.float32)
    emb[2050] = emb[3]  # across the 1024-row blocks
    emb[7] = emb[3] * 2  # same direction: collides too, and joins the same group
    classes = [f"c{i}" for i in range(len(emb))]
    found = prompt_collisions(classes, [[c] for c in classes], emb)
    assert [g["classes"] for g in found] == [["c3", "c7", "c2050"]]
