"""The Power BI project (PBIP) under ``powerbi/``: generate it, and check the committed one.

::

    python -m seatlib.powerbi            # (re)write powerbi/seat-monitor.* from the code
    python -m seatlib.powerbi --check    # exit 1 when the committed files differ, or break a schema

The files are a function of the warehouse's definitions only (no clock, no randomness), so
regenerating an unchanged tree changes no byte. Files are UTF-8 without a BOM, LF line ends.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..core.config import REPO_ROOT
from . import pbir, schemas, tmdl
from .model import build_model

PROJECT = "seat-monitor"
REPORT_DIR = f"{PROJECT}.Report"
MODEL_DIR = f"{PROJECT}.SemanticModel"
POWERBI_DIR = REPO_ROOT / "powerbi"
#: What the generator owns below powerbi/ (anything else there, e.g. schemas/, is left alone).
OWNED = (f"{PROJECT}.pbip", REPORT_DIR, MODEL_DIR, ".gitignore")

_GITIGNORE = "# Power BI Desktop's local state (Microsoft Learn, Power BI Desktop projects)\n" \
             "**/.pbi/localSettings.json\n**/.pbi/cache.abf\n"


def _json(doc: dict) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def json_documents() -> dict[str, dict]:
    """Every JSON file of the project, by path relative to ``powerbi/``."""
    docs: dict[str, dict] = {
        f"{PROJECT}.pbip": {
            "$schema": f"{pbir.SCHEMA_BASE}/pbip/pbipProperties/1.0.0/schema.json",
            "version": "1.0", "artifacts": [{"report": {"path": REPORT_DIR}}],
            "settings": {"enableAutoRecovery": True}},
        f"{MODEL_DIR}/definition.pbism": {
            "$schema": f"{pbir.SCHEMA_BASE}/item/semanticModel/definitionProperties/1.0.0/"
                       "schema.json",
            "version": "4.2", "settings": {}},
    }
    docs.update({f"{REPORT_DIR}/{k}": v for k, v in pbir.render_files(MODEL_DIR).items()})
    return docs


def schema_urls() -> set[str]:
    """The ``$schema`` of every JSON file of the project."""
    return {doc["$schema"] for doc in json_documents().values()}


def project_files() -> dict[str, bytes]:
    """Every generated file, by path relative to ``powerbi/``, as the bytes written."""
    files = {name: _json(doc) for name, doc in json_documents().items()}
    files.update({f"{MODEL_DIR}/definition/{k}": v
                  for k, v in tmdl.render_files(build_model()).items()})
    files[".gitignore"] = _GITIGNORE
    return {name: text.encode("utf-8") for name, text in sorted(files.items())}


def _owned_files(root: Path) -> set[str]:
    found = set()
    for name in OWNED:
        path = root / name
        if path.is_file():
            found.add(name)
        elif path.is_dir():
            found.update(p.relative_to(root).as_posix() for p in path.rglob("*")
                         if p.is_file() and "/.pbi/" not in f"/{p.relative_to(root).as_posix()}")
    return found


def drift(root: Path = POWERBI_DIR) -> list[str]:
    """What differs between ``root`` and what the generator writes: one line per file."""
    want = project_files()
    have = _owned_files(root)
    out = [f"missing: {n}" for n in sorted(set(want) - have)]
    out += [f"differs: {n}" for n in sorted(set(want) & have) if (root / n).read_bytes() != want[n]]
    out += [f"not generated (stale): {n}" for n in sorted(have - set(want))]
    return out


def write(root: Path = POWERBI_DIR) -> list[str]:
    """Write the project into ``root``, removing stale generated files; returns what changed."""
    changes = drift(root)
    want = project_files()
    for name in _owned_files(root) - set(want):
        (root / name).unlink()
    for name, data in want.items():
        path = root / name
        if not path.is_file() or path.read_bytes() != data:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
    for folder in sorted({p for p in root.rglob("*") if p.is_dir()}, reverse=True):
        if folder.name != ".pbi" and not any(folder.iterdir()):
            folder.rmdir()
    return changes


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m seatlib.powerbi",
                                description="Generate the Power BI project under powerbi/.")
    p.add_argument("--check", action="store_true",
                   help="write nothing; exit 1 when the files differ from the generator's or a "
                        "JSON file breaks Microsoft's schema")
    p.add_argument("--out", type=Path, default=POWERBI_DIR, help="folder (default: powerbi/)")
    p.add_argument("--vendor-schemas", type=Path, metavar="DIR",
                   help="copy the schemas the project uses from DIR (a copy of "
                        "microsoft/json-schemas) into powerbi/schemas/, then stop")
    args = p.parse_args(argv)
    if args.vendor_schemas:
        for rel in schemas.vendor(args.vendor_schemas, schema_urls()):
            print(f"vendored {rel}")
        return 0
    if not args.check:
        for line in write(args.out) or ["no change"]:
            print(line)
        return 0
    problems = drift(args.out)
    roots = schemas.schema_roots()
    if roots:
        problems += schemas.validate(json_documents(), roots[0])
    else:
        print("schemas: none found (set POWERBI_JSON_SCHEMAS); JSON not validated",
              file=sys.stderr)
    for line in problems:
        print(line)
    print(f"{len(problems)} problem(s)" + (f"; schemas from {roots[0]}" if roots else ""))
    return 1 if problems else 0
