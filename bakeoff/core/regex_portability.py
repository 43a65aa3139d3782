"""Regular expressions that Python's ``re`` (SQLite's REGEXP) and PostgreSQL read alike.

``re_match()`` runs on either database, so a pattern is accepted only in the
syntax both engines share; :func:`check_regex` names the portable spelling of
the rest (``\\b``, named groups, inline flags, ``{,n}``, POSIX classes...).

Example::

    check_regex("^cat(s)?$")    # fine
    check_regex("(?i)cat")      # InvalidViewError: ... pass options='i' to re_match() to ignore case
"""

from __future__ import annotations

import re

from bakeoff.errors import InvalidViewError, brief

#: the longest regular expression re_match() takes
MAX_REGEX_LENGTH = 10_000
#: PostgreSQL's largest repetition count in a regular expression (``a{255}``)
MAX_REGEX_REPEAT = 255


def check_regex(pattern: str) -> None:
    """InvalidViewError unless Python's ``re`` compiles ``pattern`` and PostgreSQL reads it the same way.

    SQLite's REGEXP is Python's ``re.search``; PostgreSQL has its own engine. The syntax they share is
    accepted; what one of them refuses or reads otherwise (``\\b``, named groups, inline flags, ``{,n}``,
    POSIX classes...) is refused here, with the portable spelling.
    """
    if len(pattern) > MAX_REGEX_LENGTH:
        raise InvalidViewError(f"the regular expression {brief(pattern)} is longer than {MAX_REGEX_LENGTH} "
                               "characters; shorten it")
    problem = _PortableRegex(pattern).problem()
    if problem is None:
        try:
            re.compile(pattern)
        except (re.error, RecursionError, OverflowError) as error:
            problem = f"it is not valid ({error})"
    if problem:
        raise InvalidViewError(f"regular expression {brief(pattern)}: {problem}")


#: escapes Python's re and PostgreSQL read alike (besides \ before ASCII punctuation, and \1-\9)
_PORTABLE_ESCAPES = frozenset("dDsSwWAZafnrtvuU")
_REPEAT = re.compile(r"\{(\d+)(?:,(\d*))?\}")
#: group openings both read alike, and whether each is a lookaround
_GROUPS = {"?:": False, "?=": True, "?!": True, "?<=": True, "?<!": True}


class _NotPortable(Exception):
    pass


