"""The package is laid out the way data flows: each stage imports only from itself and the
stages before it, and no module imports itself back through others (no cycle).

The order is the one the README's layout table gives.  A new stage gets a line here; a
module that does not belong to any stage fails the test, so the table stays complete.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "opendata"

#: stage -> rank; a module may import from stages of equal or lower rank only.
STAGES: dict[str, int] = {
    # the shared bottom, which every stage may use
    "opendata._version": 0,
    "opendata.errors": 0,
    "opendata.checksums": 0,
    "opendata.gitinfo": 0,
    # the data flow
    "opendata.catalog": 1,
    "opendata.validation": 2,
    "opendata.dcat": 3,
    "opendata.packages": 4,
    "opendata.harvesters": 5,
    "opendata.site": 6,
    "opendata.api": 7,
    "opendata.importers": 8,
    "opendata.pipeline": 9,
    "opendata.ci": 10,
    "opendata.cli": 11,
    # the façade re-exports the public entry points of every stage
    "opendata": 12,
}


def module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def stage_of(module: str) -> str:
    """The longest stage prefix of ``module``."""
    best = ""
    for stage in STAGES:
        if (module == stage or module.startswith(stage + ".")) and len(stage) > len(best):
            best = stage
    return best


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports_of(module: str) -> set[str]:
    return imports_in(MODULES[module].read_text(encoding="utf-8"), module,
                      is_package=MODULES[module].name == "__init__.py")


def imports_in(source: str, module: str, *, is_package: bool = False) -> set[str]:
    """Every ``opendata`` module that ``source`` (the text of ``module``) imports, at module
    level or inside a function (a lazy import is still a dependency), as module names."""
    tree = ast.parse(source)
    here = module if is_package else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "opendata"}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "opendata":
                continue
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                found.add(sub if sub in MODULES else target)
    found.discard(module)
    return {m for m in found if m in MODULES}


GRAPH = {m: imports_of(m) for m in MODULES}


def test_every_module_belongs_to_a_stage() -> None:
    orphans = [m for m in MODULES if not stage_of(m)]
    assert not orphans, f"modules outside any stage of tests/test_layers.py: {orphans}"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_only_from_earlier_stages(module: str) -> None:
    later = later_imports(module, GRAPH[module])
    assert not later, (f"{module} (stage {stage_of(module)}) imports from later stages: "
                       f"{later}")


def later_imports(module: str, deps: set[str]) -> list[str]:
    rank = STAGES[stage_of(module)]
    return sorted(dep for dep in deps if STAGES[stage_of(dep)] > rank)


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """Depth-first search for a back edge; the cycle it closes, or None."""
    state: dict[str, int] = {}  # 1 = on the stack, 2 = done
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for dep in sorted(graph[node]):
            # a package's __init__ re-exporting its own submodules is not a cycle between
            # rooms: importing opendata.x.y runs opendata.x first by Python's rules anyway
            if node == stage_of(node) and dep.startswith(node + "."):
                continue
            if state.get(dep) == 1:
                return stack[stack.index(dep):] + [dep]
            if dep not in state and (cycle := visit(dep)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for module in sorted(graph):
        if module not in state and (cycle := visit(module)):
            return cycle
    return None


def test_no_import_cycle() -> None:
    cycle = find_cycle(GRAPH)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_the_checks_see_a_planted_violation() -> None:
    """The checks above must be able to fail: the lazy import of the harvesters that the
    packages stage used to make (the cycle this layout removed) is caught by both."""
    source = "def f():\n    from opendata.harvesters.base import make_portal\n"
    deps = imports_in(source, "opendata.packages.packs")
    assert later_imports("opendata.packages.packs", deps) == ["opendata.harvesters.base"]
    graph = {m: set(d) for m, d in GRAPH.items()}
    graph["opendata.packages.packs"] |= deps
    cycle = find_cycle(graph)
    assert cycle and "opendata.packages.packs" in cycle


def test_public_entry_points_still_work() -> None:
    import opendata
    import opendata.dcat
    import opendata.harvesters

    assert callable(opendata.validate) and callable(opendata.load_pack)
    assert callable(opendata.load_catalog) and opendata.Catalog.__name__ == "Catalog"
    assert callable(opendata.dcat.build_dcat)
    assert callable(opendata.harvesters.plan) and callable(opendata.harvesters.publish)
    with pytest.raises(AttributeError):
        opendata.no_such_thing  # noqa: B018
