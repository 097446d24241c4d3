"""What Zoho's answers are made of: the typed records and the tolerant readers of their values.

Holds :class:`Org`, :class:`Workspace`, :class:`User` and :class:`Resource`, and the readers
that accept every spelling a server written from Zoho's docs might choose: numbers as strings or
JSON numbers, epoch milliseconds, status words, ``workspaceAdmins`` in several shapes, an export
with ``;`` or tab separators, the Access Log's time texts. Used by the rest of
:mod:`seatlib.systems.zoho` (the client builds the records, the protocol reads codes with
:func:`int_or_none`) and by the stages reading the audit export (:func:`parse_access_time`).
Imports nothing of seatlib but :mod:`seatlib.core.values` and :mod:`seatlib.core.errors`.
"""

from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Iterable

from ...core.errors import DataQualityError
from ...core.values import parse_flag

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger(__name__)


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
    org_id: str = ""  # the organisation that owns it (``orgId``); "" when Zoho gave none


@dataclass(frozen=True)
class User:
    """An organisation user (``GET /users``) or a workspace user (``GET /workspaces/{id}/users``).

    ``active`` is Zoho's ``status``: an active non-viewer holds a seat.
    """

    email: str
    active: bool
    role: str
    domain: str = ""  # ``domainName``: the portal the user belongs to (client-portal orgs only)


@dataclass(frozen=True)
class Admin:
    """One workspace admin (``GET /workspaces/{id}/admins``) and the domain of its group.

    ``domain`` is the admin group's ``domainName``, sent only when the Account Admin is also a
    Client Portal Admin (§4); "" otherwise.
    """

    email: str
    domain: str = ""


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


#: Zoho's status words, read before the flag spellings of :func:`seatlib.core.values.parse_flag`.
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


def admin_list(value: Any) -> list[Admin]:
    """The admins in a ``workspaceAdmins`` value, each with its group's ``domainName``.

    Each group ``{"adminMembers": [...], "domainName": "..."}`` gives its domain to its members
    (§4); every other shape :func:`admin_emails` accepts gives admins without a domain.
    """
    groups = value if isinstance(value, (list, tuple)) else [value]
    out = []
    for group in groups:
        domain = group.get("domainName") if isinstance(group, dict) else None
        domain = domain.strip() if isinstance(domain, str) else ""
        out.extend(Admin(email, domain) for email in admin_emails(group))
    return out


def unique_admins(admins: Iterable[Admin]) -> list[Admin]:
    """``admins`` stripped, each e-mail once (case-insensitively, the first kept), in order."""
    out: dict[str, Admin] = {}
    for admin in admins:
        email = admin.email.strip()
        if email and email.lower() not in out:
            out[email.lower()] = Admin(email, admin.domain)
    return list(out.values())


def unique_emails(emails: Iterable[str]) -> list[str]:
    """``emails`` stripped, each once (compared case-insensitively), in their first order."""
    return [a.email for a in unique_admins(Admin(email) for email in emails)]


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


def csv_records(text: str) -> int:
    """How many CSV records ``text`` holds (a quoted field may span lines)."""
    return sum(1 for _ in csv.reader(io.StringIO(text, newline="")))


# Formats seen or plausible for the audit log's "Accessed Time" when Zoho declares none
# (docs/zoho-api-notes.md §9). Day-first where ambiguous (dd/MM/yyyy): the reseller's org is
# Brazilian; an org whose table declares another dateFormat is read with that one first.
_TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S",
                 "%d %b %Y %H:%M:%S", "%d-%b-%Y %H:%M:%S", "%d %b %Y %I:%M:%S %p",
                 "%b %d, %Y %I:%M %p", "%b %d, %Y %I:%M:%S %p", "%d/%m/%Y %H:%M:%S",
                 "%d/%m/%Y %H:%M")

#: Zoho's (Java-style) date pattern letters seatlib can read, longest first (§9).
_JAVA_TOKENS = (("yyyy", "%Y"), ("MMMM", "%B"), ("EEEE", "%A"), ("MMM", "%b"), ("EEE", "%a"),
                ("SSS", "%f"), ("yy", "%y"), ("MM", "%m"), ("dd", "%d"), ("HH", "%H"),
                ("hh", "%I"), ("mm", "%M"), ("ss", "%S"), ("M", "%m"), ("d", "%d"),
                ("H", "%H"), ("h", "%I"), ("m", "%M"), ("s", "%S"), ("a", "%p"))


class DateFormatError(ValueError):
    """A Zoho date pattern with a letter seatlib cannot turn into a strptime format."""


