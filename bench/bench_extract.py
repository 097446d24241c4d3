"""Benchmark: the extract stage over 1,000 workspaces against the Zoho simulator, limits on.

What it measures: the API calls (by endpoint) and the wall time of ``seatlib.stages.extract.run``
for the four Zoho sources, against the floor that Zoho's per-minute limits set (calls / limit), and
the number of 6045 answers (must be 0: the client's limiter, not the server, paces the run).

How: the organisation is the demo world's (``World(42)``) on a day when it has grown past 1,000
workspaces, cut to exactly ``--workspaces``. The simulator enforces Zoho's limits (60 METADATA,
40 BULK, 100 overall calls a minute; 10 tokens per 10 minutes; 5 export jobs) on a clock scaled
by ``--time-scale``: 1/60 makes a "minute" last one second, so the 17-minute run takes about
17 seconds. The client's ``calls_per_minute`` is scaled to the same clock (60 a scaled minute =
3,600 a real minute at 1/60), and so are the export job's duration and the client's poll
interval. ``--time-scale 1`` runs in real time (about 18 minutes). The simulator runs in a child
process (:class:`SimProcess`) that builds the state itself, a separate Zoho stand-in: in the
bench's own process its threads and its large state delayed the client's calls past their slots
(the interpreter lock, and garbage collections of a few hundred milliseconds).

Run from the repository root::

    /usr/bin/time -v .venv/bin/python bench/bench_extract.py            # scaled, ~20 s
    .venv/bin/python bench/bench_extract.py --time-scale 1              # real time, ~18 min

The figures go to stdout as markdown (and to ``--json FILE``); the log (progress lines with
ETA) goes to stderr. Results are recorded in ``bench/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import multiprocessing
import os
import platform
import resource
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

from seatlib import __version__
from seatlib.stages import extract  # noqa: E402
from seatlib.core.config import Settings, ZohoSecrets, ZohoSettings  # noqa: E402
from seatlib.sim.server import AUDIT_WORKSPACE, SimLimits, ZohoSimulator  # noqa: E402
from seatlib.sim.state import ZohoState  # noqa: E402
from seatlib.sim.world import World  # noqa: E402
from seatlib.stages import StageOptions  # noqa: E402
from seatlib.systems import Systems  # noqa: E402
from seatlib.systems.zoho import RATE_SAFETY, ZohoClient  # noqa: E402

#: A past day (the extract refuses a future one); the world has ~300 workspaces then, the rest
#: are copies of its client workspaces (:func:`grow`).
DAY = date(2026, 11, 29)
METADATA_LIMIT, BULK_LIMIT, OVERALL_LIMIT = 60, 40, 100  # Zoho's calls per minute (docs/zoho-api-notes.md §7)
EXPORT_JOB_S = 10.0  # how long the audit export job takes, in (scaled) seconds
EXPORT_POLL_S = 4.0  # the client's longest pause between polls, in (scaled) seconds


def build_state(workspaces: int, day: date = DAY) -> ZohoState:
    """The world's organisation on ``day``, cut to ``workspaces`` (the audit one kept); past
    the world's size, its client workspaces are cloned (see :func:`grow`)."""
    full = World(42).zoho_state(day)
    if len(full.workspaces) < workspaces:
        full = grow(full, workspaces)
    audit = [w for w in full.workspaces if w.name == AUDIT_WORKSPACE]
    others = [w for w in full.workspaces if w.name != AUDIT_WORKSPACE][:workspaces - len(audit)]
    keep = {w.workspace_id for w in audit + others}
    chosen = tuple(w for w in full.workspaces if w.workspace_id in keep)
    names = {w.name for w in chosen}
    return dataclasses.replace(full, workspaces=chosen, access_log=tuple(
        r for r in full.access_log if r.workspace_name in names))


