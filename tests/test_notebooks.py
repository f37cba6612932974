"""The notebooks execute top to bottom on tiny runs, so they never rot."""
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from sims.life.simulator import run
from tests.helpers import tiny_config

NOTEBOOKS = Path(__file__).resolve().parents[1] / "analysis" / "notebooks"


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    for scenario in ("pad", "no_rem"):
        for seed in (0, 1):
            run(tiny_config(f"scenario={scenario}", f"seed={seed}", "epochs=2", "data.train_size=192"),
                root / f"{scenario}_seed{seed}")
    return root


@pytest.mark.parametrize("name", ["single_run.ipynb", "compare_scenarios.ipynb", "cortical_activity.ipynb"])
def test_notebook_executes(name, runs, monkeypatch, tmp_path):
    monkeypatch.setenv("PAD_RUN", str(runs / "pad_seed0"))
    monkeypatch.setenv("PAD_RUNS", str(runs / "*"))
    monkeypatch.setenv("PYTHONPATH", str(NOTEBOOKS.parents[1]))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    NotebookClient(notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert any(o.output_type in ("display_data", "execute_result") for o in outputs)


def test_the_deprivation_notebook_runs_a_shrunken_quick_experiment(monkeypatch, tmp_path, tiny_cifar):
    """The notebook runs `sims.experiments.rem_deprivation` (here shrunk to 2 seeds of a tiny cortex over 3 epochs:
    baseline, deprivation, recovery) and reads the runs back with xarray."""
    shrink = ["--seeds", "0,1", "data=cifar10", f"data.root={tiny_cifar}", "data.train_size=160", "data.test_size=100",
              "cortex.channels=[3,8,16,32]", "cortex.latent_dim=32", "record.units_per_area=16", "optim.batch_size=16", "eval.readout_epochs=2",
              "eval.probes=4", "epochs=3", "protocol.blocks.0.stop=2", "protocol.blocks.1.start=2",
              "protocol.blocks.1.stop=3", "protocol.blocks.2.start=3", "device=cpu"]
    monkeypatch.setenv("PAD_EXPERIMENT_ARGS", " ".join(shrink))
    monkeypatch.setenv("PAD_EXPERIMENT_DIR", str(tmp_path / "experiment"))
    monkeypatch.setenv("PYTHONPATH", str(NOTEBOOKS.parents[1]))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    notebook = nbformat.read(NOTEBOOKS / "deprivation_experiment.ipynb", as_version=4)
    NotebookClient(notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    errors = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs if o.output_type == "error"]
    assert not errors, errors
    assert (tmp_path / "experiment" / "report" / "effects.md").is_file()
