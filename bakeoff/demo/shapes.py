"""A deterministic generator of labelled synthetic images: coloured shapes on varied backgrounds.

Every class is a colour and a shape ("red circle"); every image jitters the
background, position, scale, rotation, blur and noise, drawn from a seeded
random generator so the same seed always gives the same bytes. Captions come
from several templates, some naming only the shape or only the colour, for
training small CLIP-style models on them.

Example::

    from bakeoff.demo import write_dataset
    root = write_dataset("/tmp/shapes", per_class=20, seed=0)     # root/<class>/<nnnn>.png
    dataset = fo.Dataset.from_dir(root)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from bakeoff.errors import InvalidOptionError

COLORS: dict[str, tuple[int, int, int]] = {
    "red": (220, 40, 40), "green": (40, 170, 60), "blue": (40, 80, 220), "yellow": (235, 215, 40),
    "purple": (140, 60, 190), "orange": (240, 140, 30), "white": (245, 245, 245), "black": (20, 20, 20),
}
SHAPES = ("circle", "square", "triangle", "star", "hexagon", "cross", "diamond", "ring")

TEMPLATES_BOTH = ("a photo of a {color} {shape}", "a {color} {shape}", "a drawing of a {color} {shape}",
                  "a small {color} {shape}", "a {shape} that is {color}")
TEMPLATES_SHAPE = ("a photo of a {shape}", "a {shape}")
TEMPLATES_COLOR = ("something {color}", "a {color} thing")


@dataclass(frozen=True)
class ShapeSpec:
    """What one image shows and how it is jittered."""

    color: str
    shape: str
    background: tuple[int, int, int]
    center: tuple[float, float]  # fractions of the image size
    radius: float                # fraction of the image size
    rotation: float              # degrees
    blur: float                  # Gaussian blur radius in pixels
    noise: float                 # standard deviation of pixel noise

    @property
    def label(self) -> str:
        return f"{self.color} {self.shape}"


def class_names() -> list[str]:
    """All colour x shape class names, e.g. ``'red circle'`` (64 of them)."""
    return [f"{c} {s}" for c in COLORS for s in SHAPES]


def captions_for(color: str, shape: str) -> list[str]:
    """Every caption of a class: both attributes, the shape only, the colour only."""
    return ([t.format(color=color, shape=shape) for t in TEMPLATES_BOTH]
            + [t.format(shape=shape) for t in TEMPLATES_SHAPE] + [t.format(color=color) for t in TEMPLATES_COLOR])


def sample_spec(rng: np.random.Generator, color: str, shape: str) -> ShapeSpec:
    target = np.array(COLORS[color], dtype=float)
    while True:  # a background far enough from the shape's colour to be visible
        background = rng.integers(0, 256, 3)
        if np.linalg.norm(background - target) > 120:
            break
    red, green, blue = (int(v) for v in background)
    return ShapeSpec(
        color=color, shape=shape, background=(red, green, blue),
        center=(float(rng.uniform(0.3, 0.7)), float(rng.uniform(0.3, 0.7))),
        radius=float(rng.uniform(0.18, 0.3)), rotation=float(rng.uniform(0, 360)),
        blur=float(rng.choice([0.0, 0.0, 0.5, 1.0])), noise=float(rng.uniform(0, 12)),
    )


def _polygon(cx: float, cy: float, r: float, sides: int, rotation: float, inner: float | None = None):
    points = []
    steps = sides * (2 if inner else 1)
    for k in range(steps):
        angle = math.radians(rotation) + 2 * math.pi * k / steps
        radius = r if inner is None or k % 2 == 0 else r * inner
        points.append((cx + radius * math.cos(angle), cy + radius * math.sin(angle)))
    return points


def render(spec: ShapeSpec, size: int = 64, rng: np.random.Generator | None = None) -> Image.Image:
    """Draw one image (``rng`` adds the pixel noise; None for none)."""
    scale = 4  # draw large, then downsample: smooth edges
    big = size * scale
    image = Image.new("RGB", (big, big), spec.background)
    draw = ImageDraw.Draw(image)
    cx, cy, r = spec.center[0] * big, spec.center[1] * big, spec.radius * big
    fill = COLORS[spec.color]
    if spec.shape == "circle":
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=fill)
    elif spec.shape == "ring":
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=fill)
        draw.ellipse([cx - r * 0.55, cy - r * 0.55, cx + r * 0.55, cy + r * 0.55], fill=spec.background)
    elif spec.shape == "square":
        draw.polygon(_polygon(cx, cy, r, 4, spec.rotation + 45), fill=fill)
    elif spec.shape == "diamond":
        draw.polygon([(cx, cy - r), (cx + r * 0.6, cy), (cx, cy + r), (cx - r * 0.6, cy)], fill=fill)
    elif spec.shape == "triangle":
        draw.polygon(_polygon(cx, cy, r, 3, spec.rotation), fill=fill)
    elif spec.shape == "hexagon":
        draw.polygon(_polygon(cx, cy, r, 6, spec.rotation), fill=fill)
    elif spec.shape == "star":
        draw.polygon(_polygon(cx, cy, r, 5, spec.rotation, inner=0.45), fill=fill)
    elif spec.shape == "cross":
        w = r * 0.35
        arms = [[(-w, -r), (w, -r), (w, r), (-w, r)], [(-r, -w), (r, -w), (r, w), (-r, w)]]
        theta = math.radians(spec.rotation)
        for arm in arms:
            draw.polygon([(cx + x * math.cos(theta) - y * math.sin(theta), cy + x * math.sin(theta) + y * math.cos(theta))
                          for x, y in arm], fill=fill)
    else:
        raise InvalidOptionError(f"unknown shape {spec.shape!r}; shapes are {SHAPES}")
    image = image.resize((size, size), Image.Resampling.LANCZOS)
    if spec.blur:
        image = image.filter(ImageFilter.GaussianBlur(spec.blur))
    if rng is not None and spec.noise:
        pixels = np.asarray(image, dtype=np.float32) + rng.normal(0, spec.noise, (size, size, 3))
        image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    return image


def write_dataset(root: str | Path, per_class: int = 20, seed: int = 0, size: int = 64,
                  classes: list[str] | None = None) -> Path:
    """Write ``per_class`` PNGs per class into ``root/<class>/<nnnn>.png``; returns ``root``.

    Deterministic: the same arguments always give the same files. Each class
    and image index has its own random stream, so adding classes or images
    leaves the others unchanged.
    """
    root = Path(root)
    names = classes or class_names()
    for label in names:
        color, _, shape = label.partition(" ")
        if color not in COLORS or shape not in SHAPES:
            raise InvalidOptionError(f"unknown class {label!r}: classes are '<colour> <shape>' with colours "
                             f"{list(COLORS)} and shapes {list(SHAPES)}")
        folder = root / label
        folder.mkdir(parents=True, exist_ok=True)
        class_index = class_names().index(label)
        for i in range(per_class):
            rng = np.random.default_rng([seed, class_index, i])
            spec = sample_spec(rng, color, shape)
            render(spec, size, rng).save(folder / f"{i:04d}.png", optimize=False)
    return root
