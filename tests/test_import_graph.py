"""The app's import graph has no cycle: not between modules, not between packages.

import-linter's contracts say who may import whom, but a cycle inside one
layer (two modules of ``core.sessions`` importing each other, or a deferred
import inside a function that closes a loop) breaks none of them. This test
builds the graph with grimp (what import-linter itself uses), deferred
imports included, and finds every strongly connected component.

Modules: imports under ``if TYPE_CHECKING:`` are left out, because they never
run and cannot make an import-time cycle. Packages (``cli``, ``gui``,
``core.sessions``, ``core.signin``, ...): every import counts, type-only ones
too, because a loop between packages is a loop in the architecture.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import grimp
import pytest

APP_PACKAGES = ("aws_login_tray", "cli", "core", "credproc", "gui", "resources")


def cycles(nodes: Iterable[str], imported_by: Callable[[str], Iterable[str]]) -> list[list[str]]:
    """Every group of nodes that import each other in a loop (Tarjan's strongly connected components)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(imported_by(node)):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component: list[str] = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in imported_by(node):
                found.append(sorted(component))

    for node in sorted(nodes):
        if node not in index:
            visit(node)
    return found


def package_of(module: str) -> str:
    """``core.sessions.engine`` -> ``core.sessions``; ``gui.tray`` -> ``gui``."""
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "core" and len(parts) > 1 else parts[0]


def package_cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    edges: dict[str, set[str]] = {}
    for module in graph.modules:
        for target in graph.find_modules_directly_imported_by(module):
            source, destination = package_of(module), package_of(target)
            if source != destination:
                edges.setdefault(source, set()).add(destination)
    packages = {package_of(module) for module in graph.modules}
    return cycles(packages, lambda package: edges.get(package, set()))


@pytest.fixture(scope="module")
def runtime_graph() -> grimp.ImportGraph:
    return grimp.build_graph(*APP_PACKAGES, exclude_type_checking_imports=True, cache_dir=None)


@pytest.fixture(scope="module")
def full_graph() -> grimp.ImportGraph:
    return grimp.build_graph(*APP_PACKAGES, cache_dir=None)


def test_no_module_imports_itself_back(runtime_graph: grimp.ImportGraph) -> None:
    assert {"core.sessions.engine", "gui.tray", "cli.main", "credproc.fastpath"} <= runtime_graph.modules
    assert cycles(runtime_graph.modules, runtime_graph.find_modules_directly_imported_by) == []


def test_no_package_imports_itself_back(full_graph: grimp.ImportGraph) -> None:
    assert package_cycles(full_graph) == []


def test_the_check_sees_a_cycle_when_there_is_one() -> None:
    graph = grimp.ImportGraph()
    for importer, imported in [
        ("core.sessions.engine", "core.signin.client"),
        ("core.signin.client", "core.storage.store"),
        ("core.storage.store", "core.sessions.engine"),  # the upward import that closes the loop
        ("cli.main", "core.sessions.engine"),
    ]:
        graph.add_import(importer=importer, imported=imported)
    assert cycles(graph.modules, graph.find_modules_directly_imported_by) == [
        ["core.sessions.engine", "core.signin.client", "core.storage.store"]
    ]
    assert package_cycles(graph) == [["core.sessions", "core.signin", "core.storage"]]
