"""Status names, colours and charts shared by the report, its page and the client notebook.

Charts in executed notebooks (docs/stack-notes.md §3): plotly's own mimetype draws in JupyterLab
but nbconvert and other viewers drop it, and plotly's ``notebook`` renderer embeds 4.8 MB of
plotly.js per notebook. :func:`show` therefore displays each figure as one bundle of two
representations: plotly's mimetype (JupyterLab, VS Code) and a small ``text/html`` (nbconvert's
HTML, any browser) holding the figure's JSON and a loader that draws it with the run's shared
``plotly.min.js``, looked for next to the page, one and two folders up (``runs/plotly.min.js``
from ``runs/<date>/<attempt>/``), and from ``notebooks/`` in production's ``../runs/`` and the
demo's ``../var/demo/runs/``. Where it is found nowhere, the chart's place says so and names the
self-contained page, ``latest-report.html``.
"""

from __future__ import annotations

import html
import json
import uuid

import plotly.graph_objects as go

from ...core import statuses

#: The one name, colour and glossary sentence of each status: :mod:`seatlib.core.statuses`.
STATUS_LABELS = statuses.LABELS
STATUS_COLORS = statuses.COLOURS
GLOSSARY = statuses.GLOSSARY

#: The seat ledger's categories (docs/seats.md): every seat user is in exactly one.
CATEGORY_LABELS = {
    "staff": "Staff",
    "client": "Serves a paying client",
    "unmatched": "Unknown client's workspace",
    "ex_client": "Serves only ex-clients",
    "no_workspace": "No workspace",
}
CATEGORY_GLOSSARY = {
    "staff": "The reseller's own users (organisation and account admins, workspace owners, "
             "[reclaim] staff_emails and staff_domains). Never reclaimed.",
    "client": "Administers a workspace of at least one client with the module. Never reclaimed: "
              "it would lock that client out, also when the user serves ex-clients too "
              "(a shared seat).",
    "unmatched": "Administers a workspace whose client nobody can name. Check it first.",
    "ex_client": "Administers only workspaces of clients without the module: the reclaimable "
                 "seats.",
    "no_workspace": "Holds a seat but administers no client workspace. Look at it by hand.",
}

#: Tried in order by the page's browser; the last two serve a client notebook converted in
#: ``notebooks/`` (production's [runs] dir, then the demo's).
PLOTLY_JS_CANDIDATES = ("plotly.min.js", "../plotly.min.js", "../../plotly.min.js",
                        "../runs/plotly.min.js", "../var/demo/runs/plotly.min.js")

_LOADER = """<script>(function(){var id=%(id)s,cands=%(cands)s;
function draw(){var s=JSON.parse(document.getElementById(id+"-spec").textContent);
Plotly.newPlot(id,s.data,s.layout,{responsive:true,displaylogo:false});}
if(window.Plotly){draw();return;}
window.__seatlibPlotly=window.__seatlibPlotly||new Promise(function(ok,no){var i=0;
(function next(){if(i>=cands.length){no();return;}var t=document.createElement("script");
t.src=cands[i++];t.onload=function(){ok();};t.onerror=function(){t.remove();next();};
document.head.appendChild(t);})();});
window.__seatlibPlotly.then(draw,function(){document.getElementById(id).innerHTML=%(missing)s;});
})();</script>"""
_MISSING = ("<p style='padding:1em;border:1px dashed #999'>This chart is drawn with plotly.min.js, "
            "which is not next to this file (it lives in the runs folder: runs/, or var/demo/runs/ "
            "for the demo). Open the notebook in JupyterLab, or the runs folder's "
            "latest-report.html, which holds everything.</p>")


def layout(fig: go.Figure, title: str, y_title: str, *, height: int = 430) -> go.Figure:
    """The house layout: title left, legend in one row above the plot (never over an axis)."""
    fig.update_layout(
        title=dict(text=title, x=0, xanchor="left", y=0.98, yanchor="top"),
        yaxis_title=y_title, height=height, template="plotly_white",
        margin=dict(l=60, r=20, t=90, b=50),
        legend=dict(orientation="h", x=0, xanchor="left", y=1.0, yanchor="bottom"),
        font=dict(family="system-ui, sans-serif", size=13))
    return fig


def figure_json(fig: go.Figure) -> dict:
    """The figure as plotly's mimetype carries it."""
    return json.loads(fig.to_json())


def html_fragment(fig: go.Figure) -> str:
    """A self-drawing ``<div>`` for notebooks: the figure's JSON and the plotly.js loader."""
    div = f"seatlib-{uuid.uuid4().hex[:12]}"
    spec = fig.to_json().replace("</", "<\\/")
    height = int(fig.layout.height or 450)
    return (f'<div id="{div}" style="width:100%;height:{height}px"></div>'
            f'<script type="application/json" id="{div}-spec">{spec}</script>'
            + _LOADER % {"id": json.dumps(div), "cands": json.dumps(list(PLOTLY_JS_CANDIDATES)),
                         "missing": json.dumps(_MISSING)})


def bundle(fig: go.Figure) -> dict:
    """Both representations of a figure, as a display bundle."""
    return {"application/vnd.plotly.v1+json": figure_json(fig),
            "text/html": html_fragment(fig),
            "text/plain": f"<chart: {html.unescape(str(fig.layout.title.text or 'plotly figure'))}>"}


def show(fig: go.Figure) -> None:
    """Display a figure in a notebook so that it draws in JupyterLab and in nbconvert's HTML."""
    from IPython.display import display

    display(bundle(fig), raw=True)


def status_trace_name(status: str) -> str:
    return STATUS_LABELS.get(status, status)
