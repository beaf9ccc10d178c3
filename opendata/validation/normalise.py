"""A normalised copy of a tabular file: what data.gouv.fr can check against the schema.

Stewards export from Excel: `;`, cp1252, decimal commas, French dates.  Their manifest dialect
says how to read that file, but data.gouv.fr checks a resource against its national schema
*as published*, where such values are type errors.  With ``normalise: true`` on the resource,
opendata rewrites the file in UTF-8 with `,` as delimiter and every value in the schema's own
format (numbers with `.`, dates as the field says), checks the copy against the published
schema, and publishes the copy instead of the original (which stays in git as it is).

The copy is content-addressed (hash of the source, the schema and the dialect), so ``build``
and a later ``publish`` write and reuse the very same bytes.

Spreadsheets (``xlsx``, ``ods``) are always checked through such a copy: the sheet the
manifest names (``sheet``, from its ``header_row``) written as UTF-8 CSV, typed cells in
the schema's formats.  With ``normalise: true`` that CSV is also what is published, under
the spreadsheet's name with ``.csv``, so portals and packs get an open format.
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


def is_sheet(res: Resource) -> bool:
    """Whether ``res`` is a spreadsheet, read through the CSV copy of one sheet."""
    from opendata.validation.engine.sheets import SHEET_FORMATS

    return res.format in SHEET_FORMATS


def sheet_options(raw: dict[str, Any]) -> dict[str, Any]:
    """The manifest's ``sheet`` and ``header_row`` (what the sheet's CSV copy depends on)."""
    return {"sheet": raw.get("sheet"), "header_row": raw.get("header_row")}


def sheet_copy(root: Path, source: Path, descriptor: dict[str, Any], raw: dict[str, Any],
               base: dict[str, Any]) -> Any:
    """The CSV copy of the sheet ``raw`` names (a :class:`~.engine.sheets.SheetCsv`: the
    copy, or the one finding saying why there is none), written once and reused."""
    from opendata.validation.engine.sheets import SheetCsv, sheet_to_csv

    options = sheet_options(raw)
    target = copy_path(root, source, descriptor, {"sheet": options})
    facts = target.with_suffix(".json")
    if target.is_file() and facts.is_file():
        try:
            known = json.loads(facts.read_text(encoding="utf-8"))
            return SheetCsv(target, int(known["rows"]), offset=int(known["offset"]))
        except (OSError, ValueError, KeyError, TypeError):
            pass  # a broken note: write the copy again
    tmp = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".csv")
        os.close(fd)
        made = sheet_to_csv(source, Path(tmp), sheet=options["sheet"], schema=descriptor,
                            base=base, header_row=options["header_row"])
        if made.csv is None:
            return made
        os.replace(tmp, target)
        facts.write_text(json.dumps({"rows": made.rows, "offset": made.offset}),
                         encoding="utf-8")
        return SheetCsv(target, made.rows, offset=made.offset)
    except OSError as exc:
        raise NormaliseError(f"cannot write the CSV copy {target}: {exc.strerror}",
                             "Check that the catalog folder is writable and the disk has room."
                             ) from None
    finally:
        if tmp is not None and Path(tmp).exists():
            Path(tmp).unlink()


def checked_file(root: Path, res: Resource, descriptor: dict[str, Any]
                 ) -> tuple[Path | None, dict[str, Any]]:
    """The file validation checks for ``res`` and its dialect: a spreadsheet's sheet copy,
    the normalised copy, or the file itself (None when a sheet cannot be read)."""
    assert res.file is not None
    if is_sheet(res):
        made = sheet_copy(root, res.file, descriptor, res.raw,
                          {"file": res.path, "dataset": "", "resource": res.name})
        return made.csv, {}
    if wants_normalised(res.raw):
        return ensure_copy(root, res.file, descriptor, res.dialect).file, {}
    return res.file, res.dialect


def published_path(res: Resource) -> str | None:
    """The name ``res``'s published file has in packages: a spreadsheet published as its
    CSV copy (``normalise: true``) is ``NAME.csv``; any other keeps its ``path``."""
    path = res.path
    if isinstance(path, str) and is_sheet(res) and wants_normalised(res.raw):
        return str(Path(path).with_suffix(".csv").as_posix())
    return path


def published_format(res: Resource) -> tuple[str, str | None]:
    """(format, media type) of what is published for ``res``."""
    if is_sheet(res) and wants_normalised(res.raw):
        return "csv", "text/csv"
    return res.format, res.mediatype


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

    from opendata.validation.tabular import (
        _prepare_schema,
        normalise_encoding,
        reading_encoding,
    )

    published = {f.name: f for f in Schema.from_descriptor(
        _prepare_schema(descriptor, {}, by_name=True)).fields}
    reading = Schema.from_descriptor(_prepare_schema(descriptor, dialect, by_name=True))
    control = formats.CsvControl(delimiter=dialect.get("delimiter", ","))
    if "quoteChar" in dialect:
        control.quote_char = dialect["quoteChar"]
    encoding = reading_encoding(source, normalise_encoding(dialect.get("encoding")))
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
    if is_sheet(res):
        made = sheet_copy(root, res.file, resolved.descriptor, res.raw,
                          {"file": res.path, "dataset": "", "resource": res.name})
        return made.csv or res.file  # an unreadable sheet fails validation first
    return ensure_copy(root, res.file, resolved.descriptor, res.dialect).file