def grow(state: ZohoState, workspaces: int) -> ZohoState:
    """``state`` with copies of its client workspaces (new ids, names and admin addresses; the
    users of their admins and workspace users copied with the same flags; no Access Log rows)
    up to ``workspaces``."""
    clients = [w for w in state.workspaces if w.name != AUDIT_WORKSPACE and not w.org_id]
    # by lower-case address: the world spells some admins in another case than their user, as
    # Zoho matches addresses in any case (a clone without its user would look like an admin
    # missing from GET /users, which the incremental extract re-fetches every day)
    users = {u.email.lower(): u for u in state.users}
    extra_ws, extra_users, copy = [], {}, 0
    while len(state.workspaces) + len(extra_ws) < workspaces:
        copy += 1
        for w in clients[:workspaces - len(state.workspaces) - len(extra_ws)]:
            def twin(email: str) -> str:
                local, _, domain = email.partition("@")
                return f"{local}+c{copy}@{domain}"
            for e in (*w.admins, *(e for e, _, _ in w.users)):
                user = users.get(e.lower())
                if user is not None and twin(user.email).lower() not in extra_users:
                    extra_users[twin(user.email).lower()] = dataclasses.replace(
                        user, email=twin(user.email))
            extra_ws.append(dataclasses.replace(
                w, workspace_id=f"{w.workspace_id}{copy:02d}", name=f"{w.name} c{copy}",
                admins=tuple(twin(e) for e in w.admins),
                users=tuple((twin(e), role, on) for e, role, on in w.users)))
    return dataclasses.replace(state, workspaces=state.workspaces + tuple(extra_ws),
                               users=state.users + tuple(extra_users.values()))


class SimProcess:
    """The simulator in a child process (fork), a separate Zoho stand-in: the child builds the
    state of ``day`` and serves it, so the simulator's threads and its large state share
    neither the client's interpreter lock nor its garbage collections (in one process they
    delayed calls past their slots). :meth:`stop` returns the simulator's stats.

    ``info`` holds what the bench reports of the state: ``url``, ``org_id``, ``workspaces``,
    ``without_admins``, ``access_log_rows`` and ``build_s``.
    """

    def __init__(self, workspaces: int, day: date, secrets: ZohoSecrets, limits: SimLimits):
        context = multiprocessing.get_context("fork")
        self._conn, child = context.Pipe()
        self._process = context.Process(target=_serve, name="zoho-sim", daemon=True,
                                        args=(child, workspaces, day, secrets, limits))
        self._process.start()
        child.close()
        self.info = self._conn.recv()
        if "error" in self.info:
            self._process.join(5)
            raise RuntimeError(f"the simulator did not start: {self.info['error']}")

    def stop(self) -> dict:
        """Stop the simulator; its stats (with ``cpu_s``, the child's CPU time)."""
        self._conn.send("stop")
        stats = self._conn.recv()
        self._process.join(10)
        return stats


def _serve(conn, workspaces: int, day: date, secrets: ZohoSecrets, limits: SimLimits) -> None:
    """The child of :class:`SimProcess`: build, serve until told to stop, answer the stats."""
    try:
        started = time.monotonic()
        state = build_state(workspaces, day)
        build_s = time.monotonic() - started
        sim = ZohoSimulator(state, client_id=secrets.client_id,
                            client_secret=secrets.client_secret,
                            refresh_token=secrets.refresh_token, limits=limits).start()
    except Exception as exc:  # reported to the bench, which raises it
        conn.send({"error": repr(exc)})
        return
    conn.send({"url": sim.url, "org_id": state.org_id, "workspaces": len(state.workspaces),
               "without_admins": sum(1 for w in state.workspaces if not w.admins),
               "access_log_rows": len(state.access_log), "build_s": build_s})
    try:
        conn.recv()  # "stop", or EOF when the bench died
        conn.send({**sim.stats, "cpu_s": time.process_time()})
    except (EOFError, OSError):
        pass
    finally:
        sim.stop()


def seed(workspaces: int, lake: str) -> None:
    """A full extract of the day before :data:`DAY` into ``lake``, limits off (the known
    admins the incremental extract starts from)."""
    day = DAY - timedelta(days=1)
    secrets = ZohoSecrets(client_id="1000.SEED", client_secret="seed-secret",
                          refresh_token=f"1000.seed-{uuid.uuid4().hex[:12]}")
    sim = SimProcess(workspaces, day, secrets, SimLimits(enabled=False, job_seconds=0.05))
    zoho = ZohoSettings(api_url=sim.info["url"], accounts_url=sim.info["url"],
                        org_id=sim.info["org_id"], calls_per_minute=0, max_concurrency=8,
                        export_poll_s=0.05)
    try:
        with ZohoClient(zoho, secrets) as client:
            extract.run(day, Systems.of(Settings(lake_url=lake, zoho=zoho), shared_zoho=client),
                        StageOptions(allow_replay=True), sources=extract.ZOHO_SOURCES)
    finally:
        sim.stop()


