"""The architecture DESIGN.md describes, kept by a test.

- Apps depend one way: cms → meetings → votes → deliberation (demo may use them all).
- No import cycle between the modules of one app, whether the import sits at the top of a module
  or inside a function (an inner import hides a cycle; it does not break it).
- Imports inside functions only where the table below says why.
"""

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APPS = ("config", "cms", "meetings", "votes", "deliberation", "demo")
FORBIDDEN = {
    "deliberation": {"votes", "meetings", "cms", "demo"},
    "votes": {"meetings", "cms", "demo"},
    "meetings": {"cms", "demo"},
    "cms": {"demo"},
}

# Imports inside a function, each with the reason it cannot sit at the top of its module.
# Keyed by (module, imported module).
INNER_IMPORTS_ALLOWED: dict[tuple[str, str], str] = {
    ("meetings.apps", "meetings.signals"): "AppConfig.ready connects receivers once apps load",
    ("deliberation.apps", "deliberation.registry.services"): "post_migrate runs after apps load",
    ("cms.apps", "cms.page_cache"): "AppConfig.ready connects receivers once apps load",
}


def modules(app: str) -> dict[str, Path]:
    """Dotted module name -> file, for every module of ``app`` (migrations excluded)."""
    found = {}
    for path in (ROOT / app).rglob("*.py"):
        rel = path.relative_to(ROOT).with_suffix("")
        if "migrations" in rel.parts:
            continue
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


ALL_MODULES: dict[str, Path] = {}
for _app in APPS:
    ALL_MODULES.update(modules(_app))


def _type_checking_lines(tree: ast.Module) -> set[int]:
    """Line numbers inside ``if TYPE_CHECKING:`` blocks (not imports at run time)."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def imports_of(module: str) -> Iterator[tuple[str, bool, int]]:
    """(imported module, inside a function?, line) for each run-time import of ``module``."""
    path = ALL_MODULES[module]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _type_checking_lines(tree)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    inner: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for child in ast.walk(node):
                if isinstance(child, ast.Import | ast.ImportFrom):
                    inner.add(child.lineno)
    for node in ast.walk(tree):
        if node.lineno in skip if hasattr(node, "lineno") else False:
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno in inner, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                if node.level > 1:
                    base = base[: -(node.level - 1)]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            for alias in node.names:
                candidate = f"{source}.{alias.name}"
                target = candidate if candidate in ALL_MODULES else source
                yield target, node.lineno in inner, node.lineno


def own_graph(app: str) -> dict[str, set[str]]:
    mods = modules(app)
    graph: dict[str, set[str]] = {m: set() for m in mods}
    for module in mods:
        for target, _inner, _line in imports_of(module):
            # ``import a.b.c`` runs a, a.b and a.b.c: the nearest known module is the edge.
            while target and target not in mods:
                target = target.rpartition(".")[0]
            if target and target != module:
                graph[module].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


@pytest.mark.parametrize("app", sorted(FORBIDDEN))
def test_app_imports_only_downstream(app: str) -> None:
    offenders = []
    for module in modules(app):
        for target, _inner, line in imports_of(module):
            if target.split(".")[0] in FORBIDDEN[app]:
                offenders.append(f"{module}:{line} imports {target}")
    assert offenders == []


@pytest.mark.parametrize("app", APPS)
def test_no_import_cycle_inside_an_app(app: str) -> None:
    assert cycles(own_graph(app)) == []


def test_cycle_detection_finds_a_cycle() -> None:
    """The detector itself: a two-module loop and a three-module loop are reported."""
    graph = {"a": {"b"}, "b": {"a"}, "c": {"d"}, "d": {"e"}, "e": {"c"}, "f": {"a"}}
    assert sorted(cycles(graph)) == [["a", "b"], ["c", "d", "e"]]


def test_imports_inside_functions_have_a_reason() -> None:
    unexplained = []
    for module in sorted(ALL_MODULES):
        for target, inner, line in imports_of(module):
            if not inner:
                continue
            mine = target.split(".")[0] in APPS
            if mine and (module, target) not in INNER_IMPORTS_ALLOWED:
                unexplained.append(f"{module}:{line} imports {target} inside a function")
    assert unexplained == []
