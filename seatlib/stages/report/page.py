"""The report as HTML pages, and the day's action list as a spreadsheet-safe CSV.

* ``runs/<date>/<attempt>/report.html``: small; loads the shared ``runs/plotly.min.js``
  (``../../plotly.min.js``), so it opens offline in place; copied alone, each chart says
  where to find it instead of leaving a blank.
* ``runs/latest-report.html``: the latest day's page with plotly.js inlined once (about 4.9 MB):
  one self-contained file that works when copied or attached alone. A back-filled older day does
  not replace it.
* ``runs/<date>/actions.csv``: the seats to free and the users to activate, formula-safe.

E-mail addresses are masked everywhere here unless ``[report] show_emails``.
"""

from __future__ import annotations

import html
import logging
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from . import runs as report_runs
from .charts import (
    CATEGORY_GLOSSARY, CATEGORY_LABELS, GLOSSARY, STATUS_COLORS, STATUS_LABELS, html_fragment,
)
from ...core.contracts import CATEGORIES, STATUSES
from ...core.privacy import formula_safe, mask_frame, mask_text

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from . import Report

LATEST = "latest-report.html"
_DAY_META = re.compile(r'<meta name="report-day" content="(\d{4}-\d{2}-\d{2})">')

# inline too, so the notebook (which has no page style) shows the banner the same way
_WARN = "background:#fde2e1;border:2px solid #d62728;padding:.8em 1em;font-size:1.1em"
_OK = "background:#e6f4e6;border:1px solid #2ca02c;padding:.8em 1em"
_GAP = "background:#fff4d6;border:1px solid #e0a800;padding:.6em"
_CSS = """body{font-family:system-ui,sans-serif;margin:1.5em auto;max-width:1200px;padding:0 1em;color:#222}
h1{margin-bottom:.2em} h2{margin-top:1.6em;border-bottom:1px solid #ddd;padding-bottom:.2em}
.warn{background:#fde2e1;border:2px solid #d62728;padding:.8em 1em;font-size:1.1em;margin:1em 0}
.ok{background:#e6f4e6;border:1px solid #2ca02c;padding:.8em 1em;margin:1em 0}
.gap{background:#fff4d6;border:1px solid #e0a800;padding:.6em;margin:1em 0}
ol.todo>li{margin:.5em 0;font-size:1.05em} .muted{color:#666;font-size:.92em}
table{border-collapse:collapse;width:100%;table-layout:auto;font-size:.92em;margin:.5em 0}
td,th{padding:3px 8px;border-bottom:1px solid #ddd;text-align:left;vertical-align:top;
overflow-wrap:anywhere} th{background:#f4f4f4;overflow-wrap:normal;min-width:3.5em} table.figures{width:auto} table.figures td{white-space:nowrap}
.chart{margin:1em 0;min-height:430px} dl.glossary dt{font-weight:600;margin-top:.5em}
.swatch{display:inline-block;width:.8em;height:.8em;margin-right:.4em;border-radius:2px}"""


def _table(df: pd.DataFrame, empty: str, show: bool, cls: str = "list") -> str:
    if df.empty:
        return f"<p><em>{html.escape(empty)}</em></p>"
    return (mask_frame(df, show=show).astype("string").fillna("")
            .to_html(index=False, classes=cls, border=0, escape=True))


def todo(rep: "Report") -> str:
    """The actions of the day, in order, with the pool and the forecast."""
    t = rep.today
    ex, idle = int(t["seats_held_by_ex_clients"]), int(t["seats_held_by_inactive_clients"])
    waiting = int(t["paying_without_user"])
    blocked = (" They cannot be activated until a seat is free: free seats first."
               if int(t["seats_free"]) < max(waiting, 1) else "")
    items = [f"<b>Free {ex} seat(s) held by ex-clients</b> (list below, longest unused first).",
             f"<b>Then free {idle} seat(s) of inactive clients</b> (idle over "
             f"{rep.inactive_days} days; check with the client first).",
             f"<b>Then activate the users of {waiting} client(s) who pay without one.</b>{blocked}"]
    after = (f"Seats free after reclaiming: <b>{rep.free_after_reclaim}</b> "
             f"(free today {int(t['seats_free'])} + {rep.seats_to_free} to free).")
    f = rep.forecast
    return ("<ol class='todo'>" + "".join(f"<li>{i}</li>" for i in items) + f"</ol><p>{after}</p>"
            f"<p><b>Pool:</b> {html.escape(rep.pool_sentence())}</p>"
            f"<p><b>Forecast:</b> {html.escape(f.sentence)} "
            f"<span class='muted'>Method: {html.escape(f.method)}</span></p>")


