"""The Zoho Analytics API v2 client, the only code that talks to Zoho: :class:`ZohoClient` and
the records it returns."""

from .client import RATE_SAFETY, Org, Resource, User, Workspace, ZohoClient, ms_to_utc

__all__ = ["RATE_SAFETY", "Org", "Resource", "User", "Workspace", "ZohoClient", "ms_to_utc"]