def run(workspaces: int, time_scale: float, concurrency: int, limiter: bool = True,
        incremental: bool = False) -> dict:
    """One extract; returns the figures. ``limiter=False`` switches the client's rate limiter
    off, to show what it saves; ``incremental`` first lays yesterday's full extract into the
    lake (unmeasured), so today's asks only the new, changed and due workspaces' admins."""
    secrets = ZohoSecrets(client_id="1000.BENCH", client_secret="bench-secret",
                          refresh_token=f"1000.bench-{uuid.uuid4().hex[:12]}")
    limits = SimLimits(enabled=True, time_scale=time_scale, metadata_per_minute=METADATA_LIMIT,
                       bulk_per_minute=BULK_LIMIT, overall_per_minute=OVERALL_LIMIT,
                       job_seconds=EXPORT_JOB_S * time_scale)
    # the client's limit is per real minute: 60 per scaled minute is 60 / time_scale per real one
    calls_per_minute = round(METADATA_LIMIT / time_scale) if limiter else 0
    with tempfile.TemporaryDirectory(prefix="bench-lake-") as lake:
        if incremental:
            seed(workspaces, lake)
        sim = SimProcess(workspaces, DAY, secrets, limits)
        zoho = ZohoSettings(api_url=sim.info["url"], accounts_url=sim.info["url"],
                            org_id=sim.info["org_id"], calls_per_minute=calls_per_minute,
                            max_concurrency=concurrency,
                            export_poll_s=max(0.05, EXPORT_POLL_S * time_scale))
        settings = Settings(lake_url=lake, zoho=zoho)
        cpu0 = time.process_time()
        t0 = time.monotonic()
        try:
            with ZohoClient(zoho, secrets) as client:
                result = extract.run(DAY, Systems.of(settings, shared_zoho=client),
                                     StageOptions(allow_replay=True,
                                                  full_refresh=not incremental),
                                     sources=extract.ZOHO_SOURCES)
                tokens, late = client.tokens_obtained, client.late_wakes
        finally:
            wall = time.monotonic() - t0
            cpu = time.process_time() - cpu0
            stats = sim.stop()
    return figures(sim.info, stats, result, time_scale=time_scale, incremental=incremental,
                   calls_per_minute=calls_per_minute, concurrency=concurrency, tokens=tokens,
                   late=late, wall=wall, cpu=cpu)


def figures(info: dict, stats: dict, result, *, time_scale: float, incremental: bool,
            calls_per_minute: int, concurrency: int, tokens: int, late: int, wall: float,
            cpu: float) -> dict:
    """The figures of one extract, from the simulator's counters and the client's."""
    by_endpoint = dict(sorted(stats["requests"].items(), key=lambda kv: -kv[1]))
    api_calls = {k: v for k, v in by_endpoint.items() if k.startswith("GET /restapi/")}
    refused = stats["errors"].get(6045, 0)  # every 6045 answer (the counters include them)
    bulk = sum(v for k, v in api_calls.items() if "/bulk/" in k)
    metadata = sum(api_calls.values()) - bulk - refused  # 6045s are all METADATA calls here
    total = metadata + bulk
    minute_s = 60.0 * time_scale  # one (scaled) minute in real seconds
    floor_min = max(metadata / METADATA_LIMIT, bulk / BULK_LIMIT, total / OVERALL_LIMIT)
    return {
        "workspaces": info["workspaces"],
        "extract": "incremental" if incremental else "full",
        "workspaces_without_admins": info["without_admins"],
        "access_log_rows": info["access_log_rows"],
        "time_scale": time_scale,
        "client_calls_per_minute": calls_per_minute,
        "max_concurrency": concurrency,
        "calls_by_endpoint": by_endpoint,
        "api_calls": total,  # answered, i.e. without the ones refused with 6045
        "metadata_calls": metadata,
        "bulk_calls": bulk,
        "token_requests": stats["token_requests"],
        "tokens_obtained": tokens,
        "answers_6045": refused,
        "late_wakes": late,  # slots the client's limiter gave up after a pause of the process
        "errors": stats["errors"],
        "export_jobs": stats["jobs_created"],
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),  # the bench (client) process only
        "sim_cpu_s": round(stats["cpu_s"], 2),  # the simulator's child, build included
        "wall_scaled_min": round(wall / minute_s, 2),
        "floor_scaled_min": round(floor_min, 2),
        "floor_s": round(floor_min * minute_s, 2),
        "ratio_to_floor": round(wall / (floor_min * minute_s), 3),
        "client_pacing_s": (round((total - 1) * 60.0 / calls_per_minute * RATE_SAFETY, 2)
                            if calls_per_minute else None),
        "rows": result.rows,
        "state_build_s": round(info["build_s"], 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "sim_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
                                 1),
        "python": platform.python_version(),
        "seatlib": __version__,
        "cpus": os.cpu_count(),
    }


