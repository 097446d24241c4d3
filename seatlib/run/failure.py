"""The alert of a failed stage: the runner tells the operator which stage failed and where its
notebook is. Delivered and recorded like every alert (:mod:`seatlib.history.alerts`).
"""

from __future__ import annotations

from datetime import date
from typing import Mapping

from ..core import config as cfg
from ..history import alerts as alert_record


def stage_failed(settings: cfg.Settings, day: date, stage: str, error: str, notebook: str,
                 env: Mapping[str, str] | None = None) -> list[str]:
    """Tell the operator a stage failed: which, the error's first line, where the notebook is."""
    first = (error or "").strip().splitlines()[0][:300] if (error or "").strip() else "(no message)"
    title = f"seat-monitor {day}: stage {stage} FAILED"
    body = (f"Stage {stage} failed for {day}: {first}\nNotebook (with the error): {notebook}\n"
            f"Later stages did not run; today's report and alert are missing.")
    return alert_record.send(settings, title, body, level="failure", day=day, env=env,
                             payload={"kind": "stage_failure", "day": day.isoformat(),
                                      "stage": stage, "error": first, "notebook": notebook})
