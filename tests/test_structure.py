"""The shape of the code: layers import only downward, commands stand alone, reading is light.

Read from the source with ``ast`` (what each module imports at any depth of
its body, lazy imports included), so the rules hold for every code path, not
only the ones a test happens to run.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ("scenarios", "sim", "optimize", "planner")  # bottom to top
COMMANDS = ("simulating", "optimizing", "sweeping", "comparing", "planning_years", "reporting")
COMMANDS += ("initializing", "serving")
MAX_PLANNER_DEPTH = 5  # levels of imports inside planner/, counting the importing module
HEAVY = ("pulp", "highspy", "dask", "distributed")


def _modules(package: str) -> dict[str, Path]:
    return {f"{package}.{p.stem}": p for p in sorted((ROOT / package).glob("*.py"))}


@cache
def _imports(path: Path) -> frozenset[str]:
    """Every module ``path`` imports, anywhere in its body (``from a import b`` gives a.b too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return frozenset(found)


def _inside(package: str) -> dict[str, set[str]]:
    """Each module of ``package`` and the modules of the same package it imports."""
    modules = _modules(package)
    return {
        name: {m for m in _imports(path) if m in modules and m != name}
        for name, path in modules.items()
    }


@pytest.mark.parametrize("layer", LAYERS)
def test_a_layer_imports_only_the_layers_below_it(layer):
    above = LAYERS[LAYERS.index(layer) + 1 :]
    for name, path in _modules(layer).items():
        upward = sorted(m for m in _imports(path) if m.split(".")[0] in above)
        assert not upward, f"{name} imports {upward}, a layer above it"


def test_no_command_module_imports_another():
    graph = _inside("planner")
    commands = {f"planner.{c}" for c in COMMANDS}
    for name in commands & graph.keys():
        assert not graph[name] & commands, f"{name} imports {sorted(graph[name] & commands)}"


def test_planner_has_at_most_five_levels_of_imports_inside_it():
    graph = _inside("planner")

    @cache
    def depth(name: str) -> int:
        return 1 + max((depth(m) for m in graph[name]), default=0)

    deepest = max(graph, key=depth)
    assert depth(deepest) <= MAX_PLANNER_DEPTH, f"{deepest}: {depth(deepest)} levels"


def test_the_import_graph_inside_a_package_has_no_cycle():
    for package in LAYERS:
        graph = _inside(package)
        state: dict[str, int] = {}

        def visit(name: str, trail: tuple[str, ...], graph=graph, state=state) -> None:
            state[name] = 1
            for other in graph[name]:
                assert state.get(other) != 1, f"cycle: {' -> '.join((*trail, name, other))}"
                if other not in state:
                    visit(other, (*trail, name))
            state[name] = 2

        for name in graph:
            if name not in state:
                visit(name, ())


def _heavy_loaded(modules: str) -> list[str]:
    """Which of PuLP, HiGHS and Dask a fresh process has loaded after importing ``modules``."""
    code = (
        f"import sys; import {modules}; "
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({list(HEAVY)!r})))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    return ast.literal_eval(done.stdout.strip())


def test_reading_results_and_building_the_report_load_no_solver_or_cluster():
    """``yingji report`` reads files: PuLP, HiGHS and Dask stay unloaded (a fresh process)."""
    assert _heavy_loaded("planner.results, planner.report_content, planner.reporting") == []


def test_the_solver_check_of_the_test_above_can_fail():
    """The same probe sees PuLP when a module that solves is imported (the check is real)."""
    assert "pulp" in _heavy_loaded("planner.pipeline")
