"""``build()``: the main job.  Validate everything, then write ``dist/``.

Every artefact step is listed in :func:`build_steps`, in order, so that ``opendata build``
stays one command that produces everything.  The report is written even when the catalog
is invalid: that is when people need it most.

Steps never write into ``dist/`` itself: they write into a staging folder beside it
(``.dist.tmp-<pid>-*``), which replaces ``dist/`` only once every step has finished
(:func:`swap_in`).  So ``dist/`` is always one build, whole: an interrupted or failed
build (Ctrl-C, a full disk) leaves the previous one untouched and no ``*.tmp`` behind.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from opendata.catalog.manifests import Catalog, load_catalog
from opendata.catalog.scaffold import SCHEMAS_PATH, copy_schemas
from opendata.errors import OutputError, UsageError, output_error
from opendata.packages.datapackage import package_descriptor
from opendata.packages.packs import write_packs
from opendata.validation.normalise import published_file, published_path
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
                target = folder / str(published_path(res))
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


#: written into every dist/ opendata builds: a folder without it (and without a validation
#: report, for builds from before it existed) is somebody's folder and is never replaced
BUILD_MARKER = ".opendata-build"
#: top-level names of dist/ that a build owns; anything else found in an old dist/ (a
#: publish report written there, the pages of `opendata dcat`) is carried over
BUILD_NAMES = frozenset({BUILD_MARKER, "validation-report.json", "validation-report.md",
                         "validation-report.html", "datapackages", "packages", "packs",
                         "catalog.json", "catalog.ttl", "catalog.jsonld", "catalog.rdf",
                         "dcat", SCHEMAS_DIR})


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def staging_folder(dist: Path, root: Path) -> Path:
    """A fresh staging folder beside ``dist`` (same file system, so the swap is a rename),
    after checking that ``dist`` can be replaced; stale staging folders of builds that were
    killed are removed."""
    dist = dist.absolute()
    if root.resolve().is_relative_to(dist.resolve()):
        raise UsageError(f"{dist} holds the catalog itself: it cannot be the build output",
                         "Give --dist a folder of its own, e.g. dist/.")
    if dist.exists() and not dist.is_dir():
        raise OutputError(f"cannot write the build into {dist}: it is a file, not a folder",
                          "Move the file away, or give --dist another folder.")
    if dist.is_dir() and any(dist.iterdir()) and not (dist / BUILD_MARKER).exists() and not (
            dist / "validation-report.json").exists():
        raise OutputError(f"{dist} exists and was not written by `opendata build`: not "
                          "replacing it", "Give --dist an empty or new folder.")
    parent = dist.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        for stale in parent.glob(f".{dist.name}.tmp-*"):
            pid = stale.name.split("-")[1] if stale.name.count("-") >= 2 else ""
            if pid.isdigit() and not _pid_alive(int(pid)):
                shutil.rmtree(stale, ignore_errors=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{dist.name}.tmp-{os.getpid()}-", dir=parent))
        staging.chmod(0o755)  # mkdtemp makes it private; dist/ is an ordinary folder
    except OSError as exc:
        raise output_error(parent, exc, "cannot create the build folder beside") from None
    return staging


def swap_in(staging: Path, dist: Path) -> None:
    """Replace ``dist`` by the complete ``staging`` folder: what the old dist/ held that
    a build does not write is carried over, then two renames (the window between them
    is a few microseconds, and dist/ is never half of two builds)."""
    (staging / BUILD_MARKER).write_text("written by opendata build; replaced whole at each "
                                        "build\n", encoding="utf-8")
    old = staging.with_name(staging.name.replace(".tmp-", ".old-", 1))
    if dist.is_dir():
        for entry in dist.iterdir():
            if entry.name not in BUILD_NAMES and not (staging / entry.name).exists():
                entry.rename(staging / entry.name)
        dist.rename(old)
    staging.rename(dist)
    shutil.rmtree(old, ignore_errors=True)


def build(root: Path | str = ".", dist: Path | str | None = None, *, use_cache: bool = True,
          progress: Progress | None = None) -> BuildResult:
    """Validate the catalog at ``root`` and write every artefact into ``dist``, atomically.

    Raises :class:`~opendata.errors.OutputError` naming the path when dist/ cannot be
    written (a file in the way, read-only, full disk); dist/ then keeps the previous build.
    """
    catalog = load_catalog(root)
    dist_path = (Path(dist) if dist else catalog.root / "dist").absolute()
    report = validate(catalog=catalog, use_cache=use_cache, progress=progress)
    result = BuildResult(report=report, dist=dist_path)
    staging = staging_folder(dist_path, catalog.root)
    try:
        for label, step in build_steps():
            if progress:
                progress(f"build: {label}")
            result.outputs += step(catalog, report, staging)
        swap_in(staging, dist_path)
    except OSError as exc:
        where = exc.filename or staging
        if isinstance(where, str) and where.startswith(str(staging)):
            where = str(dist_path) + where[len(str(staging)):]
        raise output_error(where, exc) from None
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    result.outputs = [dist_path / p.relative_to(staging) if p.is_relative_to(staging) else p
                      for p in result.outputs]
    return result
