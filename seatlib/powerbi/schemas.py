"""Microsoft's published JSON schemas for the project's JSON files, resolved without a network.

Each file names its schema in ``$schema`` (a URL under :data:`SCHEMA_BASE`); the schemas refer to
each other by relative paths, which resolve to URLs under the same base. A folder holding
``fabric/...`` as in the public repository ``microsoft/json-schemas`` answers every such URL
(:func:`registry`). Where the folders are, first found first (:func:`schema_roots`):

1. ``$POWERBI_JSON_SCHEMAS``;
2. ``../shared/powerbi-json-schemas`` beside the repository (the CI's full copy);
3. ``powerbi/schemas`` in the repository: the subset this project uses, vendored under
   Microsoft's MIT licence (``powerbi/schemas/LICENSE``), so the check runs on any clone.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Mapping

from ..core.config import REPO_ROOT

SCHEMA_BASE = "https://developer.microsoft.com/json-schemas/"
ENV_VAR = "POWERBI_JSON_SCHEMAS"
SHARED = REPO_ROOT.parent / "shared" / "powerbi-json-schemas"
VENDORED = REPO_ROOT / "powerbi" / "schemas"


def schema_roots(env: Mapping[str, str] | None = None) -> list[Path]:
    """The schema folders that exist (each holds ``fabric/``), in the order above."""
    env = os.environ if env is None else env
    candidates = [Path(env[ENV_VAR])] if env.get(ENV_VAR) else []
    candidates += [SHARED, VENDORED]
    return [p for p in candidates if (p / "fabric").is_dir()]


def schema_path(root: Path, url: str) -> Path:
    """The file under ``root`` that holds the schema at ``url``."""
    if not url.startswith(SCHEMA_BASE):
        raise ValueError(f"{url} is not one of Microsoft's json-schemas URLs")
    return root / url[len(SCHEMA_BASE):].split("#", 1)[0]


def registry(root: Path):
    """A ``referencing.Registry`` that reads every schema URL from ``root`` (no network)."""
    from referencing import Registry, Resource
    from referencing.exceptions import NoSuchResource

    def retrieve(url: str) -> Resource:
        try:
            path = schema_path(root, url)
            return Resource.from_contents(json.loads(path.read_text(encoding="utf-8")))
        except (ValueError, OSError) as exc:
            raise NoSuchResource(ref=url) from exc

    return Registry(retrieve=retrieve)


def validate(documents: Mapping[str, dict], root: Path) -> list[str]:
    """Validate each document against the schema its ``$schema`` names.

    Returns:
        One line per problem (``path: message at /json/pointer``); empty when all are valid.
    """
    from jsonschema import validators

    reg = registry(root)
    problems = []
    for name, doc in documents.items():
        url = doc.get("$schema")
        if not isinstance(url, str):
            problems.append(f"{name}: no $schema")
            continue
        try:
            schema = json.loads(schema_path(root, url).read_text(encoding="utf-8"))
        except (ValueError, OSError) as exc:
            problems.append(f"{name}: schema {url} not found under {root} ({exc})")
            continue
        validator = validators.validator_for(schema)(schema, registry=reg)
        for error in sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path)):
            where = "/" + "/".join(str(p) for p in error.absolute_path)
            problems.append(f"{name}: {error.message[:300]} at {where}")
    return problems


def closure(root: Path, urls: set[str]) -> set[Path]:
    """The schema files under ``root`` that ``urls`` need, following relative ``$ref``s."""
    import re

    todo = [schema_path(root, u).resolve() for u in urls]
    seen: set[Path] = set()
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        for ref in re.findall(r'"\$ref"\s*:\s*"([^"#]+)', path.read_text(encoding="utf-8")):
            todo.append((path.parent / ref).resolve())
    return seen


def vendor(source: Path, urls: set[str], dest: Path = VENDORED) -> list[Path]:
    """Copy the schemas ``urls`` need (and the licence) from ``source`` into ``dest``.

    Returns:
        The files written, relative to ``dest``.
    """
    import shutil

    source = source.resolve()
    written = []
    for path in sorted(closure(source, urls)) + [source / "LICENSE"]:
        rel = path.relative_to(source)
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, dest / rel)
        written.append(rel)
    return written
