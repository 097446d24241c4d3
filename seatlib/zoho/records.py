"""What Zoho's answers are made of: the typed records and the tolerant readers of their values.

Holds :class:`Org`, :class:`Workspace`, :class:`User` and :class:`Resource`, and the readers
that accept every spelling a server written from Zoho's docs might choose: numbers as strings or
JSON numbers, epoch milliseconds, status words, ``workspaceAdmins`` in several shapes, an export
with ``;`` or tab separators, the Access Log's time texts. Used by the rest of
:mod:`seatlib.zoho` (the client builds the records, the protocol reads codes with
:func:`int_or_none`) and by the stages reading the audit export (:func:`parse_access_time`).
Imports nothing of seatlib but :mod:`seatlib.values` and :mod:`seatlib.errors`.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Iterable

from ..errors import DataQualityError
from ..values import parse_flag

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class Org:
    """One Zoho Analytics organisation (``GET /orgs``)."""

    org_id: str
    name: str
    is_default: bool
    workspace_count: int | None  # numberOfworkspaces (Zoho's spec) or numberOfWorkspaces (Airbyte, §4)
    role: str


@dataclass(frozen=True)
class Workspace:
    """A workspace, owned or shared with the account (``GET /workspaces``)."""

    workspace_id: str
    name: str
    created_time_ms: int | None
    created_by: str
    owned: bool


@dataclass(frozen=True)
class User:
    """An organisation user (``GET /users``) or a workspace user (``GET /workspaces/{id}/users``).

    ``active`` is Zoho's ``status``: an active non-viewer holds a seat.
    """

    email: str
    active: bool
    role: str


@dataclass(frozen=True)
class Resource:
    """One line of ``GET /resources``: the seats are the ``users`` line.

    A value Zoho sends as something other than a number (e.g. empty) is None.
    """

    name: str
    allocated: int | None
    used: int | None
    remaining: int | None


def ms_to_utc(value: Any) -> datetime | None:
    """Zoho's epoch-milliseconds (string or number) as an aware UTC datetime; None if empty or
    not a number."""
    if value is None or isinstance(value, bool):
        return None
    try:
        ms = int(str(value).strip())
    except ValueError:
        try:
            ms = int(float(str(value).strip()))
        except (ValueError, OverflowError):
            return None
    try:
        return datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(milliseconds=ms)
    except OverflowError:
        return None


def int_or_none(value: Any) -> int | None:
    """An integer from Zoho's numbers-as-strings (``"15"``), a JSON number (``15`` or ``15.0``)
    or a float-looking string (``"15.0"``); None when empty or not a whole number."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    text = str(value).strip()
    try:
        return int(text)
    except ValueError:
        pass
    try:
        number = float(text)
    except (ValueError, OverflowError):
        return None
    return int(number) if number.is_integer() else None


#: Zoho's status words, read before the flag spellings of :func:`seatlib.values.parse_flag`.
_STATUS_WORDS = {"active": True, "inactive": False}


def read_flag(value: Any) -> bool:
    """A user's ``status`` or an org's ``isDefault``: a boolean, a flag spelling ("true", "1",
    "yes"...) or Zoho's "active"/"inactive". Any other text is False; any other value counts as
    Python truth."""
    if isinstance(value, str) and value.strip().lower() in _STATUS_WORDS:
        return _STATUS_WORDS[value.strip().lower()]
    flag = parse_flag(value)
    if flag is not None:
        return flag
    return False if isinstance(value, str) else bool(value)


def admin_emails(value: Any) -> list[str]:
    """The e-mails in a ``workspaceAdmins`` value, whatever its shape.

    Zoho documents ``[{"adminMembers": ["a@x", ...]}]`` (§4). Accepted as well, since the docs
    never show an empty or a richer answer: ``[]``, ``[{"adminMembers": []}]``, a missing key, a
    bare object instead of a list, bare strings, members as ``{"emailId": ...}`` objects, entries
    that are themselves ``{"emailId": ...}``, and comma-separated strings.
    """
    if value is None:
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, dict):
        if "adminMembers" in value:
            return admin_emails(value["adminMembers"])
        email = value.get("emailId") or value.get("email") or value.get("emailAddress")
        return admin_emails(email) if isinstance(email, str) else []
    if isinstance(value, (list, tuple)):
        return [email for item in value for email in admin_emails(item)]
    return []


def unique_emails(emails: Iterable[str]) -> list[str]:
    """``emails`` stripped, each once (compared case-insensitively), in their first order."""
    out: dict[str, str] = {}
    for email in emails:
        email = email.strip()
        if email and email.lower() not in out:
            out[email.lower()] = email
    return list(out.values())


def comma_csv(text: str) -> str:
    """``text`` with commas between fields. A file whose header row has no comma but has
    semicolons or tabs (a server that ignored ``delimiter``) is rewritten; anything else is
    returned as it is."""
    newline = text.find("\n")
    header = text if newline < 0 else text[:newline]
    if "," in header:
        return text
    delimiter = next((d for d in (";", "\t") if d in header), None)
    if delimiter is None:
        return text  # one column, or no header at all
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerows(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    return out.getvalue()


# Formats seen or plausible for the audit log's "Accessed Time" (docs/zoho-api-notes.md §9: UNVERIFIED).
# Day-first where ambiguous (dd/MM/yyyy): the reseller's org is Brazilian.
_TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S",
                 "%d %b %Y %H:%M:%S", "%d-%b-%Y %H:%M:%S", "%d %b %Y %I:%M:%S %p",
                 "%b %d, %Y %I:%M %p", "%b %d, %Y %I:%M:%S %p", "%d/%m/%Y %H:%M:%S",
                 "%d/%m/%Y %H:%M")


def parse_access_time(values: pd.Series, tz: str, where: str) -> pd.Series:
    """Parse Zoho time text (several display formats, ISO-8601 or epoch ms) into UTC.

    Values without an offset are taken in ``tz`` (the org's zone, ``[zoho] audit_timezone``).

    Raises:
        DataQualityError: naming the values no format understood.
    """
    import pandas as pd  # only the audit export needs it; the API client does not

    text = values.astype("string").str.strip()
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[us, UTC]")
    todo = text.notna() & (text != "")
    epoch = todo & text.str.fullmatch(r"\d{12,13}").fillna(False)
    if epoch.any():
        out[epoch] = pd.to_datetime(text[epoch].astype("int64"), unit="ms", utc=True)
    todo &= ~epoch
    for fmt in _TIME_FORMATS:
        if not todo.any():
            break
        parsed = pd.to_datetime(text[todo], format=fmt, errors="coerce")
        ok = parsed.notna()
        if ok.any():
            out[ok[ok].index] = parsed[ok].dt.tz_localize(tz).dt.tz_convert("UTC")
            todo[ok[ok].index] = False
    if todo.any():  # ISO-8601 with an offset, or anything else pandas understands
        parsed = pd.to_datetime(text[todo], utc=True, errors="coerce", format="ISO8601")
        ok = parsed.notna()
        out[ok[ok].index] = parsed[ok]
        todo[ok[ok].index] = False
    if todo.any():
        bad = list(dict.fromkeys(text[todo].tolist()))[:5]
        raise DataQualityError(f"zoho_last_access ({where}): column 'last_access_at' has values "
                               f"that are not a time: {bad}")
    return out
