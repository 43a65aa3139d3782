"""``RunOptions``: every knob of a batch run, with its defaults and checks in one place.

``apply_model``, ``apply_models`` and ``compute_embeddings`` keep their keyword
arguments; they build one :class:`RunOptions` (:meth:`RunOptions.build`), which
fills in the defaults (``bakeoff.config``, the decoder's limits) and refuses a
bad value with an :class:`~bakeoff.errors.InvalidOptionError` that names the
value and the fix. The batch engine (:mod:`bakeoff.inference.engine`) and both
backends read only this object.

Example::

    >>> options = RunOptions.build(batch_size=16, backend="local")
    >>> options.batch_size, options.backend
    (16, 'local')
    >>> RunOptions.build(batch_size=0)
    Traceback (most recent call last):
    ...
    bakeoff.errors.InvalidOptionError: batch_size=0: give a whole number of images per batch, 1 or more (e.g. 32)
"""

from __future__ import annotations

import operator
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bakeoff._config import config
from bakeoff.errors import InvalidOptionError, UnknownOptionError, brief, suggest
from bakeoff.media.decode import DEFAULT_DRAFT_SIZE, DEFAULT_MAX_PIXELS

BACKENDS = ("local", "ray")
#: the options only ``backend="ray"`` takes (the resources of each model replica, where Ray runs)
RAY_OPTIONS = ("replicas", "num_gpus", "num_cpus", "ray_address")
#: the most decoding threads picked when ``num_workers`` is not given
MAX_DEFAULT_WORKERS = 8


@dataclass(frozen=True)
class DecodeLimits:
    """What :func:`~bakeoff.media.decode.load_image` may decode: small and picklable (it travels to Ray)."""

    max_pixels: int = DEFAULT_MAX_PIXELS
    draft_size: int | None = DEFAULT_DRAFT_SIZE
    max_decoded_bytes: int | None = None


@dataclass(frozen=True)
class RayOptions:
    """Where and how wide ``backend="ray"`` runs: model replicas and each one's resources."""

    replicas: int = 1
    num_gpus: float = 0
    num_cpus: float | None = None
    address: str | None = None  # else RAY_ADDRESS, else a local Ray started here

    def extra(self) -> dict[str, Any]:
        """What a run's record says about the backend."""
        return {"backend": "ray", "replicas": self.replicas, "num_gpus_per_replica": self.num_gpus}


