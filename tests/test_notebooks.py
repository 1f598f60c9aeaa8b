"""The notebooks in notebooks/ run from top to bottom, draw their figures, and are stored clean.

Each ``notebooks/*.ipynb`` is executed with nbclient in a python3 kernel whose working folder is
the repository root and whose ``PYTHONPATH`` starts with this checkout, so the kernel imports
this checkout's simsrc (and, like every test, compiles into the tests' own cache,
``SIMSRC_COMPILE_CACHE`` from conftest.py, which the kernel inherits).
"""
from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason="the notebook tests need the test extra: "
                               'pip install -e ".[test]"')
ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
#: seconds any one cell may take (the first compiles the model: about a minute cold)
CELL_TIMEOUT_S = 600


def _build_module():
    import importlib.util

    spec = importlib.util.spec_from_file_location("notebook_build", ROOT / "notebooks" / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_there_are_notebooks():
    assert [p.name for p in NOTEBOOKS] == sorted(_build_module().NOTEBOOKS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_stored_clean(path):
    """No outputs or execution counts in the committed file, and it is what
    ``python notebooks/build.py`` writes (so the generator and the notebook agree)."""
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, \
                f"{path.name}: stored with outputs; run `python notebooks/build.py`"
    assert path.read_text() == _build_module().text(path.name), \
        f"{path.name} differs from notebooks/build.py: run `python notebooks/build.py`"


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_and_draws(path, monkeypatch):
    """Every cell runs without an error and at least one cell shows a figure (image/png).

    Measured on this project's 2-core machine (other jobs running), quickstart.ipynb
    (``python -m pytest -q -p no:cacheprovider -n 0 -m slow tests/test_notebooks.py``): 320 s
    with an empty compile cache (the kernel alone 240-320 s: about 70 s to compile each of the
    steady solve, the held-speed solve and the force curves' steps), 29 s warm; hence slow.
    """
    nbclient = pytest.importorskip("nbclient")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        [str(ROOT)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=CELL_TIMEOUT_S, kernel_name="python3",
                                     resources={"metadata": {"path": str(ROOT)}})
    started = time.perf_counter()
    client.execute()   # raises CellExecutionError, with the cell and its traceback, on an error
    print(f"{path.name}: {time.perf_counter() - started:.0f} s")
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert any("image/png" in o.get("data", {}) for o in outputs), \
        f"{path.name}: no cell rendered a figure"
