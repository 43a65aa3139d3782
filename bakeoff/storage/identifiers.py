"""Checks on names that become SQL identifiers or catalog keys.

SQLAlchemy quotes every identifier it emits; these checks keep the names
themselves predictable (no dots inside a field name, no reserved prefixes,
bounded length so PostgreSQL's 63-character limit is never hit silently).

Field names compare without case: SQLite's column names ignore case (``A`` and
``a`` are one column), while PostgreSQL's quoted ones keep it. bakeoff applies
SQLite's rule on both databases, so a dataset made on one can move to the other.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from bakeoff.errors import FieldError

#: what a field name looks like; the App's request models use the same pattern
FIELD_NAME_PATTERN = r"^[A-Za-z][A-Za-z0-9_]*$"
_FIELD_NAME = re.compile(FIELD_NAME_PATTERN)
MAX_COLUMN_NAME = 63


def check_field_name(name: str) -> str:
    """Return ``name`` if it can name a field, else raise a :class:`FieldError`."""
    # fullmatch: "$" alone would let a trailing newline through
    if not isinstance(name, str) or not _FIELD_NAME.fullmatch(name):
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


def name_key(name: str) -> str:
    """What two field names must not share: the name without case (names are ASCII)."""
    return name.lower()


def check_no_case_clash(names: Iterable[str], existing: Iterable[str] = ()) -> None:
    """Raise a :class:`FieldError` if a name of ``names`` differs only in case from another of them or from
    one of ``existing`` (the fields a dataset has; a name equal to an existing one is not a clash)."""
    taken = {name_key(name): name for name in existing}
    new: dict[str, str] = {}
    for name in names:
        key = name_key(name)
        other = taken.get(key)
        if other is not None and other != name:
            raise FieldError(f"field {name!r} clashes with existing field {other!r}: "
                             "field names must differ in more than case")
        other = new.setdefault(key, name)
        if other != name:
            raise FieldError(f"field {name!r} clashes with field {other!r} added with it: "
                             "field names must differ in more than case")
