"""Run: the command line behind ``run_daily.sh`` and what it takes to run the stages.

What it holds: the runner (:mod:`.runner`, ``python -m seatlib.run.runner``) and its
``--reclaim`` half (:mod:`.reclaim`); one invocation as the history sees it (:mod:`.session`);
the checks before any stage (:mod:`.preflight`); the warm kernels (:mod:`.kernels`) and
papermill's execution (:mod:`.execution`); the alert of a failed stage (:mod:`.failure`); the
block of outputs printed at the end (:mod:`.outputs`); the demo's wiring of the stand-ins
(:mod:`.demo`). What it may import: every other package of seatlib; it is the top floor and
nothing imports it (the notebooks neither).
"""