def java_to_strptime(pattern: str) -> str:
    """Zoho's date pattern (Java style: ``dd MMM, yyyy HH:mm:ss``) as a strptime format.

    Letters are read per :data:`_JAVA_TOKENS`; text in single quotes is literal (``''`` is a
    quote); other characters are kept.

    Raises:
        DateFormatError: naming the letters that cannot be converted (a time zone ``z``, a
            week number...), so that a format seatlib would misread is refused, never guessed.
    """
    out, i = [], 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "'":
            end = pattern.find("'", i + 1)
            if end < 0:
                raise DateFormatError(f"date pattern {pattern!r} has an unclosed quote")
            out.append("'" if end == i + 1 else pattern[i + 1:end].replace("%", "%%"))
            i = end + 1
            continue
        if ch.isalpha():
            run = len(pattern[i:]) - len(pattern[i:].lstrip(ch))
            token = next((t for t in _JAVA_TOKENS if t[0] == ch * run), None)
            if token is None:
                known = ", ".join(t for t, _ in _JAVA_TOKENS)
                raise DateFormatError(f"date pattern {pattern!r}: {ch * run!r} cannot be read "
                                      f"by seatlib (it reads {known})")
            out.append(token[1])
            i += run
            continue
        out.append("%%" if ch == "%" else ch)
        i += 1
    return "".join(out)


def parse_access_time(values: pd.Series, tz: str, where: str,
                      declared: pd.Series | None = None) -> pd.Series:
    """Parse Zoho time text into UTC: first with the format Zoho declared for each value
    (``declared``, Zoho's Java-style pattern per row, e.g. bronze's ``time_format``), then with
    several display formats, ISO-8601 or epoch ms.

    Values without an offset are taken in ``tz`` (the org's zone, ``[zoho] audit_timezone``).
    A local time the clock shows twice (the autumn overlap) is read as the earlier instant and
    one it skips (the spring gap) is moved forward to the end of the gap: a text without an
    offset cannot say which was meant, and refusing it would stop the whole day for one
    access. Each kind is counted and logged once, naming the zone.

    Raises:
        DataQualityError: naming the values no format understood, or a declared pattern that
            cannot be converted.
    """
    import pandas as pd  # only the audit export needs it; the API client does not

    text = values.astype("string").str.strip()
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[us, UTC]")
    todo = text.notna() & (text != "")
    epoch = todo & text.str.fullmatch(r"\d{12,13}").fillna(False)
    if epoch.any():
        out[epoch] = pd.to_datetime(text[epoch].astype("int64"), unit="ms", utc=True)
    todo &= ~epoch
    patterns = (declared.astype("string").str.strip().fillna("") if declared is not None
                else pd.Series("", index=values.index, dtype="string"))
    clock = {"overlap": 0, "gap": 0}
    for pattern in patterns[todo & (patterns != "")].unique():
        try:
            fmt = java_to_strptime(pattern)
        except DateFormatError as exc:
            raise DataQualityError(f"zoho_last_access ({where}): {exc}") from None
        todo[_parse_with(text, out, todo & (patterns == pattern), fmt, tz, clock)] = False
    for fmt in _TIME_FORMATS:
        if not todo.any():
            break
        todo[_parse_with(text, out, todo, fmt, tz, clock)] = False
    if todo.any():  # ISO-8601 with an offset, or anything else pandas understands
        parsed = pd.to_datetime(text[todo], utc=True, errors="coerce", format="ISO8601")
        ok = parsed.notna()
        out[ok[ok].index] = parsed[ok]
        todo[ok[ok].index] = False
    if todo.any():
        bad = list(dict.fromkeys(text[todo].tolist()))[:5]
        raise DataQualityError(f"zoho_last_access ({where}): column 'last_access_at' has values "
                               f"that are not a time: {bad}")
    _log_clock_changes(clock, tz, where)
    return out


def _log_clock_changes(clock: dict[str, int], tz: str, where: str) -> None:
    if clock["overlap"]:
        log.info("zoho_last_access (%s): %d time(s) in the autumn overlap of %s (shown twice "
                 "by the clock) read as the earlier instant", where, clock["overlap"], tz)
    if clock["gap"]:
        log.info("zoho_last_access (%s): %d time(s) in the spring gap of %s (skipped by the "
                 "clock) moved forward to the end of the gap", where, clock["gap"], tz)


def _parse_with(text: pd.Series, out: pd.Series, rows: pd.Series, fmt: str, tz: str,
                clock: dict[str, int]) -> pd.Index:
    """Parse ``text[rows]`` with ``fmt`` (zone-less, in ``tz``) into ``out``, adding the times
    that fell in a clock change to ``clock``; returns the index of the values it read."""
    import pandas as pd

    parsed = pd.to_datetime(text[rows], format=fmt, errors="coerce")
    ok = parsed.notna()
    index = ok[ok].index
    if len(index):
        out[index] = _localize(parsed[ok], tz, clock).dt.tz_convert("UTC")
    return index


def _localize(naive: pd.Series, tz: str, clock: dict[str, int]) -> pd.Series:
    """``naive`` wall times in ``tz``; see :func:`parse_access_time` for the clock changes."""
    import numpy as np

    # pandas reads True as summer time, which in the autumn overlap is the earlier instant
    earlier = np.ones(len(naive), dtype=bool)
    local = naive.dt.tz_localize(tz, ambiguous=earlier, nonexistent="shift_forward")
    clock["overlap"] += int(naive.dt.tz_localize(tz, ambiguous="NaT",
                                                 nonexistent="shift_forward").isna().sum())
    clock["gap"] += int((local.dt.tz_localize(None) != naive).sum())
    return local
