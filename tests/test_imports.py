"""The package's import graph: no cycles (function-level imports count), and the core packages
never import TensorFlow or Keras.

The checker parses every module under ``kgenint/`` with :mod:`ast`, so it sees imports inside
functions too (a cycle hidden behind a function-level import still couples the two modules both
ways). Imports under ``if TYPE_CHECKING:`` are ignored: they never run.
"""
from __future__ import annotations

import ast
import pathlib
import subprocess
import sys
import textwrap

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
PKG = ROOT / "kgenint"


def module_name(path: pathlib.Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def all_modules() -> dict[str, pathlib.Path]:
    return {module_name(p): p for p in sorted(PKG.rglob("*.py"))}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _import_nodes(tree: ast.AST):
    """Every Import/ImportFrom node, at any depth, except under ``if TYPE_CHECKING:``."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        stack.extend(ast.iter_child_nodes(node))


def _resolve(name: str, modules: dict[str, pathlib.Path]) -> str | None:
    """The longest prefix of the dotted ``name`` that is a kgenint module."""
    parts = name.split(".")
    while parts:
        cand = ".".join(parts)
        if cand in modules:
            return cand
        parts.pop()
    return None


def imports_of(mod: str, path: pathlib.Path, modules: dict[str, pathlib.Path]) -> set[str]:
    """kgenint modules that ``mod`` imports (absolute and relative, module or function level)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    is_pkg = path.name == "__init__.py"
    out: set[str] = set()
    for node in _import_nodes(tree):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        else:
            if node.level:
                base = mod.split(".") if is_pkg else mod.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            # ``from pkg import sub`` imports the submodule when there is one, else pkg itself
            targets = [f"{prefix}.{a.name}" if f"{prefix}.{a.name}" in modules else prefix
                       for a in node.names]
        for t in targets:
            if t == "kgenint" or t.startswith("kgenint."):
                r = _resolve(t, modules)
                if r is not None and r != mod:
                    out.add(r)
    return out


def import_graph() -> dict[str, set[str]]:
    modules = all_modules()
    return {m: imports_of(m, p, modules) for m, p in modules.items()}


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    comps: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        # iterative Tarjan to stay clear of the recursion limit
        work = [(v, iter(sorted(graph.get(v, ()))))]
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        while work:
            node, it = work[-1]
            advanced = False
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(graph.get(w, ())))))
                    advanced = True
                    break
                if w in on_stack:
                    low[node] = min(low[node], index[w])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.append(w)
                    if w == node:
                        break
                if len(comp) > 1:
                    comps.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(comps)


def _one_cycle(comp: list[str], graph: dict[str, set[str]]) -> list[str]:
    """A concrete closed path through a strongly connected component, for the message."""
    members = set(comp)
    start = comp[0]
    prev = {start: None}
    frontier = [start]
    while frontier:
        nxt = []
        for v in frontier:
            for w in sorted(graph[v] & members):
                if w == start:
                    path = [v]
                    while prev[path[-1]] is not None:
                        path.append(prev[path[-1]])
                    return list(reversed(path)) + [start]
                if w not in prev:
                    prev[w] = v
                    nxt.append(w)
        frontier = nxt
    return comp


# --- the checker checks itself on hand-made graphs --------------------------------------------

def test_find_cycles_on_hand_made_graphs():
    assert find_cycles({"a": {"b"}, "b": {"c"}, "c": set()}) == []
    assert find_cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [["a", "b"]]
    g = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": {"e"}, "e": {"d"}, "f": {"f"}}
    assert find_cycles(g) == [["a", "b", "c"], ["d", "e"]]
    assert _one_cycle(["a", "b", "c"], g) == ["a", "b", "c", "a"]


def test_imports_of_sees_relative_and_function_level_imports(tmp_path):
    modules = {"kgenint": tmp_path, "kgenint.x": tmp_path, "kgenint.x.y": tmp_path,
               "kgenint.z": tmp_path, "kgenint.w": tmp_path, "kgenint.t": tmp_path}
    src = tmp_path / "y.py"
    src.write_text(textwrap.dedent("""
        from typing import TYPE_CHECKING
        from .. import z
        if TYPE_CHECKING:
            from kgenint import t
        def f():
            from ..w import thing
            import numpy
    """))
    assert imports_of("kgenint.x.y", src, modules) == {"kgenint.z", "kgenint.w"}


# --- the package ------------------------------------------------------------------------------

def test_graph_is_not_empty():
    graph = import_graph()
    assert len(graph) > 50
    assert "kgenint.motifs.motif" in graph["kgenint.motifs.scan"]


def test_no_import_cycles():
    graph = import_graph()
    cycles = find_cycles(graph)
    msg = "\n".join(" -> ".join(_one_cycle(c, graph)) + f"   (component: {', '.join(c)})"
                    for c in cycles)
    assert not cycles, f"{len(cycles)} import cycle(s):\n{msg}"


CORE = ["kgenint", "kgenint.motifs", "kgenint.sequence", "kgenint.seqlets", "kgenint.simulate",
        "kgenint.interactions.cooccurrence", "kgenint.results"]


@pytest.mark.parametrize("heavy", ["tensorflow", "keras"])
def test_core_packages_do_not_import_tensorflow(heavy):
    code = textwrap.dedent(f"""
        import sys
        import {', '.join(CORE)}
        import kgenint.motifs.scan, kgenint.motifs.compare, kgenint.motifs.io
        import kgenint.seqlets.pipeline, kgenint.seqlets.io, kgenint.simulate.generate
        bad = sorted(m for m in sys.modules if m == {heavy!r} or m.startswith({heavy!r} + "."))
        print(len(bad), bad[:5])
    """)
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, env={**__import__("os").environ, "PYTHONPATH": str(ROOT)},
                         timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.startswith("0 "), f"core packages imported {heavy}: {res.stdout}"
