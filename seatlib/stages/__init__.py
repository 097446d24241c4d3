"""Stages: the pipeline's five steps, the rules they apply, and their order, defined once.

What it holds: one module per stage, all ``run(day, systems, options)``: :mod:`.extract`
(sources -> bronze, with :mod:`.admins`), :mod:`.silver`, :mod:`.gold` (with the seat rules of
:mod:`.seats`, the workspace rules of :mod:`.access` and gold's compact history,
:mod:`.gold_history`), :mod:`.load` (gold -> warehouse) and :mod:`.report` (a package: the
report, its page, charts, alert and data-quality panel); the guards that stop a bad day
(:mod:`.guards`); and here, :data:`STAGES` in run order and :class:`StageOptions`. What it may
import: :mod:`seatlib.core`, :mod:`seatlib.systems` and :mod:`seatlib.history` (the report reads
the ledger and the reclaim trail), never the runner.

The runner executes each stage's notebook (``notebooks/NN_stage.ipynb``) in its own kernel;
the demo's in-process history fill calls each stage's ``run`` directly. Both read this list.
Every stage has the same shape::

    result = seatlib.stages.<stage>.run(day, systems, options)

where ``systems`` is a :class:`seatlib.systems.Systems` and ``options`` a :class:`StageOptions`.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from ..core.settings import Settings
    from ..systems import Systems


@dataclass(frozen=True)
class StageOptions:
    """What the operator (or the demo) lets a stage do beyond the defaults."""

    allow_drop: bool = False  # let an empty or shrunken source through (run_daily.sh --allow-drop)
    allow_replay: bool = False  # extract a past day: the demo's simulator only (Zoho cannot)
    full_refresh: bool = False  # ask Zoho for every workspace's admins (run_daily.sh --full-refresh)


@dataclass(frozen=True)
class Stage:
    name: str  # as on the command line: run_daily.sh --stage NAME
    notebook: str  # notebooks/<notebook>.ipynb, saved as runs/<date>/<notebook>.ipynb

    def run(self, day: date, systems: "Systems", options: StageOptions = StageOptions()) -> Any:
        """Run the stage in this process (the notebook makes the same call)."""
        module = importlib.import_module(f"seatlib.stages.{self.name}")
        return module.run(day, systems, options)


#: In run order.
STAGES: tuple[Stage, ...] = (
    Stage("extract", "01_extract"),
    Stage("silver", "02_silver"),
    Stage("gold", "03_gold"),
    Stage("load", "04_load"),
    Stage("report", "05_report"),
)
NAMES: tuple[str, ...] = tuple(s.name for s in STAGES)
#: What a back-fill re-runs: everything but the extract (Zoho keeps no past state).
REBUILD: tuple[str, ...] = NAMES[1:]


class StageSetup(NamedTuple):
    """What a stage notebook works with, as :func:`setup` makes it."""

    settings: "Settings"
    systems: "Systems"
    options: StageOptions
    day: date


def setup(run_date: str = "", config_path: str = "", *, allow_replay: bool = False,
          allow_drop: bool = False, full_refresh: bool = False) -> StageSetup:
    """A stage notebook's first cell, from its parameters: the settings (``config_path``, else
    ``$SEATLIB_CONFIG`` or config/seat-monitor.toml), the log (addresses masked unless
    ``[report] show_emails``), the systems from the environment (secrets read on first use),
    the options and the day (``run_date``, else today, UTC); prints the line that opens every
    executed notebook."""
    from ..core import log
    from ..core.config import load_settings, run_day
    from ..systems import Systems

    settings = load_settings(config_path or None)
    log.setup(show_emails=settings.report.show_emails)
    systems = Systems.from_environment(settings)
    options = StageOptions(allow_drop=allow_drop, allow_replay=allow_replay,
                           full_refresh=full_refresh)
    day = run_day(run_date)
    print(f"{day} | lake {settings.lake_url} | config {settings.source}")
    return StageSetup(settings, systems, options, day)
