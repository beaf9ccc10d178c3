"""What the pages show, gathered from the catalog, the validation report and ``dist/``.

Two levels, for bounded memory at 10,000 datasets: a small :class:`Summary` per dataset
(lists, facets, search, feed) is kept for the whole catalog; the full :class:`DatasetView`
(dictionary, previews, downloads) is built for one dataset, rendered and dropped.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from opendata.catalog.config import Licence
from opendata.catalog.manifests import Catalog, Dataset
from opendata.catalog.schemas import SchemaRefError, resolve_schema
from opendata.catalog.vocab import SPATIAL_LEVELS, THEMES
from opendata.checksums import source_sha256
from opendata.dcat.build import copy_site_path, published_copy
from opendata.gitinfo import FileDates
from opendata.packages.texts import citation
from opendata.site.history import Commit
from opendata.site.preview import Preview, read_preview
from opendata.site.published import PortalLink
from opendata.validation.normalise import NormaliseError, is_sheet, sheet_copy
from opendata.validation.report import ValidationReport

#: Where each kind of file goes inside the site (shared by both languages).
FILES_DIR = "files"
DOWNLOADS_DIR = "downloads"
DCAT_DIR = "dcat"

_MD_PUNCT = re.compile(r"[*_`#>\[\]()!|~]+")
_SPACES = re.compile(r"\s+")


def slug(text: str) -> str:
    """A file-name-safe slug: accents folded, lower case, ``-`` between words."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    out = re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")
    return out or "x"


def plain_text(markdown: str, limit: int | None = None) -> str:
    """Markdown reduced to words (for summaries and the search index)."""
    text = _SPACES.sub(" ", _MD_PUNCT.sub(" ", markdown)).strip()
    if limit is not None and len(text) > limit:
        cut = text[:limit].rsplit(" ", 1)[0]
        return cut + "…"
    return text


def period_label(temporal: Any) -> str | None:
    """The decade a dataset's period starts in (``2000-2009``): a facet with few values."""
    if not isinstance(temporal, dict) or not temporal.get("start"):
        return None
    try:
        year = int(str(temporal["start"])[:4])
    except ValueError:
        return None
    decade = year - year % 10
    return f"{decade}-{decade + 9}"


@dataclass
class Summary:
    """One dataset as lists, facets and search need it."""

    name: str
    title: str
    summary: str
    organization: str
    organization_title: str
    licence: str
    licence_title: str
    themes: list[str]
    keywords: list[str]
    formats: list[str]
    period: str | None
    modified: datetime | None
    issued: datetime | None
    version: str
    text: str  # words searched: title, keywords, description

    def facet_values(self, kind: str) -> list[str]:
        return {
            "organization": [self.organization] if self.organization else [],
            "theme": self.themes,
            "keyword": self.keywords,
            "licence": [self.licence] if self.licence else [],
            "format": self.formats,
            "period": [self.period] if self.period else [],
        }[kind]


@dataclass
class Download:
    title: str
    href: str | None  # site path, None for a remote file (see url)
    size: int | None
    sha256: str | None
    format: str
    url: str | None = None
    description: str = ""
    #: the file in git when a copy is published in its place (shown "as exported")
    as_exported: bool = False


@dataclass
class TableView:
    resource: str
    title: str
    fields: list[dict[str, Any]]
    preview: Preview | None
    rows: int | None


@dataclass
class DatasetView:
    summary: Summary
    ds: Dataset
    description: str
    licence: Licence | None
    citation: str
    source: dict[str, Any]
    temporal: dict[str, Any]
    spatial: dict[str, Any]
    spatial_uri: str | None
    frequency: str | None
    contact: dict[str, Any]
    history: list[Commit]
    tables: list[TableView]
    downloads: list[Download]
    package: Download | None
    dcat_ttl: str
    dcat_jsonld: str
    valid: bool
    warnings: list[str]
    resource_rows: dict[str, int | None]
    portals: list[PortalLink] = field(default_factory=list)  # where it is published
    extras: dict[str, str] = field(default_factory=dict)


def dataset_files(ds: Dataset) -> list[Path]:
    """The files whose changes date a dataset: its manifest and the files beside it."""
    try:
        return sorted(p for p in ds.dir.iterdir() if p.is_file())
    except OSError:
        return [ds.manifest]


def summarize(catalog: Catalog, ds: Dataset, dates: FileDates) -> Summary:
    orgs = catalog.config.organizations
    org = orgs.get(ds.organization or "")
    lic = catalog.licences.get(ds.licence) if ds.licence in catalog.licences else None
    span = dates.span(dataset_files(ds))
    themes = [x for x in ds.themes if x in THEMES]
    formats = sorted({r.format for r in ds.resources if r.format})
    return Summary(
        name=ds.name, title=ds.title, summary=plain_text(ds.description, 220),
        organization=ds.organization or "", organization_title=org.title if org else "",
        licence=ds.licence or "", licence_title=(lic.short_title or lic.title) if lic else "",
        themes=themes, keywords=ds.keywords, formats=formats,
        period=period_label(ds.get("temporal")),
        issued=span[0] if span else None, modified=span[1] if span else None,
        version=ds.version,
        text=" ".join([ds.title, " ".join(ds.keywords), plain_text(ds.description)]))


def _example(fld: dict[str, Any], preview: Preview | None) -> str:
    if "example" in fld:
        return str(fld["example"])
    if preview and fld.get("name") in preview.header:
        i = preview.header.index(fld["name"])
        for row in preview.rows:
            if i < len(row) and row[i].strip():
                return row[i]
    return ""


