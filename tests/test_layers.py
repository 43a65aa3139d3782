"""bakeoff's layers: imports point down, nothing cycles, and no package reads another's private names.

:data:`LAYERS` lists bakeoff's packages from the bottom up. The scan reads every module under
``bakeoff/`` with ``ast``, and every import statement counts wherever it is: at the top, inside a
function (a lazy import is still a dependency: it only hides the cycle until run time), inside
``try``. Only ``if TYPE_CHECKING:`` blocks are left out: they never run, and annotations may name
a higher layer's types (core's door methods return evaluation's results).

A *package* is a folder under ``bakeoff/`` (``core``, ``evaluation``...), a top-level module
(``errors``, ``_config``, ``types``, ``_wiring``), or ``facade``: ``bakeoff/__init__.py``, the
public names (``from bakeoff import config`` imports the facade).

Private names (``_name``) belong to the package that defines them. A package may not import a
private name of another (``from bakeoff.core.dataset import _check_name``), import another's
private module (``bakeoff.storage._x``), nor touch ``x._name`` when ``_name`` is defined in another
package and not in its own (``collection._root()`` from evaluation). What the layers above core
need of it is :mod:`bakeoff.core.interface`.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import bakeoff

pytestmark = pytest.mark.one_database

ROOT = Path(bakeoff.__file__).parent
FACADE = "facade"

#: bakeoff's packages from the bottom up; an import may only point to a lower line (packages on one
#: line are siblings that know nothing of each other, e.g. core and models)
LAYERS: list[tuple[str, ...]] = [
    ("errors",),             # the exception classes every layer raises
    ("_config", "types"),    # settings (bakeoff.config); dataset type markers
    ("storage", "media"),    # the database (the only SQL); image files: where they live, how they decode
    ("core", "models"),      # datasets, views, samples, expressions; zero-shot model adapters: they never meet
    ("inference",),          # apply_model: core and models joined
    ("evaluation",),         # metrics, comparison, reports
    ("demo",),               # synthetic shapes and the shipped demo models (data the zoo serves)
    ("zoo",),                # datasets and models by name
    ("brain",),              # similarity, duplicates, prompt lab (embeddings from zoo models by name)
    ("app",),                # the web App: HTTP API and page
    ("_wiring",),            # tells core where its door methods' work lives (bakeoff.core.operations)
    (FACADE,),               # bakeoff/__init__.py: `import bakeoff as fo`
    ("cli",),                # the command line, on the public API
]


@dataclass(frozen=True)
class Import:
    """``source`` imports ``module`` at ``where`` (``path:line``)."""

    source: str  # the importing package
    module: str  # the imported module, e.g. bakeoff.core.dataset
    target: str  # its package
    where: str


@dataclass(frozen=True)
class PrivateRead:
    package: str
    what: str
    where: str

    def __str__(self) -> str:
        return f"{self.where}: {self.package} reads {self.what}"


class Tree:
    """The modules of one top-level package (``bakeoff``, or a small one a test plants)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.top = root.name
        self.files = sorted(root.rglob("*.py"))

    def module_of(self, path: Path) -> str:
        parts = list(path.relative_to(self.root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        return ".".join([self.top, *parts])

    def package_of_file(self, path: Path) -> str:
        parts = path.relative_to(self.root).parts
        if len(parts) > 1:
            return parts[0]
        return FACADE if parts[0] == "__init__.py" else parts[0][:-3]

    def is_module(self, module: str) -> bool:
        """A module file, or a folder of modules (with or without ``__init__.py``, as Python imports it)."""
        parts = module.split(".")
        if parts[0] != self.top:
            return False
        base = self.root.joinpath(*parts[1:])
        return base.with_suffix(".py").is_file() or (base.is_dir() and any(base.glob("*.py")))

    def package_of(self, module: str) -> str | None:
        """The package of a module or of a name in it; None outside this tree."""
        parts = module.split(".")
        if parts[0] != self.top:
            return None
        if len(parts) == 1 or not self.is_module(".".join(parts[:2])):
            return FACADE  # bakeoff itself, or a name it exports (bakeoff.config)
        return parts[1]

    def parse(self, path: Path) -> ast.Module:
        return ast.parse(path.read_text(), filename=str(path))

    def where(self, path: Path, node: ast.AST) -> str:
        return f"{path.relative_to(self.root.parent)}:{getattr(node, 'lineno', 0)}"


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def walk_running(node: ast.AST) -> Iterator[ast.AST]:
    """Every node under ``node`` except the bodies of ``if TYPE_CHECKING:`` (their ``else`` runs)."""
    for child in ast.iter_child_nodes(node):
        yield child
        if isinstance(child, ast.If) and _is_type_checking(child):
            for other in child.orelse:
                yield other
                yield from walk_running(other)
            continue
        yield from walk_running(child)


def imported_modules(tree: Tree, path: Path, node: ast.Import | ast.ImportFrom) -> list[tuple[str, str | None]]:
    """``(module, name)`` pairs an import statement brings in (``name`` None for ``import a.b``)."""
    if isinstance(node, ast.Import):
        return [(alias.name, None) for alias in node.names]
    base = node.module or ""
    if node.level:
        package = tree.module_of(path).split(".")
        if path.name != "__init__.py":
            package.pop()
        package = package[: len(package) - (node.level - 1)]
        base = ".".join([*package, *([node.module] if node.module else [])])
    return [(base, alias.name) for alias in node.names]


def imports(tree: Tree) -> list[Import]:
    """Every import between two different packages of ``tree`` that runs (see the module's docstring)."""
    found = []
    for path in tree.files:
        source = tree.package_of_file(path)
        for node in walk_running(tree.parse(path)):
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            for module, name in imported_modules(tree, path, node):
                if name is not None and tree.is_module(f"{module}.{name}"):
                    module = f"{module}.{name}"  # from bakeoff.evaluation import classification
                target = tree.package_of(module)
                if target is not None and target != source:
                    found.append(Import(source, module, target, tree.where(path, node)))
    return found


def graph(found: list[Import]) -> dict[str, dict[str, list[str]]]:
    """``{source: {target: [where, ...]}}``."""
    edges: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for imp in found:
        edges[imp.source][imp.target].append(imp.where)
    return edges


def find_cycle(edges: dict[str, dict[str, list[str]]]) -> list[str] | None:
    """A cycle of packages ``[a, b, ..., a]``, or None when the graph is acyclic."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(edges.get(node, {})):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt):], nxt]
            if nxt not in state:
                cycle = visit(nxt)
                if cycle:
                    return cycle
        path.pop()
        state[node] = 2
        return None

    for start in sorted(edges):
        if start not in state:
            cycle = visit(start)
            if cycle:
                return cycle
    return None


def describe_cycle(cycle: list[str], edges: dict[str, dict[str, list[str]]]) -> str:
    steps = [f"{a} -> {b} ({', '.join(edges[a][b][:3])})" for a, b in zip(cycle, cycle[1:], strict=False)]
    return "import cycle: " + " -> ".join(cycle) + "\n  " + "\n  ".join(steps)


def upward_imports(found: list[Import], layers: list[tuple[str, ...]]) -> list[str]:
    """Imports that do not point to a lower layer, and packages in no layer."""
    level = {package: i for i, line in enumerate(layers) for package in line}
    problems = []
    for imp in found:
        for package in (imp.source, imp.target):
            if package not in level:
                problems.append(f"package {package!r} is in no layer: add it to LAYERS in tests/test_layers.py")
        if imp.source in level and imp.target in level and level[imp.target] >= level[imp.source]:
            way = "sideways" if level[imp.target] == level[imp.source] else "up"
            problems.append(f"{imp.where}: {imp.source} imports {imp.module} ({imp.target}, {way})")
    return sorted(set(problems))


def private_definitions(tree: Tree) -> dict[str, set[str]]:
    """``{package: private names it defines}``: module- and class-level names, functions and classes,
    and attributes set on ``self``/``cls``."""
    defined: dict[str, set[str]] = defaultdict(set)

    def private(name: str) -> bool:
        return name.startswith("_") and not name.startswith("__")

    def visit(node: ast.AST, package: str, scope: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                if scope in ("module", "class") and private(child.name):
                    defined[package].add(child.name)
                visit(child, package, "class" if isinstance(child, ast.ClassDef) else "function")
                continue
            if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Store) and scope != "function":
                if private(child.id):
                    defined[package].add(child.id)
            if (isinstance(child, ast.Attribute) and isinstance(child.ctx, ast.Store) and private(child.attr)
                    and isinstance(child.value, ast.Name) and child.value.id in ("self", "cls")):
                defined[package].add(child.attr)
            visit(child, package, scope)

    for path in tree.files:
        visit(tree.parse(path), tree.package_of_file(path), "module")
    return defined


def private_reads(tree: Tree) -> list[PrivateRead]:
    """Private names of one package that another package imports or touches."""
    defined = private_definitions(tree)
    owners: dict[str, set[str]] = defaultdict(set)
    for package, names in defined.items():
        for name in names:
            owners[name].add(package)
    found = []
    for path in tree.files:
        package = tree.package_of_file(path)
        module_aliases: dict[str, str] = {}  # local name -> module of another package
        for node in ast.walk(tree.parse(path)):
            if isinstance(node, ast.Import | ast.ImportFrom):
                for module, name in imported_modules(tree, path, node):
                    full = f"{module}.{name}" if name is not None and tree.is_module(f"{module}.{name}") else module
                    target = tree.package_of(full)
                    if target is None or target == package:
                        continue
                    inner = full.split(".")[2:] if target != FACADE else []
                    if any(p.startswith("_") and not p.startswith("__") for p in inner):
                        found.append(PrivateRead(package, f"the private module {full}", tree.where(path, node)))
                    elif name is not None and full == module and name.startswith("_") and not name.startswith("__"):
                        found.append(PrivateRead(package, f"{module}.{name}", tree.where(path, node)))
                for alias in node.names:
                    if isinstance(node, ast.Import):
                        if alias.asname:
                            module_aliases[alias.asname] = alias.name
                    else:
                        module, name = imported_modules(tree, path, node)[0][0], alias.name
                        if tree.is_module(f"{module}.{name}"):
                            module_aliases[alias.asname or name] = f"{module}.{name}"
            elif isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
                where = tree.where(path, node)
                receiver = node.value.id if isinstance(node.value, ast.Name) else None
                module = module_aliases.get(receiver or "")
                target = tree.package_of(module) if module else None
                if target is not None and target != package:
                    found.append(PrivateRead(package, f"{module}.{node.attr}", where))
                elif node.attr not in defined[package] and owners.get(node.attr):
                    others = ", ".join(sorted(owners[node.attr]))
                    found.append(PrivateRead(package, f"{ast.unparse(node)} (defined in {others})", where))
    return found


# -- bakeoff itself ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bakeoff_imports() -> list[Import]:
    return imports(Tree(ROOT))


def test_the_import_graph_between_packages_has_no_cycle(bakeoff_imports):
    edges = graph(bakeoff_imports)
    cycle = find_cycle(edges)
    assert cycle is None, describe_cycle(cycle, edges)


def test_every_import_points_to_a_lower_layer(bakeoff_imports):
    problems = upward_imports(bakeoff_imports, LAYERS)
    assert not problems, "\n".join(problems)


def test_no_package_reads_another_packages_private_names():
    found = private_reads(Tree(ROOT))
    assert not found, "\n".join(map(str, found)) + "\n(core's interface for the layers above: bakeoff.core.interface)"


def test_core_imports_nothing_above_it_even_lazily(bakeoff_imports):
    above = {p for line in LAYERS[LAYERS.index(("core", "models")) + 1:] for p in line} | {"models"}
    wrong = [f"{imp.where}: {imp.module}" for imp in bakeoff_imports if imp.source == "core" and imp.target in above]
    assert not wrong, wrong


def test_the_scan_sees_every_package_of_bakeoff(bakeoff_imports):
    tree = Tree(ROOT)
    packages = {tree.package_of_file(path) for path in tree.files}
    assert {"core", "evaluation", "inference", "media", "storage", FACADE, "_wiring"} <= packages
    layered = {p for line in LAYERS for p in line}
    assert packages <= layered, f"add {sorted(packages - layered)} to LAYERS"
    assert {(imp.source, imp.target) for imp in bakeoff_imports} >= {("evaluation", "core"), ("inference", "core"),
                                                                      ("_wiring", "evaluation"), (FACADE, "app")}


def test_import_bakeoff_provides_every_door_and_loads_none_yet():
    code = ("import sys, bakeoff\n"
            "from bakeoff.core.operations import provided\n"
            "print(provided(), [m for m in ('bakeoff.evaluation', 'bakeoff.inference', 'bakeoff.brain', 'sklearn',"
            " 'scipy', 'torch', 'faiss', 'umap')"
            " if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["['brain',", "'evaluation',", "'inference']", "[]"]


def test_a_door_without_a_provider_says_what_is_missing():
    from bakeoff.core.operations import Operation, require
    from bakeoff.errors import MissingDependencyError

    with pytest.raises(MissingDependencyError, match=r"planted\(\) need bakeoff's 'unprovided' layer"):
        require(Operation("unprovided", "planted()"))


# -- the checker itself, on small planted trees ----------------------------------------------------


def plant(tmp_path: Path, files: dict[str, str]) -> Tree:
    root = tmp_path / "pkg"
    for name, text in {"__init__.py": "", **files}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        for folder in path.relative_to(root).parents:
            (root / folder / "__init__.py").touch()
        path.write_text(text)
    return Tree(root)


PLANT_LAYERS = [("errors",), ("core",), ("evaluation",), (FACADE,)]


def test_a_lazy_import_makes_a_cycle_and_a_type_checking_one_does_not(tmp_path):
    lazy = plant(tmp_path / "a", {
        "core/dataset.py": "def evaluate():\n    from pkg.evaluation import run\n    return run\n",
        "evaluation/run.py": "from pkg.core.dataset import evaluate\n",
    })
    edges = graph(imports(lazy))
    cycle = find_cycle(edges)
    assert cycle == ["core", "evaluation", "core"]
    assert "pkg/core/dataset.py:2" in describe_cycle(cycle, edges)
    assert upward_imports(imports(lazy), PLANT_LAYERS) == [
        "pkg/core/dataset.py:2: core imports pkg.evaluation.run (evaluation, up)"]
    typed = plant(tmp_path / "b", {
        "core/dataset.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.evaluation import run\n"
                           "else:\n    from pkg.errors import Oops\n",
        "evaluation/run.py": "from pkg.core.dataset import evaluate\n",
        "errors.py": "class Oops(Exception): ...\n",
    })
    assert find_cycle(graph(imports(typed))) is None
    assert upward_imports(imports(typed), PLANT_LAYERS) == []


def test_relative_and_facade_imports_are_resolved(tmp_path):
    tree = plant(tmp_path, {
        "__init__.py": "from pkg.core.dataset import Dataset\nconfig = 1\n",
        "core/dataset.py": "from .. import config\nfrom . import view\nclass Dataset: ...\n",
        "core/view.py": "",
        "newpkg/thing.py": "from pkg.errors import Oops\n",
        "errors.py": "class Oops(Exception): ...\n",
    })
    found = {(imp.source, imp.module, imp.target) for imp in imports(tree)}
    assert found == {(FACADE, "pkg.core.dataset", "core"), ("core", "pkg", FACADE), ("newpkg", "pkg.errors", "errors")}
    problems = upward_imports(imports(tree), PLANT_LAYERS)
    assert "pkg/core/dataset.py:1: core imports pkg (facade, up)" in problems
    assert "package 'newpkg' is in no layer: add it to LAYERS in tests/test_layers.py" in problems


def test_reads_of_another_packages_private_names_are_found_and_own_ones_are_not(tmp_path):
    tree = plant(tmp_path, {
        "core/dataset.py": (
            "_LIMIT = 3\n"
            "def _helper(): ...\n"
            "class Dataset:\n"
            "    def __init__(self):\n        self._engine = None\n"
            "    def _root(self):\n        return self\n"
            "    def count(self):\n        return self._root()._engine\n"),
        "evaluation/run.py": (
            "from pkg.core.dataset import _helper\n"
            "from pkg.core import dataset as ds\n"
            "import pkg.core._secret\n"
            "class Results:\n"
            "    def __init__(self, collection):\n        self._rows = []\n        self._collection = collection\n"
            "    def run(self, row):\n"
            "        self._rows.append(row._mapping)\n"  # own name; a third-party one
            "        return self._collection._root(), ds._LIMIT\n"),
        "core/_secret.py": "",
    })
    assert {str(r) for r in private_reads(tree)} == {
        "pkg/evaluation/run.py:1: evaluation reads pkg.core.dataset._helper",
        "pkg/evaluation/run.py:3: evaluation reads the private module pkg.core._secret",
        "pkg/evaluation/run.py:10: evaluation reads self._collection._root (defined in core)",
        "pkg/evaluation/run.py:10: evaluation reads pkg.core.dataset._LIMIT",
    }
