"""The house keeps standing: no import cycle in app/, the standard layer pure, no hidden
function-local imports, every module under app/ used by the app itself (not only by tests), and
the app importable without development dependencies.  (The layer contracts are import-linter's,
in pyproject.toml, run by `make test`.)"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "app"


def _graph() -> grimp.ImportGraph:
    return grimp.build_graph("app")


def _cycles(graph: grimp.ImportGraph) -> list[set[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.find_modules_directly_imported_by(node):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = set()
            while True:
                item = stack.pop()
                on_stack.discard(item)
                component.add(item)
                if item == node:
                    break
            if len(component) > 1:
                found.append(component)

    sys.setrecursionlimit(10_000)
    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return found


def test_the_import_graph_has_no_cycle() -> None:
    graph = _graph()
    # packages import nothing (their __init__ is a docstring), so a cycle is a real one
    assert _cycles(graph) == []


def test_a_cycle_would_be_found() -> None:
    graph = _graph()
    graph.add_import(importer="app.ijw.model", imported="app.ijw.render")
    graph.add_import(importer="app.ijw.render", imported="app.ijw.model")
    assert any({"app.ijw.model", "app.ijw.render"} <= c for c in _cycles(graph))


def test_the_standard_layer_imports_nothing_else_of_app() -> None:
    graph = _graph()
    outside = {
        imported
        for module in graph.find_children("app.ijw") | graph.find_descendants("app.ijw")
        for imported in graph.find_modules_directly_imported_by(module)
        if imported.startswith("app.") and not imported.startswith("app.ijw")
    }
    assert outside == set()


def _imports_inside_functions(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for inner in ast.walk(node):
                if isinstance(inner, ast.Import | ast.ImportFrom):
                    out.append(f"{path.relative_to(ROOT)}:{inner.lineno}")
    return out


def test_no_function_local_imports_hide_dependencies() -> None:
    found = [hit for path in sorted(APP.rglob("*.py")) for hit in _imports_inside_functions(path)]
    assert found == []


def test_every_module_is_used_by_the_app() -> None:
    """Each module is reachable from the composition root or is Alembic's environment."""
    graph = _graph()
    reachable = {"app.bootstrap"} | graph.find_upstream_modules("app.bootstrap", as_package=False)
    packages = {
        m for m in graph.modules if (APP / Path(*m.split(".")[1:]) / "__init__.py").exists()
    }
    unused = sorted(graph.modules - reachable - packages - {"app"})
    assert unused == []


def test_app_imports_without_dev_dependencies() -> None:
    """`pip install .` without extras must import every module: no hypothesis, pytest, ..."""
    code = (
        "import sys, importlib, pkgutil\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        dev = {'hypothesis', 'pytest', 'testkit', 'tests', 'playwright'}\n"
        "        if name.split('.')[0] in dev:\n"
        "            raise ImportError(f'dev-only module {name} imported')\n"
        "sys.meta_path.insert(0, Block())\n"
        "import app\n"
        "for m in pkgutil.walk_packages(app.__path__, 'app.'):\n"
        "    importlib.import_module(m.name)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
