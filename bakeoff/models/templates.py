"""Prompt template sets, as data.

A template is a string with one ``{}`` where the class name goes. The sets here
are the ones zero-shot papers report with:

- ``"openai_imagenet"``: the 80 templates of OpenAI's CLIP ImageNet evaluation
  (Radford et al. 2021, "Prompt_Engineering_for_ImageNet.ipynb").
- ``"simple"``: the 7-template subset OpenAI found nearly as good (the same
  notebook; open_clip's ``SIMPLE_IMAGENET_TEMPLATES``).
- ``"fiftyone"``: FiftyOne's default prompt, ``"A photo of {}"``.

Example::

    >>> from bakeoff.models.templates import get_template_set
    >>> get_template_set("simple")[0]
    'itap of a {}.'
"""

from __future__ import annotations

from collections.abc import Sequence

from bakeoff.errors import PromptError, brief, suggest

OPENAI_IMAGENET_TEMPLATES: tuple[str, ...] = (
    'a bad photo of a {}.',
    'a photo of many {}.',
    'a sculpture of a {}.',
    'a photo of the hard to see {}.',
    'a low resolution photo of the {}.',
    'a rendering of a {}.',
    'graffiti of a {}.',
    'a bad photo of the {}.',
    'a cropped photo of the {}.',
    'a tattoo of a {}.',
    'the embroidered {}.',
    'a photo of a hard to see {}.',
    'a bright photo of a {}.',
    'a photo of a clean {}.',
    'a photo of a dirty {}.',
    'a dark photo of the {}.',
    'a drawing of a {}.',
    'a photo of my {}.',
    'the plastic {}.',
    'a photo of the cool {}.',
    'a close-up photo of a {}.',
    'a black and white photo of the {}.',
    'a painting of the {}.',
    'a painting of a {}.',
    'a pixelated photo of the {}.',
    'a sculpture of the {}.',
    'a bright photo of the {}.',
    'a cropped photo of a {}.',
    'a plastic {}.',
    'a photo of the dirty {}.',
    'a jpeg corrupted photo of a {}.',
    'a blurry photo of the {}.',
    'a photo of the {}.',
    'a good photo of the {}.',
    'a rendering of the {}.',
    'a {} in a video game.',
    'a photo of one {}.',
    'a doodle of a {}.',
    'a close-up photo of the {}.',
    'a photo of a {}.',
    'the origami {}.',
    'the {} in a video game.',
    'a sketch of a {}.',
    'a doodle of the {}.',
    'a origami {}.',
    'a low resolution photo of a {}.',
    'the toy {}.',
    'a rendition of the {}.',
    'a photo of the clean {}.',
    'a photo of a large {}.',
    'a rendition of a {}.',
    'a photo of a nice {}.',
    'a photo of a weird {}.',
    'a blurry photo of a {}.',
    'a cartoon {}.',
    'art of a {}.',
    'a sketch of the {}.',
    'a embroidered {}.',
    'a pixelated photo of a {}.',
    'itap of the {}.',
    'a jpeg corrupted photo of the {}.',
    'a good photo of a {}.',
    'a plushie {}.',
    'a photo of the nice {}.',
    'a photo of the small {}.',
    'a photo of the weird {}.',
    'the cartoon {}.',
    'art of the {}.',
    'a drawing of the {}.',
    'a photo of the large {}.',
    'a black and white photo of a {}.',
    'the plushie {}.',
    'a dark photo of a {}.',
    'itap of a {}.',
    'graffiti of the {}.',
    'a toy {}.',
    'itap of my {}.',
    'a photo of a cool {}.',
    'a photo of a small {}.',
    'a tattoo of the {}.',
)

SIMPLE_TEMPLATES: tuple[str, ...] = (
    'itap of a {}.',
    'a bad photo of the {}.',
    'a origami {}.',
    'a photo of the large {}.',
    'a {} in a video game.',
    'art of the {}.',
    'a photo of the small {}.',
)

FIFTYONE_TEMPLATES: tuple[str, ...] = ("A photo of {}",)

TEMPLATE_SETS: dict[str, tuple[str, ...]] = {
    "openai_imagenet": OPENAI_IMAGENET_TEMPLATES,
    "simple": SIMPLE_TEMPLATES,
    "fiftyone": FIFTYONE_TEMPLATES,
}


def get_template_set(name: str) -> tuple[str, ...]:
    """The templates of the named set; :class:`~bakeoff.errors.PromptError` (a ValueError) with close names if unknown.

    Example::

        >>> len(get_template_set("openai_imagenet"))
        80
    """
    try:
        return TEMPLATE_SETS[name]
    except KeyError:
        raise PromptError(
            f"unknown template set {brief(name)}; known sets: {sorted(TEMPLATE_SETS)}."
            + suggest(name, TEMPLATE_SETS)
        ) from None


def list_template_sets() -> list[str]:
    """Names of the template sets, e.g. ``['fiftyone', 'openai_imagenet', 'simple']``."""
    return sorted(TEMPLATE_SETS)


def check_template(template: str) -> str:
    """``template`` if it has exactly one ``{}``; else :class:`~bakeoff.errors.PromptError` (a ValueError) naming it."""
    if not isinstance(template, str) or template.count("{}") != 1:
        raise PromptError(
            f"prompt template {brief(template)} must contain exactly one '{{}}' where the class "
            "name goes, e.g. 'a photo of a {}.'"
        )
    return template


def as_templates(templates: str | Sequence[str]) -> tuple[str, ...]:
    """A set name or a list of templates, checked, as a tuple."""
    if isinstance(templates, str):
        if "{}" in templates:
            return (check_template(templates),)
        return get_template_set(templates)
    result = tuple(check_template(t) for t in templates)
    if not result:
        raise PromptError("templates is empty; pass at least one template such as 'a photo of a {}.'")
    return result