@dataclass(frozen=True)
class RunOptions:
    """How a batch run reads, decodes, encodes and reports; every field holds its final value.

    Build it with :meth:`build`, which applies the defaults and the checks; the
    constructor takes the values as they are.
    """

    batch_size: int = 32
    num_workers: int = 2
    store_logits: bool = False
    confidence_thresh: float | None = None
    skip_failures: bool = True
    #: True/False, None for ``config.show_progress_bars``, or a callable ``progress(done, total)``
    progress: bool | Callable[[int, int], Any] | None = None
    use_cache: bool = True
    max_pixels: int = DEFAULT_MAX_PIXELS
    draft_size: int | None = DEFAULT_DRAFT_SIZE  # 0 or None: JPEGs are decoded at full size
    #: None: ``bakeoff.media.decode.DEFAULT_MAX_DECODED_BYTES``, read when each image is decoded
    max_decoded_bytes: int | None = None
    backend: str = "local"
    ray: RayOptions | None = field(default=None)

    def decode_limits(self) -> DecodeLimits:
        return DecodeLimits(self.max_pixels, self.draft_size, self.max_decoded_bytes)

    @classmethod
    def build(cls, batch_size: int | None = None, num_workers: int | None = None, store_logits: bool = False,
              confidence_thresh: float | None = None, skip_failures: bool = True,
              progress: bool | Callable[[int, int], Any] | None = None, use_cache: bool = True,
              max_pixels: int | None = None, draft_size: int | None = None, max_decoded_bytes: int | None = None,
              backend: str | None = None, **backend_options: Any) -> RunOptions:
        """The options of one call, defaults filled in and every value checked.

        ``None`` means the default: ``batch_size`` from ``config.default_batch_size`` (else 32),
        ``num_workers`` from the CPU count (2 to 8), ``backend`` from ``config.backend``,
        ``max_pixels`` and ``draft_size`` from :mod:`bakeoff.media.decode`.
        ``backend_options`` are the Ray backend's: ``replicas``, ``num_gpus``, ``num_cpus``, ``ray_address``.
        """
        backend = backend or config.backend
        if backend not in BACKENDS:
            raise InvalidOptionError(f"unknown backend {brief(backend)}; use one of {list(BACKENDS)} "
                                     "(argument backend=, bakeoff.config.backend or BAKEOFF_BACKEND)")
        unknown = sorted(k for k in backend_options if k not in RAY_OPTIONS)
        if unknown:
            hint = "".join(suggest(k, [*RAY_OPTIONS, *_NAMES]) for k in unknown)
            raise UnknownOptionError(f"unknown options {unknown}; a run takes {sorted(_NAMES)}, "
                                     f"and with backend='ray' also {list(RAY_OPTIONS)}.{hint}")
        if backend_options and backend != "ray":
            raise UnknownOptionError(f"options {sorted(backend_options)} are for backend='ray', not the local "
                                     "backend; pass backend='ray' or leave them out")
        if batch_size is None:
            batch_size = config.default_batch_size or 32
        return cls(
            batch_size=_whole("batch_size", batch_size, 1, "images per batch, 1 or more (e.g. 32)"),
            num_workers=(_default_workers() if num_workers is None
                         else _whole("num_workers", num_workers, 1, "decoding threads, 1 or more")),
            store_logits=bool(store_logits),
            confidence_thresh=_fraction("confidence_thresh", confidence_thresh),
            skip_failures=bool(skip_failures),
            progress=_progress(progress),
            use_cache=bool(use_cache),
            max_pixels=(DEFAULT_MAX_PIXELS if max_pixels is None
                        else _whole("max_pixels", max_pixels, 1, "pixels an image may have, 1 or more")),
            draft_size=(DEFAULT_DRAFT_SIZE if draft_size is None
                        else _whole("draft_size", draft_size, 0, "pixels, or 0 to decode JPEGs at full size")),
            max_decoded_bytes=(None if max_decoded_bytes is None else
                               _whole("max_decoded_bytes", max_decoded_bytes, 1, "bytes one image may take decoded")),
            backend=backend,
            ray=_ray_options(**backend_options) if backend == "ray" else None,
        )


_NAMES = ("batch_size", "num_workers", "store_logits", "confidence_thresh", "skip_failures", "progress", "use_cache",
          "max_pixels", "draft_size", "max_decoded_bytes", "backend")


def _default_workers() -> int:
    return min(MAX_DEFAULT_WORKERS, max(2, os.cpu_count() or 2))


def _whole(name: str, value: Any, least: int, what: str) -> int:
    """``value`` as an int >= ``least``, or an InvalidOptionError saying what the option counts."""
    try:
        number = operator.index(value) if not isinstance(value, bool) else None
    except TypeError:
        number = None
    if number is None or number < least:
        raise InvalidOptionError(f"{name}={brief(value)}: give a whole number of {what}")
    return number


def _number(name: str, value: Any, least: float, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value >= least:
        raise InvalidOptionError(f"{name}={brief(value)}: give {what}")
    return value


def _fraction(name: str, value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise InvalidOptionError(f"{name}={brief(value)}: give a probability between 0 and 1 (labels below it "
                                 "are left empty), or None to keep every label")
    return float(value)


def _progress(value: Any) -> bool | Callable[[int, int], Any] | None:
    if value is None or isinstance(value, bool) or callable(value):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise InvalidOptionError(f"progress={brief(value)}: give True or False for the bar, None for "
                             "bakeoff.config.show_progress_bars, or a callable progress(done, total)")


def _ray_options(replicas: int = 1, num_gpus: float = 0, num_cpus: float | None = None,
                 ray_address: str | None = None) -> RayOptions:
    return RayOptions(
        replicas=_whole("replicas", replicas, 1, "model replicas, 1 or more"),
        num_gpus=_number("num_gpus", num_gpus, 0, "the GPUs of each replica: 0 or more (0.5 shares a GPU)"),
        num_cpus=None if num_cpus is None else _number("num_cpus", num_cpus, 0, "the CPUs of each replica: 0 or more"),
        address=ray_address,
    )
