"""A normalised copy of a tabular file: what data.gouv.fr can check against the schema.

Stewards export from Excel: `;`, cp1252, decimal commas, French dates.  Their manifest dialect
says how to read that file, but data.gouv.fr checks a resource against its national schema
*as published*, where such values are type errors.  With ``normalise: true`` on the resource,
opendata rewrites the file in UTF-8 with `,` as delimiter and every value in the schema's own
format (numbers with `.`, dates as the field says), checks the copy against the published
schema, and publishes the copy instead of the original (which stays in git as it is).

The copy is content-addressed (hash of the source, the schema and the dialect), so ``build``
and a later ``publish`` write and reuse the very same bytes.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from opendata.catalog.manifests import Resource
from opendata.catalog.schemas import SchemaRefError, resolve_schema
from opendata.errors import OpendataError

#: where copies live, under the catalog root (beside the validation cache)
NORMALISED_DIR = Path(".opendata") / "normalised"


class NormaliseError(OpendataError):
    """The normalised copy cannot be written (unreadable source, full disk, ...)."""


@dataclass(frozen=True)
class NormalisedCopy:
    source: Path
    file: Path
    rows: int


def wants_normalised(raw: dict[str, Any]) -> bool:
    """Whether a resource's manifest entry asks for a normalised copy."""
    return raw.get("normalise") is True


def copy_path(root: Path, source: Path, descriptor: dict[str, Any],
              dialect: dict[str, Any]) -> Path:
    """Where the copy of ``source`` lives: named by what determines its bytes."""
    digest = hashlib.sha256()
    digest.update(source.read_bytes())
    digest.update(json.dumps([descriptor, dialect], sort_keys=True).encode())
    return root / NORMALISED_DIR / digest.hexdigest()[:32] / source.with_suffix(".csv").name


def normalise_table(source: Path, descriptor: dict[str, Any], dialect: dict[str, Any],
                    target: Path) -> NormalisedCopy:
    """Write ``source`` (read as ``dialect`` says) to ``target`` in the schema's own formats.

    A value that does not parse is copied as it is, so that checking the copy reports it
    where data.gouv.fr would.  Raises :class:`NormaliseError` when the copy cannot be written.
    """
    from frictionless import Dialect, Resource, Schema, formats

    from opendata.validation.tabular import _prepare_schema, normalise_encoding

    published = {f.name: f for f in Schema.from_descriptor(
        _prepare_schema(descriptor, {}, by_name=True)).fields}
    reading = Schema.from_descriptor(_prepare_schema(descriptor, dialect, by_name=True))
    control = formats.CsvControl(delimiter=dialect.get("delimiter", ","))
    if "quoteChar" in dialect:
        control.quote_char = dialect["quoteChar"]
    encoding = normalise_encoding(dialect.get("encoding"))
    if encoding == "utf-8" and source.read_bytes()[:3] == b"\xef\xbb\xbf":
        encoding = "utf-8-sig"
    res = Resource(path=source.name, basepath=str(source.parent), schema=reading,
                   dialect=Dialect(controls=[control]), encoding=encoding, format="csv")
    rows = 0
    tmp = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".csv")
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out, res:
            writer = csv.writer(out, lineterminator="\r\n")
            writer.writerow(res.labels)
            for row in res.row_stream:
                cells: list[str] = []
                raw = row.cells
                for i, name in enumerate(row.field_names):
                    value = row[name]
                    fld = published.get(name)
                    if name in row.error_cells or fld is None:
                        cell = raw[i] if i < len(raw) else None
                        cells.append("" if cell is None else str(cell))
                        continue
                    text, _notes = fld.write_cell(value, ignore_missing=True)
                    cells.append("" if text is None else str(text))
                writer.writerow(cells)
                rows += 1
        os.replace(tmp, target)
    except OSError as exc:
        raise NormaliseError(f"cannot write the normalised copy {target}: {exc.strerror}",
                             "Check that the catalog folder is writable and the disk has room."
                             ) from None
    except Exception as exc:  # Frictionless' own errors reading a broken source
        raise NormaliseError(f"cannot read {source.name} to normalise it: {exc}",
                             "Fix the file (validation says how) before normalising it."
                             ) from None
    finally:
        if tmp is not None and Path(tmp).exists():
            Path(tmp).unlink()
    return NormalisedCopy(source=source, file=target, rows=rows)


def ensure_copy(root: Path, source: Path, descriptor: dict[str, Any],
                dialect: dict[str, Any]) -> NormalisedCopy:
    """The copy of ``source``, written once: later calls (build, then publish) reuse it."""
    target = copy_path(root, source, descriptor, dialect)
    if target.is_file():
        with target.open(encoding="utf-8") as fh:
            return NormalisedCopy(source, target, max(sum(1 for _ in fh) - 1, 0))
    return normalise_table(source, descriptor, dialect, target)


def published_file(root: Path, res: Resource) -> Path | None:
    """The local file to publish for ``res``: its normalised copy when the manifest asks for
    one (``normalise: true``), else the file itself.  Packs, data packages and harvesters
    call this, so the copy reaches every place the original would have."""
    if res.file is None or not wants_normalised(res.raw) or not res.is_tabular \
            or res.schema is None:
        return res.file
    try:
        resolved = resolve_schema(res.schema, res.dataset_dir, root)
    except SchemaRefError:
        return res.file  # validation reports it; nothing is published then
    return ensure_copy(root, res.file, resolved.descriptor, res.dialect).file
