"""Check the package's layout: no import circle, no private name taken from another room.

    python tests/check_layout.py            # exit 1 and one line per problem, else 0

A *room* is a subpackage of ``dedup`` (``dedup._text``, ``dedup.cli._io``, ...);
its modules are its units. Every import is read, function-level ones included,
from the source (nothing is imported). Two rules:

* no circle among modules: following imports from any module never leads
  back to it;
* no private name crosses a room: ``from ..room._mod import _name`` and
  ``_mod._name`` are refused where ``_mod`` lives in another room. A room's
  modules may be private (``_shingle``); the names other rooms use are public.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "dedup"


def modules(root: Path = PACKAGE) -> dict[str, Path]:
    """Dotted name -> file, for every module of the package."""
    out = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def room(name: str, mods: dict[str, Path]) -> str:
    """The package a module lives in (a package's ``__init__`` is its own room's face)."""
    return name if mods[name].name == "__init__.py" else name.rpartition(".")[0]


def imports(name: str, path: Path, mods: dict[str, Path]):
    """``(line, target module, imported name or None, bound alias or None)`` for every import of ``path``."""
    is_pkg = path.name == "__init__.py"
    pkg = name if is_pkg else name.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in mods:
                    yield node.lineno, alias.name, None, alias.asname
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = pkg.split(".")[: len(pkg.split(".")) - node.level + 1]
                src = ".".join(base + ([node.module] if node.module else []))
            else:
                src = node.module or ""
            if src not in mods:
                continue
            for alias in node.names:
                sub = f"{src}.{alias.name}"
                if sub in mods:
                    yield node.lineno, sub, None, alias.asname or alias.name
                else:
                    yield node.lineno, src, alias.name, None


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module, or of one that imports itself (Tarjan, iterative)."""
    index, low, on, stack, out, counter = {}, {}, set(), [], [], [0]
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter[0]
        counter[0] += 1
        stack.append(start)
        on.add(start)
        while work:
            v, it = work[-1]
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(graph.get(w, ())))))
                    break
                if w in on:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on.discard(w)
                        comp.append(w)
                        if w == v:
                            break
                    if len(comp) > 1 or v in graph.get(v, ()):
                        out.append(sorted(comp))
    return out


def problems(root: Path = PACKAGE) -> list[str]:
    mods = modules(root)
    graph: dict[str, set[str]] = {m: set() for m in mods}
    found = []
    for name, path in mods.items():
        here = room(name, mods)
        aliases = {}
        for line, target, what, alias in imports(name, path, mods):
            if target != name:
                graph[name].add(target)
            other = room(target, mods) != here and not target.startswith(here + ".") and target != here
            if what is not None and what.startswith("_") and not what.startswith("__") and other:
                found.append(f"{path.relative_to(root.parent)}:{line}: private name {what} taken from {target}")
            if alias is not None and other:
                aliases[alias] = target
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases
                    and node.attr.startswith("_") and not node.attr.startswith("__")):
                found.append(f"{path.relative_to(root.parent)}:{node.lineno}: private name {node.attr} "
                             f"used from {aliases[node.value.id]}")
    for comp in circles(graph):
        found.append("import circle: " + " -> ".join(comp))
    return sorted(set(found))


def main() -> int:
    found = problems()
    for line in found:
        print(line)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
