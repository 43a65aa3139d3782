"""Checks on names that become SQL identifiers or catalog keys.

SQLAlchemy quotes every identifier it emits; these checks keep the names
themselves predictable (no dots inside a field name, no reserved prefixes,
bounded length so PostgreSQL's 63-character limit is never hit silently).
"""

from __future__ import annotations

import re

from bakeoff.errors import FieldError

_FIELD_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
MAX_COLUMN_NAME = 63


def check_field_name(name: str) -> str:
    """Return ``name`` if it can name a field, else raise a :class:`FieldError`."""
    if not isinstance(name, str) or not _FIELD_NAME.match(name):
        raise FieldError(
            f"invalid field name {name!r}: a field name starts with a letter and holds only "
            "letters, digits and underscores (e.g. 'clip_vit_b32')"
        )
    return name


def check_field_path(path: str) -> str:
    """Return ``path`` (``name`` or ``name.sub``) if every part is a valid name."""
    if not isinstance(path, str) or not path:
        raise FieldError(f"invalid field path {path!r}: use a name such as 'ground_truth' or 'clip.label'")
    for part in path.split("."):
        check_field_name(part)
    if len(path) > MAX_COLUMN_NAME:
        raise FieldError(f"field path {path!r} is {len(path)} characters long; use at most {MAX_COLUMN_NAME}")
    return path