class _PortableRegex:
    """Reads a pattern token by token for what PostgreSQL refuses or reads otherwise than Python's re."""

    def __init__(self, pattern: str) -> None:
        self.p, self.i = pattern, 0
        self.groups: list[bool] = []  # the open groups: True for lookarounds
        self.captures_in_lookaround = self.backrefs = False
        self.quantified = False  # the last token was a quantifier

    def problem(self) -> str | None:
        readers = {"\\": self._escape, "[": self._bracket, "(": self._open, ")": self._close, "{": self._repeat}
        try:
            while self.i < len(self.p):
                c = self.p[self.i]
                if c in "*+?":
                    self._quantifier(c)
                    self.i += 1
                elif c in readers:
                    readers[c]()
                else:
                    self.quantified, self.i = False, self.i + 1
            if self.captures_in_lookaround and self.backrefs:
                raise _NotPortable("groups inside lookahead or lookbehind do not capture in PostgreSQL, which "
                                   "numbers back-references otherwise: use (?:...) inside lookarounds")
        except _NotPortable as error:
            return str(error)
        return None

    def _quantifier(self, c: str) -> None:
        if self.quantified and c == "+":
            raise _NotPortable("possessive quantifiers (*+, ++, ?+) are Python-only: drop the second +")
        self.quantified = not (self.quantified and c == "?")  # a? is a quantifier, a+? a lazy one

    def _escape(self) -> None:
        nxt, after = self.p[self.i + 1:self.i + 2], self.p[self.i + 2:self.i + 3]
        if nxt and nxt in "123456789" and not (after and after in "0123456789"):
            if any(self.groups):
                raise _NotPortable("PostgreSQL refuses back-references inside lookahead or lookbehind")
            self.backrefs = True
        else:
            _check_escape(nxt, after)
        self.quantified, self.i = False, self.i + 2

    def _bracket(self) -> None:
        p, i = self.p, self.i + 1
        i += p.startswith("^", i)
        i += p.startswith("]", i)  # a leading ] is a literal in both
        while i < len(p) and p[i] != "]":
            if p[i] == "\\":
                _check_escape(p[i + 1:i + 2], p[i + 2:i + 3], in_class=True)
                i += 2
                continue
            if p[i] == "[":
                raise _NotPortable("a [ inside [...] starts a POSIX class such as [:alpha:] in PostgreSQL (and a "
                                   "nested set in Python): write \\[ for a literal [")
            if p[i] in "-&~|" and p.startswith(p[i], i + 1):
                raise _NotPortable(f"{p[i] * 2} inside [...] is a set operation in Python: escape it")
            i += 1
        self.quantified, self.i = False, i + 1

    def _open(self) -> None:
        rest = self.p[self.i + 1:self.i + 4]
        self.quantified = False
        if not rest.startswith("?"):
            self.captures_in_lookaround |= any(self.groups)
            self.groups.append(False)
            self.i += 1
        elif rest.startswith("?#"):  # a comment, read alike
            end = self.p.find(")", self.i)
            self.i = len(self.p) if end < 0 else end + 1
        else:
            prefix = next((g for g in _GROUPS if rest.startswith(g)), None)
            if prefix is None:
                raise _NotPortable(_group_problem(rest))
            self.groups.append(_GROUPS[prefix])
            self.i += 1 + len(prefix)

    def _close(self) -> None:
        if self.groups:
            self.groups.pop()
        self.quantified, self.i = False, self.i + 1

    def _repeat(self) -> None:
        match = _REPEAT.match(self.p, self.i)
        if match is None:
            raise _NotPortable("a { that does not start a repetition {m}, {m,} or {m,n} is read differently by "
                               "PostgreSQL: write {0,n} rather than {,n}, and \\{ for a literal brace")
        if max(int(n) for n in match.groups() if n) > MAX_REGEX_REPEAT:
            raise _NotPortable(f"PostgreSQL repeats at most {MAX_REGEX_REPEAT} times ({match.group()})")
        self._quantifier("{")
        self.i = match.end()


def _check_escape(nxt: str, after: str, in_class: bool = False) -> None:
    """Refuse an escape ``\\<nxt>`` that Python's re and PostgreSQL read differently."""
    if not nxt or nxt in _PORTABLE_ESCAPES or (nxt.isascii() and not nxt.isalnum()):
        return
    if nxt in "bB":
        raise _NotPortable("\\b and \\B are word boundaries in Python but a backspace in PostgreSQL: spell the "
                           "boundary out, e.g. (?<!\\w)cat(?!\\w)")
    if nxt == "x":
        raise _NotPortable("\\x is read differently (PostgreSQL takes every hex digit that follows): write \\u0041 "
                           "rather than \\x41")
    if nxt in "0123456789":
        where = "inside [...]" if in_class else "above \\9, and octal escapes,"
        raise _NotPortable(f"back-references {where} are read differently by PostgreSQL: write \\uXXXX for a "
                           "character")
    raise _NotPortable(f"the escape \\{nxt} is not one Python and PostgreSQL share: use \\d \\s \\w \\A \\Z \\n \\t "
                       "\\uXXXX, or \\ before punctuation")


def _group_problem(rest: str) -> str:
    if rest.startswith("?P"):
        return "named groups (?P<name>...) and (?P=name) are Python-only: use a plain group (...) and \\1"
    if rest.startswith("?>"):
        return "atomic groups (?>...) are Python-only: use a plain group (...)"
    if rest.startswith("?("):
        return "conditional groups (?(1)...|...) are Python-only: use alternatives (...|...)"
    return "inline flags such as (?i) or (?s:...) are not supported: pass options='i' to re_match() to ignore case"
