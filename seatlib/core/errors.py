"""The exceptions seatlib raises. Stage code and notebooks never see a raw driver error.

Every message names *what* failed and *where* (the call, the source, the file, the table) and,
where there is one, what to do about it.
"""

from __future__ import annotations


class SeatlibError(Exception):
    """Root of every error seatlib raises on purpose."""


class ConfigError(SeatlibError):
    """A missing or invalid setting; the message names the variable or key."""


class ZohoError(SeatlibError):
    """A Zoho Analytics call failed.

    Attributes:
        call: e.g. ``"GET /restapi/v2/users"``.
        code: Zoho's error code (int) when the answer carried one, else None.
        zoho_message: Zoho's own message, verbatim.
        hint: what the operator should do about it.
        http_status: the HTTP status of the answer, when there was one.
    """

    def __init__(self, call: str, code: int | None = None, zoho_message: str = "",
                 hint: str = "", http_status: int | None = None):
        self.call = call
        self.code = code
        self.zoho_message = zoho_message
        self.hint = hint
        self.http_status = http_status
        parts = [f"Zoho call {call} failed"]
        if code is not None:
            parts.append(f"code {code}")
        if http_status is not None:
            parts.append(f"HTTP {http_status}")
        text = ", ".join(parts)
        if zoho_message:
            text += f": {zoho_message}"
        if hint:
            text += f". {hint}"
        super().__init__(text)


class ZohoAuthError(ZohoError):
    """OAuth failed: bad, revoked or wrong-data-centre credentials, or the token limit."""


class LakeError(SeatlibError):
    """Reading or writing the lake failed; the message names the key and the lake."""


class DataQualityError(SeatlibError):
    """Input broke its contract: a missing column, a wrong type, a duplicate key, an empty extract."""


class WarehouseError(SeatlibError):
    """A database call failed; the message names the operation and the table or query."""


class CompanyDatabaseError(WarehouseError):
    """A call to the company database (the module-status query) failed or was refused.

    A kind of :class:`WarehouseError`, so code catching that for any database keeps working.
    """


class RunInProgressError(SeatlibError):
    """Another run holds the lock."""
