"""What a Redshift ``COPY`` of one day needs from the lake: the files' headers and their manifests.

``COPY`` from a key prefix would load every object under it (a stray ``<day>.csv.bak`` too), and
it maps CSV fields to columns by position. So for each gold file of the day this module reads
the file's header (checked against the contract: the same columns, none twice, in any order) and
writes, next to the file and atomically (:meth:`seatlib.systems.lake.Lake.write_bytes`), a
manifest that lists that one file (``gold/<table>/<day>.csv.manifest``); the statement itself is
built by :meth:`seatlib.systems.warehouse_sql.RedshiftDialect.copy_from_s3`
(docs/redshift-notes.md §1-§3).
"""

from __future__ import annotations

import csv
import io
from datetime import date

from ..core.contracts import GOLD_CAPACITY, GOLD_LEDGER, GOLD_STATUS, Contract
from ..core.errors import DataQualityError
from .lake import Lake, gold_key
from .warehouse_sql import CopySource, manifest_json

#: What the manifest of a gold file is called: the file's key plus this.
MANIFEST_SUFFIX = ".manifest"


def copy_sources(lake: Lake, day: date, *, region: str = "") -> dict[str, CopySource]:
    """The two gold files of ``day`` ready for ``Warehouse.load_day(copy_from=...)``.

    Args:
        lake: the lake holding the gold files (on S3, for Redshift to read them).
        day: the day.
        region: the bucket's AWS region when it is not the cluster's (``[warehouse] s3_region``).

    Raises:
        LakeError: a file is missing or the manifest cannot be written.
        DataQualityError: a header lacks a contract column, has one twice or has another.
    """
    out = {"status": copy_source(lake, GOLD_STATUS, day, region=region),
           "capacity": copy_source(lake, GOLD_CAPACITY, day, region=region)}
    if lake.exists(gold_key(GOLD_LEDGER.name, day)):  # a day from before the ledger has none
        out["ledger"] = copy_source(lake, GOLD_LEDGER, day, region=region)
    return out


def copy_source(lake: Lake, contract: Contract, day: date, *, region: str = "") -> CopySource:
    """One gold file: its header checked, its one-file manifest written next to it."""
    key = gold_key(contract.name, day)
    columns = header_columns(lake.read_bytes(key), contract, lake.uri(key))
    manifest = key + MANIFEST_SUFFIX
    lake.write_bytes(manifest, manifest_json([lake.uri(key)]))
    return CopySource(manifest_url=lake.uri(manifest), data_url=lake.uri(key), columns=columns,
                      region=region)


def header_columns(data: bytes, contract: Contract, where: str) -> tuple[str, ...]:
    """The column names of a CSV file's first line, in order, checked against ``contract``.

    Raises:
        DataQualityError: the header is empty, not UTF-8, repeats a name, lacks a contract column
            or has another (the message names ``where``).
    """
    first = data.split(b"\n", 1)[0].rstrip(b"\r")
    try:
        names = next(csv.reader(io.StringIO(first.decode("utf-8"))), [])
    except UnicodeDecodeError:
        raise DataQualityError(f"{contract.name} ({where}): the header is not UTF-8") from None
    names = [n.strip() for n in names]
    repeated = sorted({n for n in names if names.count(n) > 1})
    # a file from before a column was added lacks it: COPY names the file's columns, the
    # others stay empty (NULL), as the contract says for added columns
    missing = [c for c in contract.columns if c not in names and c not in contract.added]
    extra = [n for n in names if n not in contract.columns]
    if repeated or missing or extra:
        raise DataQualityError(
            f"{contract.name} ({where}): header {names} does not match the contract "
            f"(repeated {repeated}, missing {missing}, unexpected {extra}); COPY maps fields by "
            f"position, so the header must name each of {contract.names} once")
    return tuple(names)
