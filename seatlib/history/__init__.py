"""History: the records of the runs, each with one owner.

What it holds: the attempt folders, their durable copy and retention (:mod:`.attempts`); the
run ledger (:mod:`.ledger`); the run lock, its text, its reader and ``pid_alive``
(:mod:`.lock`); the record of the alerts, ``alerts.json`` (:mod:`.alerts`); the heartbeat, the
last success and ``--check`` (:mod:`.health`); the reclaim's audit trail in the lake
(:mod:`.trail`). What it may import: :mod:`seatlib.core` and :mod:`seatlib.systems` (the lake,
the warehouse), never a stage or the runner: the runner and the stages write these records,
the report reads them.
"""
