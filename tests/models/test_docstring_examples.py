"""The runnable examples in the model layer's docstrings stay true."""

from __future__ import annotations

import doctest
import importlib

import pytest


@pytest.mark.parametrize(
    "module",
    ["bakeoff.models", "bakeoff.models.prompts", "bakeoff.models.templates", "bakeoff.models.scoring",
     "bakeoff.models.zoo", "bakeoff.models.base", "bakeoff.models.offline"],
)
def test_docstring_examples(module):
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
