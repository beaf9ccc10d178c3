"""``build()``: the main job.  Validate everything, then write ``dist/``.

Every artefact step is listed in :func:`build_steps`, in order, so that ``opendata build``
stays one command that produces everything.  The report is written even when the catalog
is invalid: that is when people need it most.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from opendata.catalog.manifests import Catalog, load_catalog
from opendata.catalog.scaffold import SCHEMAS_PATH, copy_schemas
from opendata.packages.datapackage import package_descriptor
from opendata.packages.packs import write_packs
from opendata.validation.normalise import published_file
from opendata.validation.report import ValidationReport, render_html, render_markdown
from opendata.validation.validator import Progress, validate

#: A build step gets the catalog, the validation report and dist/, and returns the files
#: it wrote.  Steps must only publish valid datasets (``report.valid_datasets()``).
BuildStep = Callable[[Catalog, ValidationReport, Path], list[Path]]
#: dist/schemas/: the JSON Schemas the catalog's YAML files name for editors
SCHEMAS_DIR = SCHEMAS_PATH.strip("/")


def build_steps() -> list[tuple[str, BuildStep]]:
    """The artefacts ``build`` writes after validation, in order."""
    return [
        ("packs", write_packs),  # first: its issues (broken collections) enter the report
        ("validation report", lambda c, r, d: write_reports(r, d)),
        ("data packages", write_datapackages),
        ("catalog index", write_index),
        ("DCAT-AP", _dcat_step),
        ("JSON Schemas", lambda c, r, d: copy_schemas(c.root, d / SCHEMAS_DIR)),
        ("site", _site_step),  # last: it links the zips and DCAT files written above
    ]


def _dcat_step(catalog: Catalog, report: ValidationReport, dist: Path) -> list[Path]:
    """DCAT-AP 3 of the valid datasets; rdflib is imported only when building."""
    from opendata.dcat import dcat_build_step

    return dcat_build_step(catalog, report, dist)


def _site_step(catalog: Catalog, report: ValidationReport, dist: Path) -> list[Path]:
    """The website (``dist/site/``) and the data its read API serves."""
    from opendata.api import build_step

    return build_step(catalog, report, dist)


@dataclass
class BuildResult:
    report: ValidationReport
    dist: Path
    outputs: list[Path] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.report.valid


def write_json(path: Path, data: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def write_reports(report: ValidationReport, dist: Path) -> list[Path]:
    dist.mkdir(parents=True, exist_ok=True)
    md = dist / "validation-report.md"
    md.write_text(render_markdown(report), encoding="utf-8")
    page = dist / "validation-report.html"
    page.write_text(render_html(report), encoding="utf-8")
    return [write_json(dist / "validation-report.json", report.to_dict()), md, page]


def write_datapackages(catalog: Catalog, report: ValidationReport, dist: Path) -> list[Path]:
    """One ready-to-use folder per valid dataset: descriptor plus its local files."""
    out: list[Path] = []
    base = dist / "datapackages"
    if base.exists():
        shutil.rmtree(base)
    for name in report.valid_datasets():
        ds = catalog.dataset(name)
        folder = base / name
        desc = package_descriptor(catalog, ds)
        for res in ds.resources:
            if res.file is not None and res.path:
                target = folder / res.path
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(published_file(catalog.root, res) or res.file, target)
        out.append(write_json(folder / "datapackage.json", desc))
    return out


def write_index(catalog: Catalog, report: ValidationReport, dist: Path) -> list[Path]:
    """``dist/catalog.json``: what the catalog holds, for people and scripts."""
    entries = []
    for ds in catalog.datasets:
        result = report.datasets.get(ds.name)
        entries.append({
            "name": ds.name,
            "title": ds.title,
            "uri": catalog.config.dataset_uri(ds.name),
            "organization": ds.organization,
            "licence": ds.licence,
            "version": ds.version,
            "valid": bool(result and result.valid),
            "resources": [r.name for r in ds.resources],
            "datapackage": f"datapackages/{ds.name}/datapackage.json"
            if result and result.valid else None,
        })
    return [write_json(dist / "catalog.json", {
        "title": catalog.config.title,
        "base_uri": catalog.config.base_uri,
        "datasets": entries,
    })]


def build(root: Path | str = ".", dist: Path | str | None = None, *, use_cache: bool = True,
          progress: Progress | None = None) -> BuildResult:
    """Validate the catalog at ``root`` and write every artefact into ``dist``."""
    catalog = load_catalog(root)
    dist_path = Path(dist) if dist else catalog.root / "dist"
    report = validate(catalog=catalog, use_cache=use_cache, progress=progress)
    result = BuildResult(report=report, dist=dist_path)
    for label, step in build_steps():
        if progress:
            progress(f"build: {label}")
        result.outputs += step(catalog, report, dist_path)
    return result
