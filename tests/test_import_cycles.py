"""No import circle anywhere in our packages (issue 26.1): a module that imports, directly or
through others, a module that imports it back cannot be read, tested or moved on its own.

import-linter's ``acyclic_siblings`` contract (``make lint``) says which imports to cut; this
test is the exact statement over every module, package ``__init__`` files included,
``TYPE_CHECKING`` and function-level imports too (grimp, which import-linter uses, sees them).
"""

from __future__ import annotations

import grimp

PACKAGES = ("gui", "stream_core", "embedded_server")


def circles(graph: grimp.ImportGraph) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            module, edges = work[-1]
            for target in edges:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(
                        graph.find_modules_directly_imported_by(target)))))
                    break
                if target in on_stack:
                    low[module] = min(low[module], index[target])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[module])
                if low[module] == index[module]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == module:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
    return found


def test_no_module_imports_itself_back() -> None:
    graph = grimp.build_graph(*PACKAGES)
    assert circles(graph) == []


def test_a_circle_is_found() -> None:
    """The check itself: a circle of three modules (and one of two) is reported."""
    graph = grimp.ImportGraph()
    for a, b in (("p.a", "p.b"), ("p.b", "p.c"), ("p.c", "p.a"), ("p.c", "p.d"),
                 ("p.e", "p.f"), ("p.f", "p.e")):
        graph.add_import(importer=a, imported=b)
    assert sorted(circles(graph)) == [["p.a", "p.b", "p.c"], ["p.e", "p.f"]]