def markdown(r: dict) -> str:
    pacing = (f"client calls_per_minute {r['client_calls_per_minute']} per real minute "
              f"(= {METADATA_LIMIT} per scaled minute)" if r["client_calls_per_minute"]
              else "client rate limiter OFF")
    own_pacing = (f"{r['client_pacing_s']} s" if r["client_pacing_s"] is not None
                  else "n/a (limiter off)")
    lines = [
        f"- {r['extract']} extract; workspaces: {r['workspaces']} "
        f"({r['workspaces_without_admins']} with an empty "
        f"/admins, so also /users); Access Log rows: {r['access_log_rows']}",
        f"- clock: time_scale {r['time_scale']:g} (a minute lasts {60 * r['time_scale']:g} s); "
        f"{pacing}, max_concurrency {r['max_concurrency']}",
        f"- API calls answered: **{r['api_calls']}** ({r['metadata_calls']} METADATA, "
        f"{r['bulk_calls']} BULK) + {r['token_requests']} token request(s); "
        f"tokens obtained: **{r['tokens_obtained']}**",
        f"- 6045 answers: **{r['answers_6045']}** (each a call refused and repeated); "
        f"all error answers: {r['errors'] or 'none'}; limiter slots given up after a pause "
        f"of the process: {r['late_wakes']}",
        f"- wall time: **{r['wall_s']} s = {r['wall_scaled_min']} scaled minutes**; "
        f"floor set by the limits: {r['floor_s']} s = {r['floor_scaled_min']} scaled minutes "
        f"(max of METADATA/{METADATA_LIMIT}, BULK/{BULK_LIMIT}, all/{OVERALL_LIMIT}); "
        f"**ratio to floor {r['ratio_to_floor']}**",
        f"- the client's own pacing (calls - 1) x interval x {RATE_SAFETY}: {own_pacing}; "
        f"CPU time {r['cpu_s']} s (client) + {r['sim_cpu_s']} s (simulator process); "
        f"peak RSS (getrusage) {r['peak_rss_mb']} MB (client), {r['sim_peak_rss_mb']} MB "
        f"(largest simulator process)",
        f"- bronze rows: {r['rows']}",
        "",
        "| endpoint | calls |",
        "|---|---:|",
    ]
    lines += [f"| `{k}` | {v} |" for k, v in r["calls_by_endpoint"].items()]
    if r["answers_6045"]:
        lines.append(f"\n(the endpoint counts include the {r['answers_6045']} calls refused "
                     f"with 6045)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workspaces", type=int, default=1000)
    parser.add_argument("--time-scale", type=float, default=1 / 60,
                        help="real seconds per simulated second (default 1/60: a minute is 1 s)")
    parser.add_argument("--concurrency", type=int, default=ZohoSettings.max_concurrency)
    parser.add_argument("--no-limiter", action="store_true",
                        help="switch the client's rate limiter off (expect 6045 answers)")
    parser.add_argument("--incremental", action="store_true",
                        help="lay yesterday's full extract into the lake first (unmeasured) and "
                             "measure today's incremental admins extract")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("seatlib").setLevel(logging.INFO)
    figures = run(args.workspaces, args.time_scale, args.concurrency, not args.no_limiter,
                  args.incremental)
    print(markdown(figures))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1), encoding="utf-8")
    return 0 if figures["answers_6045"] == 0 or args.no_limiter else 1


if __name__ == "__main__":
    raise SystemExit(main())
