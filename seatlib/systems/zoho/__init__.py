"""The Zoho Analytics API v2 client, the only code that talks to Zoho.

Other code imports from here: :class:`ZohoClient`, the records it returns (:class:`Org`,
:class:`Workspace`, :class:`User`, :class:`Admin`, :class:`Resource`), :func:`ms_to_utc` and
:data:`RATE_SAFETY` (the limiter's margin). The rooms behind it, each depending only on those
listed before it: ``records`` (typed records, tolerant value readers, the Access Log time
parser), ``protocol`` (paths, codes, hints, envelopes), ``pacing`` (rate limit, budgets,
backoff, progress), ``transport`` (HTTP, retries, error translation), ``auth`` (OAuth tokens),
``export`` (bulk export jobs) and ``client`` (the façade).
"""

from .client import ZohoClient
from .pacing import RATE_SAFETY
from .records import Admin, Org, Resource, User, Workspace, ms_to_utc

__all__ = ["RATE_SAFETY", "Admin", "Org", "Resource", "User", "Workspace", "ZohoClient",
           "ms_to_utc"]
