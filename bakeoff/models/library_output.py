"""What the model libraries print while bakeoff loads a model.

- Progress bars: transformers ("Loading weights") and huggingface_hub (downloads)
  draw their own bars. :func:`library_progress` turns them off for the load when
  bakeoff's progress is off (``progress=False``, ``bakeoff apply --no-progress``,
  ``config.show_progress_bars = False``) and restores them afterwards. The switch
  is process-wide for the duration of the load, as the libraries only offer that.
- One false warning: transformers 5 logs "Model config: bos_token_id must be
  `None` or an integer within the vocabulary" about *its own default* SigLIP text
  config (built to print a diff of the loaded config), on every SigLIP load.
  :func:`token_id_warnings` holds those warnings during the load; the loader then
  lets through only those whose value is the loaded model's own.

Example::

    with library_progress("transformers", show=False), token_id_warnings() as held:
        config = AutoConfig.from_pretrained(folder)
    held.release(config)
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

logger = logging.getLogger(__name__)

_TOKEN_ID_WARNING = re.compile(r"Model config: (?P<name>\w+_token_id) must be `None` or an integer within the "
                               r"vocabulary .*got (?P<value>-?\d+)\.")
#: the transformers logger whose config validation logs the token-id warnings
_CONFIG_LOGGER = "transformers.configuration_utils"


@contextmanager
def library_progress(library: str, show: bool) -> Iterator[None]:
    """Within the block, no progress bars from ``library`` ("transformers" or "open_clip") and huggingface_hub
    unless ``show``; their earlier state comes back after it."""
    if show:
        yield
        return
    from huggingface_hub import utils as hub

    hub_was_off = hub.are_progress_bars_disabled()
    transformers_was_on = False
    if library == "transformers":
        from transformers.utils import logging as transformers_logging

        transformers_was_on = transformers_logging.is_progress_bar_enabled()
        transformers_logging.disable_progress_bar()  # and huggingface_hub's
    else:
        hub.disable_progress_bars()
    try:
        yield
    finally:
        if transformers_was_on:
            transformers_logging.enable_progress_bar()
        if hub_was_off:
            hub.disable_progress_bars()
        else:
            hub.enable_progress_bars()


class HeldTokenIdWarnings(logging.Filter):
    """A logging filter that keeps transformers' token-id warnings back until :meth:`release`."""

    def __init__(self) -> None:
        super().__init__()
        self.held: list[tuple[logging.LogRecord, str, int]] = []

    def filter(self, record: logging.LogRecord) -> bool:
        match = _TOKEN_ID_WARNING.match(record.getMessage())
        if match is None:
            return True
        self.held.append((record, match["name"], int(match["value"])))
        return False

    def release(self, config: Any) -> None:
        """Log the held warnings that are about ``config`` (a transformers config); drop the others."""
        text_config = config.get_text_config(decoder=True) if hasattr(config, "get_text_config") else config
        for record, name, value in self.held:
            if getattr(text_config, name, None) == value:
                logging.getLogger(record.name).handle(record)
            else:
                logger.debug("dropped a transformers warning about its default config: %s", record.getMessage())
        self.held.clear()


@contextmanager
def token_id_warnings() -> Iterator[HeldTokenIdWarnings]:
    """Hold transformers' token-id warnings within the block; call ``release(config)`` after it."""
    held = HeldTokenIdWarnings()
    target = logging.getLogger(_CONFIG_LOGGER)
    target.addFilter(held)
    try:
        yield held
    finally:
        target.removeFilter(held)
