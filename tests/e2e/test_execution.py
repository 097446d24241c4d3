"""How the runner executes a notebook (seatlib.run.execution): papermill's output notebook written
at most once a second while it runs, the last state always, a long cell's predecessors on disk."""

from __future__ import annotations

import json

import nbformat
import pytest

from seatlib.run import execution, kernels
from tests.fixtures.notebooks import write_notebook

pm = execution.import_papermill()
from papermill.engines import papermill_engines  # noqa: E402  (registered by the import above)

pytestmark = pytest.mark.slow  # real kernels


def run(source, out, **kwargs):
    return pm.execute_notebook(str(source), str(out), kernel_name="python3", progress_bar=False,
                               engine_name=execution.ENGINE,
                               kernel_manager_class=kernels.ipc_kernel_manager(), **kwargs)


def test_many_quick_cells_are_written_a_few_times_and_whole_at_the_end(tmp_path):
    cells = [f"print({i})" for i in range(40)]
    out = tmp_path / "out.ipynb"
    run(write_notebook(tmp_path, *cells), out)
    manager = papermill_engines.get_engine(execution.ENGINE).last_manager
    # papermill alone writes 1 + 2 per cell = 81 times
    assert 1 <= manager.saves < 20, manager.saves
    done = nbformat.read(out, as_version=4)
    assert [c.outputs[0]["text"].strip() for c in done.cells] == [str(i) for i in range(40)]
    assert all(c.metadata.papermill["status"] == "completed" for c in done.cells)
    assert done.metadata.papermill["end_time"]


def test_a_long_cell_finds_the_cells_before_it_on_disk(tmp_path):
    """Cell 2 starts within the second of the last write, so its save is deferred; the deferred
    write lands while cell 2 runs (the cell reads its own output file)."""
    out = tmp_path / "out.ipynb"
    probe = (f"import json, time\ntime.sleep({execution.SAVE_EVERY_S * 2.5})\n"
             f"nb = json.load(open({str(out)!r}))\n"
             "print(json.dumps([[''.join(o.get('text', '')) for o in c['outputs']] for c in nb['cells']]))")
    run(write_notebook(tmp_path, "print('first')", "print('second')", probe), out)
    seen = json.loads(nbformat.read(out, as_version=4).cells[2].outputs[0]["text"])
    assert seen[:2] == [["first\n"], ["second\n"]]


def test_a_failing_notebook_is_written_with_its_error(tmp_path):
    out = tmp_path / "out.ipynb"
    with pytest.raises(pm.PapermillExecutionError, match="boom"):
        run(write_notebook(tmp_path, "x = 1", "raise ValueError('boom')", "print('never')"), out)
    done = nbformat.read(out, as_version=4)
    assert done.metadata.papermill["exception"] is True
    failed = [c for c in done.cells if c.cell_type == "code" and c.outputs
              and c.outputs[0].get("ename") == "ValueError"]
    assert len(failed) == 1
