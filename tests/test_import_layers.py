"""Imports run one way: no cycle between the modules of tropnet/regions (nor through
the Dask driver tropnet.regions.parallel), and nothing below the regions (kernels, algebra,
geometry, networks, compiler, _numbers) imports from tropnet.regions or tropnet.parallel.  Every import counts,
also those inside functions."""

import ast
from pathlib import Path

import networkx as nx

ROOT = Path(__file__).resolve().parents[1] / "tropnet"
BELOW = ("tropnet._numbers", "tropnet.kernels", "tropnet.algebra", "tropnet.geometry", "tropnet.networks",
         "tropnet.compiler")


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    mod = _module(path)
    package = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.startswith("tropnet"))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("tropnet"):
                continue
            out.add(target)
            for a in node.names:  # `from . import planar` imports a module
                out.add(f"{target}.{a.name}")
    return out


def _graph() -> nx.DiGraph:
    files = {_module(p): p for p in ROOT.rglob("*.py")}
    g = nx.DiGraph()
    for mod, path in files.items():
        g.add_node(mod)
        for target in _imports(path):
            if target in files and target != mod:
                g.add_edge(mod, target)
    return g


def test_no_import_cycles_in_regions_and_parallel():
    g = _graph()
    ours = [m for m in g if m.startswith("tropnet.regions.") or m == "tropnet.parallel"]
    sub = g.subgraph(ours)
    assert list(nx.simple_cycles(sub)) == []


def test_nothing_below_the_regions_imports_them():
    g = _graph()
    upward = [(a, b) for a, b in g.edges
              if a.startswith(BELOW) and (b.startswith("tropnet.regions") or b == "tropnet.parallel")]
    assert upward == []


def test_the_graph_sees_the_imports():
    g = _graph()
    assert g.has_edge("tropnet.regions.api", "tropnet.regions.plan")
    assert g.has_edge("tropnet.regions.plan", "tropnet.regions.planar")  # a `from . import` inside a function
    assert g.has_edge("tropnet.regions.parallel", "tropnet.regions.plan")


def test_the_task_layer_imports_nothing_of_tropnet_and_nothing_in_regions_reaches_up():
    """tropnet.tasks (clients, map_tasks) sits below everything; the Dask driver is
    tropnet.regions.parallel, dispatched by the plan's runner (api); no module of the regions
    imports anything above them (tropnet.parallel, studies, plot, cli)."""
    g = _graph()
    assert [b for b in g.successors("tropnet.tasks") if b.startswith("tropnet")] == []
    assert g.has_edge("tropnet.regions.api", "tropnet.regions.parallel")
    above = ("tropnet.parallel", "tropnet.studies", "tropnet.plot", "tropnet.cli")
    up = sorted((a, b) for a, b in g.edges if a.startswith("tropnet.regions") and b.startswith(above))
    assert up == []
    assert g.has_edge("tropnet.regions.estimate", "tropnet.tasks")
