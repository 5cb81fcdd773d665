"""The notebooks in notebooks/ run top to bottom (tiny sizes: KGENINT_NB_SMALL=1) and are stored
without outputs.

Each notebook is executed by nbclient in a fresh Jupyter kernel (the ``python3`` kernel of this
interpreter) inside a temporary working directory, so the files it writes never touch the
checkout. Equivalent by hand: ``KGENINT_NB_SMALL=1 pytest --nbmake notebooks/``.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
EXPECTED = ["01_quickstart.ipynb", "02_interpretability_under_interactions.ipynb", "03_your_own_model.ipynb",
            "04_detectors.ipynb", "05_representation.ipynb"]
TIMEOUT = 600  # seconds per cell; a tiny run takes about a minute per notebook on 2 quiet cores


def test_the_three_notebooks_exist():
    assert [p.name for p in NOTEBOOKS] == EXPECTED


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_is_stored_without_outputs(path):
    nbformat = pytest.importorskip("nbformat")
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert not cell.get("outputs"), f"{path.name} cell {i} has stored outputs: strip them"
            assert cell.get("execution_count") is None, f"{path.name} cell {i} has an execution count"
    src = "\n".join(c.source for c in nb.cells)
    assert "KGENINT_NB_SMALL" in src, f"{path.name} must read the KGENINT_NB_SMALL size switch"


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_top_to_bottom(path, tmp_path, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel", reason="ipykernel is needed to run notebooks: pip install -e '.[test]'")
    # the kernel inherits this environment: tiny sizes, quiet TF, the test session's Numba cache
    monkeypatch.setenv("KGENINT_NB_SMALL", "1")
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "2")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=TIMEOUT, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    # the kernel must be this interpreter (kgenint importable), not another python3 on the PATH
    client.kernel_manager_class = _this_python_kernel_manager(nbclient)
    try:
        client.execute()
    except nbclient.exceptions.CellExecutionError as err:
        pytest.fail(f"{path.name} failed:\n{str(err)[-3000:]}")
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors


def _this_python_kernel_manager(nbclient):
    from jupyter_client.manager import KernelManager

    class _Manager(KernelManager):
        def format_kernel_cmd(self, extra_arguments=None):
            cmd = super().format_kernel_cmd(extra_arguments)
            if cmd and os.path.basename(cmd[0]).startswith("python"):
                cmd[0] = sys.executable
            return cmd

    return _Manager