def _constraints(fld: dict[str, Any]) -> list[tuple[str, str]]:
    """Constraints as (name, value) pairs; the template translates the names it knows."""
    out = []
    for key, value in (fld.get("constraints") or {}).items():
        if value is True:
            out.append((key, ""))
        elif key == "enum":
            out.append((key, ", ".join(str(v) for v in value)))
        else:
            out.append((key, str(value)))
    return out


def _sheet_preview(catalog: Catalog, ds: Dataset, res: Any, file: Path,
                   descriptor: dict[str, Any], rows: int) -> Preview:
    """A spreadsheet's first rows, read from the CSV copy of its sheet: the copy validation
    checked (reused; written now if validation has not run), so the preview shows the cells
    as the schema reads them.  A sheet that cannot be read has an empty preview."""
    try:
        made = sheet_copy(catalog.root, file, descriptor, res.raw,
                          {"file": catalog.rel(file), "dataset": ds.name, "resource": res.name})
    except NormaliseError as exc:
        return Preview(header=[], rows=[], error=exc.message)
    if made.csv is None:
        return Preview(header=[], rows=[], error=made.issue.message if made.issue else None)
    return read_preview(made.csv, {}, "csv", rows, list(descriptor.get("fields", [])))


def build_view(catalog: Catalog, ds: Dataset, summary: Summary, report: ValidationReport,
               dist: Path, history: list[Commit], preview_rows: int = 10,
               with_preview: bool = True, portals: list[PortalLink] | None = None
               ) -> DatasetView:
    """Everything the page of ``ds`` shows; reads only the first rows of each table."""
    lic = catalog.licences.get(ds.licence) if ds.licence in catalog.licences else None
    result = report.datasets.get(ds.name)
    rows = {r.name: r.rows for r in (result.resources if result else [])}
    tables: list[TableView] = []
    downloads: list[Download] = []
    for res in ds.resources:
        file = res.file  # resolved and checked on each access: once per resource
        fields: list[dict[str, Any]] = []
        descriptor: dict[str, Any] | None = None
        if res.schema is not None:
            try:
                descriptor = resolve_schema(res.schema, ds.dir, catalog.root).descriptor
                fields = list(descriptor.get("fields", []))
            except SchemaRefError:
                fields = []
        preview = None
        if res.is_tabular and file is not None and with_preview:
            if not is_sheet(res):
                preview = read_preview(file, res.dialect, res.format, preview_rows, fields)
            elif descriptor is not None:
                preview = _sheet_preview(catalog, ds, res, file, descriptor, preview_rows)
        if res.is_tabular or fields:
            tables.append(TableView(
                resource=res.name, title=res.title, preview=preview, rows=rows.get(res.name),
                fields=[{**f, "example": _example(f, preview), "constraint_list": _constraints(f)}
                        for f in fields]))
        if file is not None and res.path:
            copy = published_copy(catalog, res)
            if copy is not None:  # what DCAT and the portals publish comes first
                downloads.append(Download(
                    title=res.title, href=copy_site_path(ds, res), size=copy.stat().st_size,
                    sha256=source_sha256(copy), format="csv", description=res.description))
            downloads.append(Download(
                title=res.title, href=f"{FILES_DIR}/{ds.name}/{res.path}",
                size=file.stat().st_size, sha256=source_sha256(file),
                format=res.format, description="" if copy else res.description,
                as_exported=copy is not None))
        else:
            downloads.append(Download(title=res.title, href=None, size=None, sha256=None,
                                      format=res.format, url=res.url,
                                      description=res.description))
    package = None
    zip_name = f"{ds.name}-{ds.version}.zip"
    zip_file = dist / "packages" / zip_name
    if zip_file.is_file():
        package = Download(title=zip_name, href=f"{DOWNLOADS_DIR}/{zip_name}",
                           size=zip_file.stat().st_size, sha256=_sha_of(zip_file), format="zip")
    spatial = ds.get("spatial") or {}
    spatial_uri = None
    if isinstance(spatial, dict) and spatial.get("level") in SPATIAL_LEVELS and spatial.get("code"):
        spatial_uri = SPATIAL_LEVELS[spatial["level"]] + str(spatial["code"])
    issues = report.issues_for(ds.name) if result else []
    return DatasetView(
        summary=summary, ds=ds, description=ds.description, licence=lic,
        citation=citation(catalog, ds), source=dict(ds.get("source") or {}),
        temporal=dict(ds.get("temporal") or {}), spatial=dict(spatial) if spatial else {},
        spatial_uri=spatial_uri, frequency=ds.get("frequency"),
        contact=dict(ds.get("contact") or {}), history=history, tables=tables,
        downloads=downloads, package=package, dcat_ttl=f"{DCAT_DIR}/{ds.name}.ttl",
        dcat_jsonld=f"{DCAT_DIR}/{ds.name}.jsonld", valid=bool(result and result.valid),
        warnings=[i.message for i in issues if i.severity != "error"], resource_rows=rows,
        portals=list(portals or []),
        extras={str(k): str(v) for k, v in (ds.get("extras") or {}).items()})


def _sha_of(zip_file: Path) -> str:
    """The zip's sha256, from the ``.sha256`` file written beside it (else computed)."""
    side = zip_file.with_name(zip_file.name + ".sha256")
    try:
        return side.read_text(encoding="utf-8").split()[0]
    except (OSError, IndexError):
        return source_sha256(zip_file)


def now() -> datetime:
    return datetime.now(UTC)
