"""Freeing seats in Zoho: the one part of seat-monitor that changes Zoho (docs/reclaim.md).

Run by a person through ``run_daily.sh --reclaim`` (``notebooks/reclaim_seats.ipynb``), never
by cron. Read in this order, each module importing only the ones before it:

* :mod:`.plan` - the plan: one row per user from the latest gold day's seat ledger, an id that
  is the hash of its content, written create-only to the lake and the attempt's folder.
* :mod:`.check` - the approval bound to a plan and its rows, the same rows derived again from
  Zoho and the company database right before any call, and the limit on one execution.
* :mod:`.actions` - the calls (deactivate, reactivate, remove), their outcome per user, the
  removal offered only after a second look at Zoho's seat counter, what the terminal and the
  report say of it.

The audit trail in the lake (one object per action, created once, written before each call
and after it; read back strictly) is a run record: :mod:`seatlib.history.trail`. What this
package may import: :mod:`seatlib.core`, :mod:`seatlib.systems` (:mod:`seatlib.systems.zoho`),
:mod:`seatlib.history` and the stages' rules (:mod:`seatlib.stages.gold`,
:mod:`seatlib.stages.seats`); nothing imports it but the runner's ``--reclaim`` half, the
notebook and the outputs block.
"""
