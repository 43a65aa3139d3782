"""The page's scripts are ES modules wired by explicit imports: no globals, no cycles, nothing unresolved.

A scan of the source text, no JavaScript engine: the page has no build step, and these checks need none.
The browser tests (test_browser.py) run the modules for real.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

STATIC = Path(__file__).resolve().parents[2] / "bakeoff" / "app" / "static"
MODULES = sorted(p.name for p in STATIC.glob("*.js"))

#: ``window.x = ...`` (or ``globalThis``/``self``) assignments the page truly needs, each with its reason
GLOBAL_ASSIGNMENTS_ALLOWED: dict[str, str] = {}

SCRIPT_TAG = re.compile(r"<script\b([^>]*)>(.*?)</script\s*>", re.S | re.I)
IMPORT = re.compile(r"^\s*import\s+(?:(?P<names>[^'\";]+?)\s+from\s+)?[\"'](?P<source>[^\"']+)[\"']", re.M)
DYNAMIC_IMPORT = re.compile(r"\bimport\s*\(")
EXPORT_DECLARATION = re.compile(r"^export\s+(?:async\s+)?(?:function\s*\*?|class|const|let|var)\s+([A-Za-z_$][\w$]*)",
                                re.M)
EXPORT_LIST = re.compile(r"^export\s*\{([^}]*)\}", re.M)
EXPORT_DEFAULT = re.compile(r"^export\s+default\b", re.M)
DECLARATION = re.compile(r"\b(?:function\s*\*?|class|const|let|var)\s+([A-Za-z_$][\w$]*)")
# a name, not a property (`.x`, but `...x` is a spread) and not an object key (`x: 1`)
NAME_USE = re.compile(r"(?<![\w$])(?:(?<=\.\.\.)|(?<!\.))([A-Za-z_$][\w$]*)(?!\s*:(?!:))")
GLOBAL_ASSIGNMENT = re.compile(r"\b(?:window|globalThis|self)\s*(?:\.\s*[A-Za-z_$][\w$]*|\[[^\]]*\])\s*=(?!=)")


def source(name: str, strings: bool = True) -> str:
    """The module's code without comments (so `// window.x = 1` matches nothing) and the text of template
    literals (their ${...} stay code); without the contents of quoted strings too unless ``strings``
    (import specifiers are quoted strings). Regex literals are not recognized: keep quotes out of them."""
    text = (STATIC / name).read_text(encoding="utf-8")
    out: list[str] = []
    depth: list[int] = []  # per open ${...} of a template literal: the braces opened inside it

    def template_text(i: int) -> int:  # from just after ` or }: to the closing ` or the next ${
        while i < len(text):
            if text[i] == "\\":
                i += 2
            elif text[i] == "`":
                out.append('""')
                return i + 1
            elif text.startswith("${", i):
                out.append('"" + (')
                depth.append(0)
                return i + 2
            else:
                i += 1
        return i

    i = 0
    while i < len(text):
        char = text[i]
        if text.startswith("//", i):
            i = text.find("\n", i) if "\n" in text[i:] else len(text)
        elif text.startswith("/*", i):
            i = text.find("*/", i + 2) + 2 if "*/" in text[i + 2:] else len(text)
        elif char in "\"'":
            j = i + 1
            while j < len(text) and text[j] != char:
                j += 2 if text[j] == "\\" else 1
            out.append(text[i:j + 1] if strings else char * 2)
            i = j + 1
        elif char == "`":
            i = template_text(i + 1)
        elif char == "}" and depth and depth[-1] == 0:
            depth.pop()
            out.append(") + ")
            i = template_text(i + 1)
        else:
            if depth and char in "{}":
                depth[-1] += 1 if char == "{" else -1
            out.append(char)
            i += 1
    return "".join(out)


def imports_of(name: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """(module file, [(imported name, local name)]) per import statement; "default" and "*" stand for
    default and namespace imports."""
    found = []
    for match in IMPORT.finditer(source(name)):
        clause, names = (match["names"] or "").strip(), []
        braces = re.search(r"\{([^}]*)\}", clause)
        if braces:
            for part in filter(None, (p.strip() for p in braces[1].split(","))):
                imported, _, local = part.partition(" as ")
                names.append((imported.strip(), (local or imported).strip()))
            clause = clause.replace(braces[0], "")
        clause = clause.strip().strip(",").strip()
        if clause.startswith("*"):
            names.append(("*", clause.split(" as ")[-1].strip()))
        elif clause:
            names.append(("default", clause))
        found.append((match["source"], names))
    return found


def exports_of(name: str) -> set[str]:
    text = source(name)
    names = set(EXPORT_DECLARATION.findall(text))
    for listed in EXPORT_LIST.findall(text):
        names |= {part.split(" as ")[-1].strip() for part in listed.split(",") if part.strip()}
    if EXPORT_DEFAULT.search(text):
        names.add("default")
    return names


def resolve(specifier: str) -> str:
    """A specifier's file in the static folder; only "./name.js" (no build step: no bare names, no URLs)."""
    assert re.fullmatch(r"\./[\w-]+\.js", specifier), (
        f"import {specifier!r}: import the page's own modules as \"./name.js\"")
    return specifier[2:]


def graph() -> dict[str, list[str]]:
    return {name: [resolve(spec) for spec, _ in imports_of(name)] for name in MODULES}


def entry_modules() -> list[str]:
    html = (STATIC / "index.html").read_text(encoding="utf-8")
    return [re.search(r"src=[\"']/static/([^\"']+)[\"']", attrs)[1] for attrs, _ in SCRIPT_TAG.findall(html)]