def banner(rep: "Report") -> str:
    """The warning (or all-clear) line, and the missing days."""
    head = (f'<div class="warn" style="{_WARN}">&#9888; {html.escape(rep.warning)}</div>'
            if rep.warning else f'<div class="ok" style="{_OK}">Seats below the warning level.</div>')
    if rep.missing_days:
        head += (f'<div class="gap" style="{_GAP}">Days missing from the history: '
                 f'{", ".join(d.isoformat() for d in rep.missing_days)}</div>')
    return head


def glossary(rep: "Report") -> str:
    """One line per status, in the status colours."""
    return "<dl class='glossary'>" + "".join(
        f"<dt><span class='swatch' style='background:{STATUS_COLORS[s]}'></span>"
        f"{html.escape(STATUS_LABELS[s])}</dt><dd>{html.escape(GLOSSARY[s].format(days=rep.inactive_days))}</dd>"
        for s in STATUSES) + "</dl>"


def seats(rep: "Report") -> str:
    """Seat users by category (docs/seats.md), and Zoho's counter against the ledger."""
    table = rep.seat_categories()
    if table.empty:
        return ("<p class='muted'>This day's gold is from before the seat ledger: no "
                "categories. A back-fill of the day adds them.</p>")
    line = rep.counter_line() or ""
    return (_table(table, "", False, "figures") + f"<p>{html.escape(line)}</p>"
            "<p class='muted'>Every active user holding one of the plan's seats is counted "
            "once, in one category; a consultant serving a paying client and an ex-client "
            "serves a paying client. Only seats serving ex-clients alone are reclaimable. "
            "The list, user by user: <code>gold/seat_ledger/&lt;day&gt;.csv</code>, the "
            "warehouse view <code>v_seat_ledger_latest</code>.</p>")


def shared(rep: "Report") -> str:
    """Ex-clients whose seat also serves a paying client: shown, never offered for freeing."""
    rows = rep.shared_ex_clients
    if rows.empty:
        return ""
    return ("<h3>Ex-clients whose seat is not reclaimable (not to free)</h3>"
            "<p class='muted'>Their admin also serves a paying client (deactivating it would "
            "lock that client out: remove the user from the ex-client's workspace instead) or "
            "runs a workspace of a client nobody can name (check it first). The last column "
            "says which.</p>"
            + _table(rows, "", rep.settings.report.show_emails))


def categories() -> str:
    """One line per seat category."""
    return "<dl class='glossary'>" + "".join(
        f"<dt>{html.escape(CATEGORY_LABELS[c])} (<code>{c}</code>)</dt>"
        f"<dd>{html.escape(CATEGORY_GLOSSARY[c])}</dd>" for c in CATEGORIES) + "</dl>"


def reclaims(rep: "Report") -> str:
    """This month's reclaims (run by a person: docs/reclaim.md) and the users back since."""
    r = rep.reclaims or {}
    if "error" in r:
        return f"<p class='muted'>The reclaim's trail could not be read: {html.escape(r['error'])}</p>"
    if not r:
        return "<p class='muted'>No reclaim figures.</p>"
    again = r.get("reactivated_within_30_days", [])
    shown = [e if rep.settings.report.show_emails else mask_text(e) for e in again]
    back = (f"<p><b>{len(again)} user(s) deactivated by the reclaim in the last 30 days are "
            f"active again</b> (seen in GET /users, or reactivated with --reactivate): "
            f"{html.escape(', '.join(shown))}. Was the client's seat freed too early?</p>"
            if again else "<p>No user the reclaim deactivated in the last 30 days is active "
                          "again.</p>")
    return (f"<p>In {html.escape(r['month'])}: <b>{r['users_deactivated']}</b> user(s) "
            f"deactivated, <b>{r['seats_freed']}</b> seat(s) freed by Zoho's counter. Plan, "
            f"approve and execute with <code>run_daily.sh --reclaim</code> "
            f"(docs/reclaim.md).</p>{back}")


def quality(rep: "Report") -> str:
    """Rows per source against the day before, missing days, the guards that fired."""
    show = rep.settings.report.show_emails
    gaps = (", ".join(d.isoformat() for d in rep.missing_days) if rep.missing_days else "none")
    notes = "".join(f"<li>{html.escape(mask_text(n) if not show else n)}</li>"
                    for n in rep.quality_notes) or "<li>No guard fired.</li>"
    return (_table(rep.quality, "no silver rows", show) +
            f"<p>Days missing from the history: {html.escape(gaps)}</p><ul>{notes}</ul>")


