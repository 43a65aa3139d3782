"""bakeoff's messages in the command line's words.

The library's errors and warnings name the Python call that fixes them ("pass
``overwrite=True``", "``list_datasets()`` shows ..."). The CLI prints those same
messages, so every one of them goes through :func:`to_cli` on its way out (errors
in :mod:`bakeoff.cli.main`, logged warnings through :class:`CliFormatter`): one
table, :data:`CLI_SPELLINGS`, maps each Python spelling to the option or command
that does the same. A message without a Python spelling is printed unchanged.

Example::

    >>> to_cli("a dataset named 'pets' exists already; pass overwrite=True to replace it")
    "a dataset named 'pets' exists already; pass --overwrite to replace it"
"""

from __future__ import annotations

import logging
import re

#: loader and prompt arguments of ``load_zoo_model``: ``--model-arg NAME=VALUE`` on the command line
_MODEL_ARGS = ("clip_model", "pretrained", "quick_gelu", "preprocess_cfg", "name_or_path", "class_prompts",
               "clean_class_names", "device", "precision", "text_batch_size")

#: (Python spelling, CLI spelling), applied in order; a spelling already followed by its CLI form
#: ("store_logits=True (CLI: --store-logits)") is left alone
CLI_SPELLINGS: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(p), r) for p, r in (
    (r"\blist_datasets\(\)", "'bakeoff datasets list'"),
    (r"\b(?:bakeoff|fo)\.load_dataset\((['\"])(?P<name>[^'\"]*)\1\)", r"'bakeoff datasets info \g<name>'"),
    (r"\blist_zoo_models\(\)", "'bakeoff zoo models'"),
    (r"\bdataset\.get_model_run_info\(field\)\['results'\]\['failures'\]", "this command's output (all with --json)"),
    (r"\boverwrite=True\b(?! \(CLI)", "--overwrite"),
    (r"\bpred_fields=\[\.\.\.\]", "--fields A,B"),
    (r"\bstore_logits=True\b(?! \(CLI)", "--store-logits"),
    (r"\bmethod='binary' needs classes=\(negative, positive\)", "--method binary needs --classes NEG,POS"),
    (r"\bmethod='top-k'", "--method top-k"),
    (r"\bclasses=\[\.\.\.\]", "--classes A,B"),
    (r"\btemplates=(?=')", "--templates "),
    (r"\btext_prompt=(?=')", "--prompt "),
    (rf"\b(pass|with|use|or) (?P<arg>(?:{'|'.join(_MODEL_ARGS)})=)", r"\1 --model-arg \g<arg>"),
))


def to_cli(message: str) -> str:
    """``message`` with each Python spelling of :data:`CLI_SPELLINGS` replaced by the CLI's."""
    for pattern, replacement in CLI_SPELLINGS:
        message = pattern.sub(replacement, message)
    return message


class CliFormatter(logging.Formatter):
    """Formats log records as usual, then in the command line's words (:func:`to_cli`)."""

    def format(self, record: logging.LogRecord) -> str:
        return to_cli(super().format(record))
