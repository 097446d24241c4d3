"""How the runner executes a notebook with papermill: imported without validators it does not
use, and saved as it runs at most once a second.

papermill writes the whole output notebook (JSON, validated) when the notebook starts and at
the start and the end of every cell: about 60 writes for the report notebook, whose charts hold
a point per day of history (1.5 MB at three years), 90 MB of JSON a day that nobody reads.
:class:`ThrottledEngine` keeps papermill's behaviour but writes at most once per
:data:`SAVE_EVERY_S`: a save asked for sooner is deferred to the moment the interval is over,
on the event loop that waits for the kernel (so a cell that runs for minutes still shows the
cells before it on disk), and the end of the notebook, failed or not, is always written. A run
killed half-way leaves its notebook as it was at most :data:`SAVE_EVERY_S` before the kill.
"""

from __future__ import annotations

import sys
import time
from typing import Any

#: Imported by jsonschema (nbformat's validator, which papermill imports) when installed, as
#: JupyterLab installs it: it builds a grammar at import (~2 s) for the "iri" formats, which no
#: notebook schema uses (docs/stack-notes.md §2.4).
_UNUSED_VALIDATORS = ("rfc3987_syntax",)
#: The shortest time between two writes of a running notebook.
SAVE_EVERY_S = 1.0
#: The name the engine is registered under with papermill.
ENGINE = "seatlib-throttled"


def import_papermill():
    """papermill, imported without the validators a run does not use (:data:`_UNUSED_VALIDATORS`
    are hidden while it imports, then visible again to whatever else may want them), with
    :class:`ThrottledEngine` registered as :data:`ENGINE`."""
    hidden = [name for name in _UNUSED_VALIDATORS if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]  # import raises ImportError
    try:
        import papermill
        from papermill.engines import papermill_engines
    finally:
        for name in hidden:
            if sys.modules.get(name, 0) is None:
                del sys.modules[name]
    try:
        papermill_engines.get_engine(ENGINE)
    except papermill.PapermillException:
        papermill_engines.register(ENGINE, _engine_class())
    return papermill


def _manager_class():
    from papermill.engines import NotebookExecutionManager

    class ThrottledManager(NotebookExecutionManager):
        """papermill's execution state, written at most once per :data:`SAVE_EVERY_S`."""

        def __init__(self, *args: Any, **kwargs: Any):
            super().__init__(*args, **kwargs)
            self.saves = 0  # writes done (the tests count them)
            self._written_at = float("-inf")
            self._deferred: Any = None
            self._final = False

        def save(self, **kwargs: Any) -> None:
            wait = self._written_at + SAVE_EVERY_S - time.monotonic()
            if self._final or wait <= 0:
                self._write()
            elif self._deferred is None:
                self._deferred = _call_later(wait, self._deferred_write)
                if self._deferred is None:  # no event loop to wait on: write now
                    self._write()

        def _deferred_write(self) -> None:
            self._deferred = None
            self._write()

        def _write(self) -> None:
            if self._deferred is not None:
                self._deferred.cancel()
                self._deferred = None
            super().save()
            self.saves += 1
            self._written_at = time.monotonic()

        def notebook_complete(self, **kwargs: Any) -> None:
            self._final = True  # the last state is always written
            super().notebook_complete(**kwargs)

    return ThrottledManager


def _engine_class():
    from papermill.engines import NBClientEngine

    ThrottledManager = _manager_class()

    class ThrottledEngine(NBClientEngine):
        """papermill's nbclient engine with :class:`ThrottledManager` (its ``execute_notebook``
        is papermill 2.7's ``Engine.execute_notebook`` with the manager class swapped: check it
        when constraints.txt moves papermill)."""

        last_manager = None  # the ThrottledManager of the latest notebook (the tests read it)

        @classmethod
        def execute_notebook(cls, nb, kernel_name, output_path=None, progress_bar=True,
                             log_output=False, autosave_cell_every=30, **kwargs):
            nb_man = ThrottledManager(nb, output_path=output_path, progress_bar=progress_bar,
                                      log_output=log_output,
                                      autosave_cell_every=autosave_cell_every)
            cls.last_manager = nb_man
            nb_man.notebook_start()
            try:
                cls.execute_managed_notebook(nb_man, kernel_name, log_output=log_output,
                                             **kwargs)
            finally:
                nb_man.cleanup_pbar()
                nb_man.notebook_complete()
            return nb_man.nb

    return ThrottledEngine


def _call_later(delay: float, callback) -> Any:
    """Schedule ``callback`` on the event loop papermill's client runs the kernel's messages on
    (jupyter_core's loop of this thread); None when there is none."""
    try:
        from jupyter_core.utils import ensure_event_loop

        return ensure_event_loop().call_later(delay, callback)
    except Exception:  # noqa: BLE001 - no loop: the caller writes at once
        return None
