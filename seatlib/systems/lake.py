"""The data lake: a local folder or ``s3://bucket/prefix``, with the same layout in both.

Layout (keys are relative to the lake's root)::

    bronze/<source>/<YYYY-MM-DD>.csv                          raw daily extract per source
    silver/<source>/snapshot_date=<YYYY-MM-DD>/part.parquet   typed history, one partition a day
    silver/workspace_names/snapshot_date=<YYYY-MM-DD>/part.parquet   workspace ids' names up to the day
    gold/seat_status/<YYYY-MM-DD>.csv                         one row per client per day
    gold/seat_capacity/<YYYY-MM-DD>.csv                       one capacity row per day
    gold/seat_status_latest.csv                               the latest day ("tabela_final")

Every write is whole or nothing: locally a temporary file in the same folder, fsync'd and renamed
over the target; on S3 a single PUT (S3 never shows a half-written object). A failed write leaves
the previous object as it was; the hidden temporary file of a write killed half-way is removed by
the next write of the same key.
"""

from __future__ import annotations

import glob
import io
import os
import tempfile
from datetime import date
from pathlib import Path
from typing import Iterator

import pandas as pd

from ..core.errors import LakeError


def bronze_key(source: str, day: date) -> str:
    return f"bronze/{source}/{day.isoformat()}.csv"


def silver_key(source: str, day: date) -> str:
    return f"silver/{source}/snapshot_date={day.isoformat()}/part.parquet"


def gold_key(table: str, day: date) -> str:
    return f"gold/{table}/{day.isoformat()}.csv"


GOLD_LATEST_KEY = "gold/seat_status_latest.csv"


class Lake:
    """Bytes in and out of the lake; see the module docstring for the layout."""

    def __init__(self, url: str):
        self.url = url.rstrip("/")
        if self.url.startswith("s3://"):
            bucket, _, prefix = self.url[len("s3://"):].partition("/")
            if not bucket:
                raise LakeError(f"lake URL {url!r} has no bucket")
            self._bucket = bucket
            self._prefix = prefix.strip("/")
            self._root: Path | None = None
            self._s3 = None
        else:
            self._root = Path(self.url)
            self._bucket = ""
            self._prefix = ""

    def __repr__(self) -> str:
        return f"Lake({self.url!r})"

    @property
    def is_s3(self) -> bool:
        return self._root is None

    # -- addressing -----------------------------------------------------------------------
    def uri(self, key: str) -> str:
        """Where a key lives: a path or an ``s3://`` URI (for messages and Redshift COPY)."""
        if self._root is not None:
            return str(self._root / key)
        return f"s3://{self._bucket}/{self._s3_key(key)}"

    def _s3_key(self, key: str) -> str:
        return f"{self._prefix}/{key}" if self._prefix else key

    def _client(self):
        if self._s3 is None:
            import boto3  # boto3's normal chain: env, profile, instance role; AWS_ENDPOINT_URL honoured

            self._s3 = boto3.client("s3")
        return self._s3

    # -- bytes ----------------------------------------------------------------------------
    def read_bytes(self, key: str) -> bytes:
        """Raises LakeError (naming the URI) when the object is missing or unreadable."""
        try:
            if self._root is not None:
                return (self._root / key).read_bytes()
            return self._client().get_object(Bucket=self._bucket, Key=self._s3_key(key))["Body"].read()
        except FileNotFoundError:
            raise LakeError(f"{self.uri(key)} does not exist") from None
        except Exception as exc:  # botocore errors
            if _is_s3_missing(exc):
                raise LakeError(f"{self.uri(key)} does not exist") from None
            raise LakeError(f"could not read {self.uri(key)}: {type(exc).__name__}: {exc}") from None

    def write_bytes(self, key: str, data: bytes) -> None:
        """Write a whole object atomically, replacing any previous one."""
        try:
            if self._root is not None:
                target = self._root / key
                target.parent.mkdir(parents=True, exist_ok=True)
                fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=_TMP_SUFFIX,
                                           dir=target.parent)
                try:
                    with os.fdopen(fd, "wb") as fh:
                        os.fchmod(fh.fileno(), _new_file_mode())  # mkstemp's 0600 would stick
                        fh.write(data)
                        fh.flush()
                        os.fsync(fh.fileno())
                    os.replace(tmp, target)
                except BaseException:
                    Path(tmp).unlink(missing_ok=True)
                    raise
                _remove_leftovers(target)
            else:
                self._client().put_object(Bucket=self._bucket, Key=self._s3_key(key), Body=data)
        except Exception as exc:
            raise LakeError(f"could not write {self.uri(key)}: {type(exc).__name__}: {exc}") from None

    def create_bytes(self, key: str, data: bytes) -> None:
        """Write a new object whole, never replacing one: an append-only log's entry.

        Locally the finished temporary file is hard-linked to its name, which fails when the
        name exists; on S3 the PUT carries ``If-None-Match: *`` (refused when the key exists).

        Raises:
            LakeError: the key exists already, or the write failed.
        """
        if self._root is None:
            try:
                self._client().put_object(Bucket=self._bucket, Key=self._s3_key(key), Body=data,
                                          IfNoneMatch="*")
            except Exception as exc:
                raise LakeError(f"could not create {self.uri(key)}: {type(exc).__name__}: "
                                f"{exc}") from None
            return
        target = self._root / key
        parent, _, name = key.rpartition("/")
        staging = f"{parent}/.{name}.new{_TMP_SUFFIX}" if parent else f".{name}.new{_TMP_SUFFIX}"
        self.write_bytes(staging, data)
        try:
            os.link(self._root / staging, target)
        except FileExistsError:
            raise LakeError(f"could not create {self.uri(key)}: it exists already") from None
        except OSError as exc:
            raise LakeError(f"could not create {self.uri(key)}: {exc.strerror}") from None
        finally:
            (self._root / staging).unlink(missing_ok=True)

    def delete(self, key: str) -> None:
        """Remove one object (retention of the run history); a missing one is no error."""
        try:
            if self._root is not None:
                (self._root / key).unlink(missing_ok=True)
            else:
                self._client().delete_object(Bucket=self._bucket, Key=self._s3_key(key))
        except Exception as exc:
            raise LakeError(f"could not delete {self.uri(key)}: {type(exc).__name__}: {exc}") from None

    def exists(self, key: str) -> bool:
        if self._root is not None:
            return (self._root / key).is_file()
        try:
            self._client().head_object(Bucket=self._bucket, Key=self._s3_key(key))
            return True
        except Exception as exc:
            if _is_s3_missing(exc):
                return False
            raise LakeError(f"could not check {self.uri(key)}: {type(exc).__name__}: {exc}") from None

    def list(self, prefix: str) -> list[str]:
        """Keys under a prefix (relative to the lake root), sorted; temporary files excluded."""
        return sorted(self._iter(prefix))

    def _iter(self, prefix: str) -> Iterator[str]:
        if self._root is not None:
            base = self._root / prefix
            if not base.exists():
                return
            for path in base.rglob("*"):
                if path.is_file() and not path.name.startswith("."):
                    yield path.relative_to(self._root).as_posix()
            return
        paginator = self._client().get_paginator("list_objects_v2")
        full = self._s3_key(prefix)
        strip = len(self._prefix) + 1 if self._prefix else 0
        try:
            for page in paginator.paginate(Bucket=self._bucket, Prefix=full):
                for obj in page.get("Contents", []):
                    yield obj["Key"][strip:]
        except Exception as exc:
            raise LakeError(f"could not list {self.uri(prefix)}: {type(exc).__name__}: {exc}") from None

    # -- frames ---------------------------------------------------------------------------
    def write_csv(self, key: str, df: pd.DataFrame) -> None:
        buf = io.StringIO()
        df.to_csv(buf, index=False, lineterminator="\n")
        self.write_bytes(key, buf.getvalue().encode("utf-8"))

    def read_csv(self, key: str, **kwargs) -> pd.DataFrame:
        data = self.read_bytes(key)
        try:
            return pd.read_csv(io.BytesIO(data), **kwargs)
        except pd.errors.EmptyDataError:
            raise LakeError(f"{self.uri(key)} is empty (no header)") from None
        except (ValueError, pd.errors.ParserError) as exc:
            raise LakeError(f"{self.uri(key)} is not a readable CSV: {exc}") from None

    def write_parquet(self, key: str, df: pd.DataFrame) -> None:
        buf = io.BytesIO()
        df.to_parquet(buf, index=False, engine="pyarrow", compression="zstd")
        self.write_bytes(key, buf.getvalue())

    def read_parquet(self, key: str) -> pd.DataFrame:
        data = self.read_bytes(key)
        try:
            return pd.read_parquet(io.BytesIO(data), engine="pyarrow")
        except Exception as exc:
            raise LakeError(f"{self.uri(key)} is not a readable Parquet file: {exc}") from None