def test_every_script_tag_is_a_module_loaded_from_the_static_folder():
    html = (STATIC / "index.html").read_text(encoding="utf-8")
    tags = SCRIPT_TAG.findall(html)
    assert tags, "index.html loads no script"
    for attrs, body in tags:
        assert re.search(r"\btype=[\"']module[\"']", attrs), f"<script{attrs}>: give it type=\"module\""
        assert re.search(r"\bsrc=[\"']/static/[\w-]+\.js[\"']", attrs), f"<script{attrs}>: load a file from /static/"
        assert not body.strip(), "no inline script: the CSP (script-src 'self') would block it"
    assert entry_modules() == ["app.js"], "app.js is the page's one entry; it imports the rest"


def test_every_module_is_reached_from_the_entry():
    edges, seen, todo = graph(), set(), list(entry_modules())
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo += edges[name]
    assert seen == set(MODULES), f"not imported by any module (dead, or meant as a classic script): " \
                                 f"{sorted(set(MODULES) - seen)}"


@pytest.mark.parametrize("name", MODULES)
def test_each_import_names_a_module_that_exports_it(name):
    assert not DYNAMIC_IMPORT.search(source(name)), f"{name}: use a static import (the graph is checked here)"
    for specifier, names in imports_of(name):
        target = resolve(specifier)
        assert (STATIC / target).is_file(), f"{name} imports {specifier!r}, which is not in bakeoff/app/static"
        missing = sorted({imported for imported, _ in names} - exports_of(target) - {"*"})
        assert not missing, f"{name} imports {missing} from {target}, which exports {sorted(exports_of(target))}"


@pytest.mark.parametrize("name", MODULES)
def test_names_from_other_modules_are_imported_and_imports_are_used(name):
    """A forgotten import is a ReferenceError only when that code runs; an unused one is a stale edge in the graph."""
    text = source(name, strings=False)
    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("import "))
    imported = {local for _, names in imports_of(name) for _, local in names}
    elsewhere = set().union(*(exports_of(other) for other in MODULES if other != name)) - {"default"}
    used = set(NAME_USE.findall(body))
    forgotten = sorted((used & elsewhere) - imported - set(DECLARATION.findall(text)))
    assert not forgotten, f"{name} uses {forgotten} without importing them (another module exports them)"
    unused = sorted(imported - used)
    assert not unused, f"{name} imports {unused} but does not use them"


@pytest.mark.parametrize("name", MODULES)
def test_no_module_sets_globals(name):
    text = source(name, strings=False)
    found = [m[0] for m in GLOBAL_ASSIGNMENT.finditer(text) if m[0] not in GLOBAL_ASSIGNMENTS_ALLOWED]
    assert not found, f"{name} assigns globals {found}: export the value and import it where it is needed"
    assert not re.search(r"[\"']use strict[\"']", source(name)), f"{name}: modules are strict already"


def test_the_imports_form_no_cycle():
    edges, done, path = graph(), set(), []

    def visit(name: str) -> None:
        if name in path:
            cycle = path[path.index(name):] + [name]
            raise AssertionError(f"import cycle: {' -> '.join(cycle)}; move what both need into a lower module")
        if name in done:
            return
        path.append(name)
        for target in edges[name]:
            visit(target)
        path.pop()
        done.add(name)

    for name in MODULES:
        visit(name)


def test_the_scan_reads_each_form_of_import_and_export(tmp_path, monkeypatch):
    """The regexes above, on a module that uses each form (comments and strings hide look-alikes)."""
    (tmp_path / "x.js").write_text(
        'import { a, b as c } from "./y.js";\nimport d, { e } from "./z.js";\nimport * as ns from "./w.js";\n'
        'import "./side.js";\n// import { fake } from "./nope.js";\nconst s = "window.x = 1";\n'
        'export async function f() {}\nexport const g = 1;\nexport { h, i as j };\nexport default f;\n'
        "window.k = 2;\nconst t = `${a({ b: `${c}` })} window.m = 3 ${e}`;\n", encoding="utf-8")
    monkeypatch.setitem(globals(), "STATIC", tmp_path)
    assert imports_of("x.js") == [("./y.js", [("a", "a"), ("b", "c")]), ("./z.js", [("e", "e"), ("default", "d")]),
                                  ("./w.js", [("*", "ns")]), ("./side.js", [])]
    assert exports_of("x.js") == {"f", "g", "h", "j", "default"}
    assert [m[0] for m in GLOBAL_ASSIGNMENT.finditer(source("x.js", strings=False))] == ["window.k ="]
    assert source("x.js").splitlines()[-1] == 'const t = "" + (a({ b: "" + (c) + "" })) + "" + (e) + "";'


def test_the_server_serves_modules_as_javascript_under_a_self_only_csp(client):
    for name in MODULES:
        response = client.get(f"/static/{name}")
        assert response.status_code == 200, name
        assert response.headers["content-type"].split(";")[0] == "text/javascript", (name, response.headers)
        assert response.headers["cache-control"] == "no-cache"
        assert response.headers["x-content-type-options"] == "nosniff"
        policy = dict(part.strip().split(" ", 1) for part in response.headers["content-security-policy"].split(";"))
        assert policy["script-src"] == "'self'"
    page = client.get("/")
    assert '<script type="module" src="/static/app.js"></script>' in page.text
    again = client.get("/static/app.js", headers={"if-none-match": client.get("/static/app.js").headers["etag"]})
    assert again.status_code == 304  # revalidation is cheap
