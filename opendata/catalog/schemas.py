"""Resolving a resource's Table Schema reference to a schema descriptor.

A manifest may point at a schema four ways (see ``validation/dataset.schema.json``).  All
of them resolve offline: schema.data.gouv.fr references are looked up in the catalogue
copied into ``validation/schema.data.gouv.fr/`` so validation never needs the network.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from opendata.catalog.config import validation_path
from opendata.catalog.manifests import path_is_safe

SDG_SUBDIR = "schema.data.gouv.fr"
SDG_DIR = f"validation/{SDG_SUBDIR}"
SDG_BASE = "https://schema.data.gouv.fr/schemas/"


class SchemaRefError(Exception):
    """A schema reference that cannot be resolved; message and hint for the report."""

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint


@dataclass(frozen=True)
class ResolvedSchema:
    """A Table Schema descriptor and where it came from."""

    descriptor: dict[str, Any]
    #: file the schema was read from (None for inline schemas)
    file: Path | None = None
    #: ``{name, version}`` of a schema.data.gouv.fr schema
    datagouv: dict[str, str] | None = None
    #: public URL of the schema, when it has one (used for ``dct:conformsTo``)
    url: str | None = None

    @property
    def digest(self) -> str:
        """Hash of the descriptor: part of the validation cache key."""
        text = json.dumps(self.descriptor, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()


def _read_json(file: Path) -> dict[str, Any]:
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SchemaRefError(f"schema file {file} not found") from None
    except ValueError as exc:
        raise SchemaRefError(f"schema file {file} is not valid JSON: {exc}",
                             "Fix the JSON syntax at that position.") from None
    if not isinstance(data, dict) or not isinstance(data.get("fields"), list):
        raise SchemaRefError(f"{file} is not a Table Schema (no `fields` list)")
    return data


def sdg_dir(root: Path) -> Path:
    """The schema.data.gouv.fr copy: the catalog's own wins over the packaged one, so a
    catalog without one still resolves offline."""
    return validation_path(root, SDG_SUBDIR + "/schemas.json").parent


def sdg_catalogue(root: Path) -> dict[str, list[str]]:
    """schema.data.gouv.fr catalogue: schema name -> known versions."""
    file = sdg_dir(root) / "schemas.json"
    if not file.is_file():
        return {}
    return _read_catalogue(file, file.stat().st_mtime_ns)


@lru_cache(maxsize=4)
def _read_catalogue(file: Path, _mtime: int) -> dict[str, list[str]]:
    """Parsed once per file version: every ``{name, version}`` reference looks it up."""
    data = json.loads(file.read_text(encoding="utf-8"))
    return {s["name"]: [v["version_name"] for v in s.get("versions", [])]
            for s in data.get("schemas", [])}


def resolve_schema(ref: Any, dataset_dir: Path, root: Path) -> ResolvedSchema:
    """Turn a manifest ``schema`` value into a descriptor; raises :class:`SchemaRefError`."""
    if isinstance(ref, str):
        if not path_is_safe(ref):
            raise SchemaRefError(f"schema path {ref!r} leaves the dataset folder",
                                 "Use a path inside the dataset folder, or {shared: NAME} "
                                 "for a schema of validation/schemas/.")
        file = dataset_dir / ref
        return ResolvedSchema(_read_json(file), file=file)
    if isinstance(ref, dict) and "shared" in ref:
        name = str(ref["shared"])
        folder = root / "validation" / "schemas"
        file = folder / f"{name}.json"
        if not file.is_file():
            known = sorted(p.stem for p in folder.glob("*.json"))
            close = difflib.get_close_matches(name, known, n=3)
            raise SchemaRefError(
                f"shared schema {name!r} not found in validation/schemas/",
                f"Did you mean {', '.join(close)}?" if close else
                f"Known shared schemas: {', '.join(known) or 'none'}.")
        return ResolvedSchema(_read_json(file), file=file)
    if isinstance(ref, dict) and "name" in ref and "version" in ref:
        name, version = str(ref["name"]), str(ref["version"])
        catalogue = sdg_catalogue(root)
        if name not in catalogue:
            close = difflib.get_close_matches(name, list(catalogue), n=3)
            raise SchemaRefError(
                f"schema {name!r} is not in the schema.data.gouv.fr catalogue",
                f"Did you mean {', '.join(close)}?" if close else
                "See validation/schema.data.gouv.fr/schemas.json for the names.")
        if version not in catalogue[name]:
            raise SchemaRefError(
                f"schema {name!r} has no version {version!r}",
                f"Known versions: {', '.join(catalogue[name])}.")
        file = sdg_dir(root) / name / version / "schema.json"
        if not file.is_file():
            raise SchemaRefError(
                f"schema {name} {version} is in the catalogue but not copied into {SDG_DIR}/",
                f"Copy its schema.json to {SDG_DIR}/{name}/{version}/ (validation runs "
                "offline).")
        return ResolvedSchema(_read_json(file), file=file,
                              datagouv={"name": name, "version": version},
                              url=f"{SDG_BASE}{name}/{version}/schema.json")
    if isinstance(ref, dict) and "fields" in ref:
        return ResolvedSchema(dict(ref))
    raise SchemaRefError("schema must be a file path, {shared: NAME}, {name, version} or an "
                         "inline Table Schema")
