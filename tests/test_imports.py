"""Imports run one way (DESIGN.md, Layout): records is a leaf; the biology packages and the world never import the
simulator or the analysis; the analysis never imports the simulator; inside sims, the brain's life (sims.life) never
imports the running of jobs (sims.jobs, sims.experiments, sims.run_night), and sims.jobs never imports the
experiments; the launcher plugin uses only the public names of sims; and no module imports itself in a circle.

Checked twice: by running the imports in a fresh interpreter (what is loaded), and by reading every module's import
statements, those inside functions too (what could be loaded later)."""
import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("records", "cortex", "hippocampus", "neuromod", "world", "analysis", "sims")
FORBIDDEN = {  # package -> first-party packages it must never import
    "records": set(PACKAGES) - {"records"},
    "cortex": {"sims", "analysis", "world"},
    "hippocampus": {"sims", "analysis", "world"},
    "neuromod": {"sims", "analysis", "world"},
    "world": {"sims", "analysis", "hippocampus", "neuromod"},
    "analysis": {"sims"},
    "sims": set(),
}


def modules_loaded_by(statement: str) -> set[str]:
    """Top-level packages of the repository present in sys.modules after `statement`, in a fresh interpreter."""
    code = f"{statement}; import sys; print(' '.join(sorted({{m.split('.')[0] for m in sys.modules}})))"
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120,
                          env=os.environ | {"PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"})
    assert done.returncode == 0, done.stderr
    return set(done.stdout.split()) & set(PACKAGES)


def test_the_analysis_loads_without_the_simulator():
    loaded = modules_loaded_by("import analysis, analysis.evaluate, analysis.report, analysis.load, analysis.figures, "
                               "analysis.measure, analysis.fid")
    assert "sims" not in loaded and {"analysis", "world", "records"} <= loaded


def test_biology_world_and_records_load_without_simulator_or_analysis():
    assert modules_loaded_by("import records, records.variables, records.files, records.errors") == {"records"}
    loaded = modules_loaded_by("import cortex, hippocampus, neuromod, world")
    assert loaded == {"records", "cortex", "hippocampus", "neuromod", "world"}


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def first_party_imports(path: Path, known: set[str]) -> set[str]:
    """Modules of the repository that `path` imports anywhere in its body (a name imported from a package counts as
    its submodule when there is one, otherwise as the package's __init__)."""
    targets = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            subs = {f"{node.module}.{alias.name}" for alias in node.names}
            targets |= (subs & known) | ({node.module} if subs - known else set())
    return {t for t in targets if t.split(".")[0] in PACKAGES}


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    files = [p for package in PACKAGES for p in (REPO / package).rglob("*.py")]
    known = {module_name(p) for p in files}
    return {module_name(p): first_party_imports(p, known) for p in files}


def test_no_package_imports_what_it_must_not(graph):
    offences = [(m, t) for m, targets in graph.items() for t in targets if t.split(".")[0] in FORBIDDEN[m.split(".")[0]]]
    assert offences == []


ROOMS = {  # a room of sims -> the modules of sims it must never import
    "sims.life": ("sims.jobs", "sims.experiments", "sims.run_night"),
    "sims.jobs": ("sims.experiments", "sims.run_night"),
}


def test_the_brains_life_never_imports_the_running_of_jobs(graph):
    assert "sims.life.simulator" in graph and "sims.jobs.job" in graph  # the rooms are where this test looks
    offences = [(m, t) for m, targets in graph.items() for room, banned in ROOMS.items()
                if m == room or m.startswith(room + ".") for t in targets
                if any(t == b or t.startswith(b + ".") for b in banned)]
    assert offences == []


def test_the_launcher_plugin_uses_public_names_only():
    plugin = REPO / "hydra_plugins" / "pad_cohort_launcher"
    private = [(p.name, alias.name) for p in plugin.glob("*.py") for node in ast.walk(ast.parse(p.read_text()))
               if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sims")
               for alias in node.names if alias.name.startswith("_")]
    assert private == [] and any("sims" in p.read_text() for p in plugin.glob("*.py"))


def test_no_import_cycles(graph):
    state: dict[str, int] = {}  # 1: on the current path, 2: finished

    def visit(module: str, path: list[str]) -> None:
        state[module], path = 1, path + [module]
        for target in sorted(graph.get(module, ())):
            if state.get(target) == 1:
                pytest.fail("import cycle: " + " -> ".join(path[path.index(target):] + [target]))
            if target not in state:
                visit(target, path)
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [])