_TMP_SUFFIX = ".tmp"


def _new_file_mode() -> int:
    """The mode ``open()`` gives a new file: 0666 less the process umask.

    Linux shows the umask in ``/proc/self/status``; elsewhere it can only be read by setting it
    (and at once setting it back), which another thread might briefly see.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return 0o666 & ~int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def _remove_leftovers(target: Path) -> None:
    """Delete the temporary files that killed writes of ``target`` left beside it.

    A process killed between ``mkstemp`` and ``rename`` leaves a hidden ``.<name>.<random>.tmp``
    (never the target itself half-written). The next whole write of the same key removes them,
    so a re-run after a kill leaves the folder as a clean run does. Runs do not overlap (the
    runner's lock), so no other writer's file is in flight here.
    """
    for stale in target.parent.glob(f".{glob.escape(target.name)}.*{_TMP_SUFFIX}"):
        stale.unlink(missing_ok=True)


def _is_s3_missing(exc: Exception) -> bool:
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return False
    code = str(response.get("Error", {}).get("Code", ""))
    return code in {"404", "NoSuchKey", "NotFound"}


def days_in(lake: Lake, prefix: str) -> list[date]:
    """The days present under a daily-file prefix (``bronze/<source>/`` or ``gold/<table>/``)."""
    out = []
    for key in lake.list(prefix):
        stem = key.rsplit("/", 1)[-1].removesuffix(".csv").removesuffix(".parquet")
        try:
            out.append(date.fromisoformat(stem))
        except ValueError:
            continue
    return sorted(out)


def latest_bronze(lake: Lake, source: str, before: date) -> "tuple[date, pd.DataFrame] | None":
    """The latest bronze file of ``source`` before ``before``, as text, with its day."""
    earlier = [d for d in days_in(lake, f"bronze/{source}/") if d < before]
    if not earlier:
        return None
    return earlier[-1], lake.read_csv(bronze_key(source, earlier[-1]), dtype=str,
                                      keep_default_na=False)