def body(rep: "Report") -> str:
    """The page's body: actions first, then figures, forecast, cost, charts, lists, quality."""
    show = rep.settings.report.show_emails
    # the notebooks' self-drawing fragment: the page's plotly.js when it loaded, else the
    # shared copy looked for nearby, else a note saying where the charts are
    charts = "\n".join(f'<div class="chart">{html_fragment(fig)}</div>'
                       for fig in rep.figures.values())
    prices = rep.settings.report
    return f"""<h1>Zoho Analytics seats on {rep.day}</h1>
{report_runs.banner(rep.runs)}
{banner(rep)}
<h2>What to do today</h2>{todo(rep)}
<h2>Key figures</h2>{_table(rep.key_figures(), "", show, "figures")}
<h2>Who holds the seats</h2>{seats(rep)}
<h2>Cost a month</h2>{_table(rep.cost(), "", show, "figures")}
<p class="muted">At {prices.seat_price_month:g} {html.escape(prices.currency)} a seat and
{prices.module_price_month:g} {html.escape(prices.currency)} a module a month ([report] seat_price_month, module_price_month).</p>
<h2>1. Seats to free: ex-clients, then inactive clients</h2>{_table(rep.free_these, "None: no seat to free.", show)}
{shared(rep)}
<h2>2. Users to activate: clients paying without a user</h2>
<p class="muted">Blocked until a seat is free: Zoho creates the user inactive while the seats are full.</p>
{_table(rep.paying_without_user, "None.", show)}
<h2>Charts</h2>{charts}
<h2>Seats freed with the reclaim</h2>{reclaims(rep)}
<h2>Unmatched rows (check by hand)</h2>{_table(rep.unmatched, "None: every row is matched.", show)}
<h2>Data quality</h2>{quality(rep)}
<h2>Statuses</h2>{glossary(rep)}
<h2>Seat categories</h2>{categories()}
<h2>Runs</h2>{report_runs.section(rep.runs, show)}"""


def page(rep: "Report", script: str) -> str:
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="report-day" content="{rep.day}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Zoho seats {rep.day}</title>
{script}
<style>{_CSS}</style>
</head><body>
{body(rep)}
</body></html>"""


def ensure_plotly_js(runs_dir: Path) -> Path:
    """``runs_dir/plotly.min.js``, the one copy every page shares, made equal to the installed
    plotly's on every call.

    A missing file, one cut short by a killed run, or one of another plotly version is replaced
    whole (written beside it and renamed over it, as every lake file), so a page never loads a
    broken script.
    """
    import plotly
    import plotly.offline

    js = Path(runs_dir) / "plotly.min.js"
    data = plotly.offline.get_plotlyjs().encode("utf-8")
    try:
        same = js.read_bytes() == data
    except OSError:
        same = False
    if not same:
        _write(js, data)
        log.info("report: wrote %s (plotly %s)", js, plotly.__version__)
    return js


def _write(path: Path, data: bytes) -> None:
    """Whole or nothing, as every lake file: a killed run never leaves half a page."""
    from ...systems.lake import Lake

    Lake(str(path.parent)).write_bytes(path.name, data)


def write_html(rep: "Report", path: Path, runs_dir: Path | None = None) -> Path:
    """Save the day's page; plotly.js is shared as ``runs/plotly.min.js``, linked relatively
    (``../../plotly.min.js`` from an attempt folder)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    js = ensure_plotly_js(Path(runs_dir) if runs_dir else path.parent.parent)
    link = os.path.relpath(js, path.parent).replace(os.sep, "/")
    _write(path, page(rep, f'<script src="{html.escape(link)}"></script>').encode("utf-8"))
    return path


def write_latest(rep: "Report", runs_dir: Path) -> Path | None:
    """Save ``runs/latest-report.html``, self-contained; None when a later day's page is there."""
    path = Path(runs_dir) / LATEST
    if path.exists():
        found = _DAY_META.search(path.read_text(encoding="utf-8", errors="replace")[:2000])
        if found and found.group(1) > rep.day.isoformat():
            return None
    js = ensure_plotly_js(Path(runs_dir)).read_text(encoding="utf-8")
    _write(path, page(rep, f"<script>{js}</script>").encode("utf-8"))
    return path


def write_actions(rep: "Report", path: Path) -> Path:
    """The day's to-do list for a spreadsheet: masked unless show_emails, formula-safe."""
    free = rep.free_these.assign(Action="Free the seat")
    activate = rep.paying_without_user.assign(Action="Activate the user once a seat is free")
    rows = pd.concat([free, activate], ignore_index=True)
    rows = mask_frame(rows[["Action", *[c for c in rows.columns if c != "Action"]]],
                      show=rep.settings.report.show_emails)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    formula_safe(rows).to_csv(path, index=False, encoding="utf-8-sig")
    return Path(path)


def save(rep: "Report", runs_dir: Path) -> dict[str, Path | None]:
    """Every file of the day under ``runs/``: the page, the latest page, the action list."""
    from ...history.attempts import day_dir as attempt_dir

    day_dir = attempt_dir(runs_dir, rep.day)
    return {"page": write_html(rep, day_dir / "report.html", Path(runs_dir)),
            "latest": write_latest(rep, Path(runs_dir)),
            "actions": write_actions(rep, day_dir / "actions.csv")}
