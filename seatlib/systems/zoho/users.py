"""User management: deactivate, activate and remove organisation users (§10).

``PUT /users/inactive``, ``PUT /users/active`` and ``DELETE /users`` share one shape: CONFIG
``{"emailIds": [...], "domainName": ...}`` as a form field, HTTP 204 with no body, at most
1,000 addresses a call. Two facts shape this module:

* **8114 fails the whole batch** when any one address is not a member (a portal user addressed
  without its ``domainName`` included). A batch answered 8114 is split in halves until the
  culprits stand alone, so one stray address does not block the others.
* **A portal (white-label) user must be addressed with its domain**, so callers group the
  addresses by domain and send one batch per domain (:func:`batches`).

Every HTTP call made (bisection included) is reported to ``on_call`` as a :class:`CallResult`
as soon as Zoho answered, so a caller can write its audit trail call by call. Scope and
permission refusals (8535, 8540, 7301) are re-raised naming the OAuth scope the action needs.
Imports only the transport, the protocol and :mod:`seatlib.core.errors`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable, Iterator

from ...core.errors import ZohoAuthError, ZohoError
from .protocol import API
from .transport import Transport

#: Zoho's per-call limit on ``emailIds`` (§10).
MAX_BATCH = 1000
#: An address is not a member of the organisation (or not of the domain given).
NOT_A_MEMBER = 8114
#: Activation would pass the plan's user seats: 6004 (okf bundle) or 6021 (older pages).
SEAT_LIMIT_CODES = frozenset({6004, 6021})
#: Answers meaning the token or the account may not do this.
SCOPE_CODES = frozenset({8535, 8540, 7301})

#: action -> (method, path, OAuth scope) of the call.
ACTIONS: dict[str, tuple[str, str, str]] = {
    "deactivate": ("PUT", "/users/inactive", "ZohoAnalytics.usermanagement.update"),
    "activate": ("PUT", "/users/active", "ZohoAnalytics.usermanagement.update"),
    "remove": ("DELETE", "/users", "ZohoAnalytics.usermanagement.delete"),
}
#: ``domainName`` values that mean the standard (non-portal) organisation: sent as no domain.
STANDARD_DOMAIN_PREFIX = "analytics.zoho"


def portal_domain(domain: object) -> str | None:
    """The ``domainName`` to send for a user of ``domain``: None for standard users (and for
    anything that is not a text, such as a missing value)."""
    text = domain.strip().lower() if isinstance(domain, str) else ""
    if not text or text.startswith(STANDARD_DOMAIN_PREFIX):
        return None
    return text


@dataclass(frozen=True)
class CallResult:
    """One HTTP call and Zoho's answer.

    Attributes:
        action: ``"deactivate"``, ``"activate"`` or ``"remove"``.
        call: e.g. ``"PUT /restapi/v2/users/inactive"``.
        emails: the addresses sent.
        domain: the ``domainName`` sent, or None.
        ok: Zoho answered success (204).
        code: Zoho's error code when it failed, else None.
        message: Zoho's message (or ``"204 No Content"``).
    """

    action: str
    call: str
    emails: tuple[str, ...]
    domain: str | None
    ok: bool
    code: int | None = None
    message: str = "204 No Content"

    @property
    def config(self) -> dict:
        """The CONFIG that was sent."""
        config: dict = {"emailIds": list(self.emails)}
        if self.domain:
            config["domainName"] = self.domain
        return config


def batches(emails_by_domain: dict[str | None, list[str]],
            size: int = MAX_BATCH) -> Iterator[tuple[str | None, list[str]]]:
    """``(domain, addresses)`` of at most ``size`` each, one domain per batch, in order."""
    size = max(1, min(size, MAX_BATCH))
    for domain, emails in emails_by_domain.items():
        for start in range(0, len(emails), size):
            yield domain, emails[start:start + size]


class UserAdmin:
    """The user-management calls of one client.

    Args:
        api: the client's transport (limiter, retries and error translation as for every call).
    """

    def __init__(self, api: Transport):
        self._api = api

    def call(self, action: str, emails: Iterable[str], domain: str | None = None,
             before: Callable[[CallResult], None] | None = None) -> CallResult:
        """One call for ``emails`` (at most 1,000) of one domain; a refusal is a CallResult.

        ``before`` is handed the call about to be made (a CallResult not yet answered:
        ``ok`` False, ``code`` None, ``message`` "not sent yet") *before* it is made, so that
        a caller can record its intent; if it raises, the call is not made.

        Raises:
            ZohoAuthError: the token lacks the action's scope (the message names it).
            ZohoError: anything but a refusal of the addresses themselves (8114, 8060, 8061,
                6004, 6021): network, Zoho down after the retries, daily units spent.
        """
        method, path, scope = ACTIONS[action]
        emails = tuple(emails)
        if not emails or len(emails) > MAX_BATCH:
            raise ValueError(f"{action}: 1 to {MAX_BATCH} addresses a call, not {len(emails)}")
        config: dict = {"emailIds": list(emails)}
        if domain:
            config["domainName"] = domain
        call = f"{method} {API}{path}"
        if before is not None:
            before(CallResult(action, call, emails, domain, False, None, "not sent yet"))
        try:
            self._api.request(method, path, form={"CONFIG": config})
        except ZohoError as exc:
            if exc.code in SCOPE_CODES or isinstance(exc, ZohoAuthError):
                raise ZohoAuthError(
                    call, exc.code, exc.zoho_message,
                    f"the refresh token needs the scope {scope} (and the account an Account or "
                    f"Organization Admin profile): generate it again with that scope added",
                    exc.http_status) from None
            if exc.code is None or exc.code not in REFUSALS:
                raise
            return CallResult(action, call, emails, domain, False, exc.code, exc.zoho_message)
        return CallResult(action, call, emails, domain, True)

    def apply(self, action: str, emails: list[str], domain: str | None,
              on_call: Callable[[CallResult], None] | None = None,
              before: Callable[[CallResult], None] | None = None) -> list[CallResult]:
        """:meth:`call`, splitting a batch answered 8114 until each culprit stands alone;
        ``before`` hears of every call before it is made, ``on_call`` after Zoho answered.

        Returns:
            Every call made, in order; the addresses of the successful ones were changed.
        """
        result = self.call(action, emails, domain, before)
        if on_call is not None:
            on_call(result)
        if result.ok or result.code != NOT_A_MEMBER or len(emails) == 1:
            return [result]
        half = len(emails) // 2
        return ([result] + self.apply(action, emails[:half], domain, on_call, before)
                + self.apply(action, emails[half:], domain, on_call, before))


#: Codes that refuse the addresses of one batch (not the whole run), with what they mean: the
#: batch fails, the others go on.
REFUSALS: dict[int, str] = {
    NOT_A_MEMBER: "not a member of the organisation, or of the portal domain it was sent with",
    8060: "the portal domain (domainName) does not exist",
    8061: "the portal domain (domainName) is not the Account Admin's",
    6089: "an organisation admin cannot be addressed with a portal domain",
    **{code: "no free seat: the plan's user seats are all taken" for code in SEAT_LIMIT_CODES},
}
