"""Data packages as zips: one per dataset, and collections such as the app-contest pack.

A pack is what an app developer downloads: the data files, a Frictionless
``datapackage.json``, a README a human can read, the licence, the validation report and
``pack.lock.json``, which records the sha256 and size of *every* other member of the zip.
``opendata download`` checks each member against the lock before extracting anything, so a
pack is verifiable on its own; the zip's own sha256 (returned in :class:`PackResult`, and
written beside it as ``<zip>.sha256``) is what portals publish as its checksum.

Zips are reproducible: the same inputs give the same bytes (sorted members, fixed
timestamps, fixed permissions, no extra fields), so a checksum changes only when content
does, and portals re-upload a bundle only when something in it changed.

Collections are declared in ``datasets/packs/<pack>.yaml`` (JSON Schema:
``validation/pack.schema.json``); that folder holds no ``dataset.yaml``, so the catalog
never mistakes it for a dataset.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from opendata._version import __version__
from opendata.catalog.manifests import Catalog, Dataset
from opendata.catalog.yamlio import load_yaml
from opendata.errors import ValidationFailed
from opendata.packages.collections import (
    PackManifest,
    check_pack,
    load_pack_manifest,
    pack_files,
)
from opendata.packages.datapackage import package_descriptor
from opendata.packages.texts import (
    _pack_readme,
    dataset_readme,
    licence_text,
)
from opendata.packages.zipfiles import (
    Member,
    _digest,
    _json_bytes,
    catalog_commit,
    write_zip,
)
from opendata.validation.normalise import published_file, published_path
from opendata.validation.report import Issue, ValidationReport

LOCK_NAME = "pack.lock.json"
LOCK_VERSION = 1
REPORT_NAME = "validation-report.json"
#: Generated members a data file may not shadow in a per-dataset package.
RESERVED = {"datapackage.json", "README.md", "LICENCE.md", LOCK_NAME, REPORT_NAME}



# --------------------------------------------------------------------------- results


@dataclass
class PackResult:
    """One written zip: what a harvester needs to publish it as a portal resource."""

    zip_path: Path
    sha256: str
    size: int
    version: str
    lock: dict[str, Any]
    name: str = ""
    kind: str = "dataset"
    datasets: list[str] = field(default_factory=list)




# --------------------------------------------------------------------------- reproducible zips










# --------------------------------------------------------------------------- git, report




def report_subset(report: ValidationReport, names: Iterable[str]) -> dict[str, Any]:
    """The JSON report restricted to ``names``, without the run-dependent ``cached`` flag
    (a pack must not change because the validation cache was warm)."""
    wanted = set(names)
    full = report.to_dict()
    datasets = [d for d in full["datasets"] if d["name"] in wanted]
    for d in datasets:
        for r in d.get("resources", []):
            r.pop("cached", None)
    issues = [i for i in full["issues"] if i.get("dataset") in wanted]
    errors = sum(1 for i in issues if i.get("severity", "error") == "error")
    return {
        "report_version": full["report_version"],
        "valid": errors == 0,
        "summary": {"datasets": len(datasets),
                    "valid_datasets": sum(1 for d in datasets if d["valid"]),
                    "errors": errors, "warnings": len(issues) - errors},
        "datasets": datasets,
        "issues": issues,
    }


# --------------------------------------------------------------------------- README, licence












# --------------------------------------------------------------------------- members


def _dataset_parts(catalog: Catalog, ds: Dataset, prefix: str = ""
                   ) -> tuple[dict[str, Any], dict[str, Member], list[dict[str, Any]]]:
    """Descriptor, zip members (under ``prefix``) and lock entries of one dataset."""
    desc = package_descriptor(catalog, ds)
    members: dict[str, Member] = {}
    lock_res: list[dict[str, Any]] = []
    for res, res_desc in zip(ds.resources, desc["resources"], strict=True):
        if res.file is None or not res.path:
            lock_res.append({"name": res.name, "url": res.url})
            continue
        rel = PurePosixPath(str(published_path(res)).replace("\\", "/")).as_posix()
        if not prefix and rel in RESERVED:
            raise ValidationFailed(
                f"{catalog.rel(ds.manifest)}: resource file {rel!r} has the name of a file "
                "opendata generates in packages", "Rename the data file.")
        members[prefix + rel] = published_file(catalog.root, res) or res.file
        lock_res.append({"name": res.name, "path": prefix + rel,
                         "sha256": res_desc["hash"].removeprefix("sha256:"),
                         "bytes": res_desc["bytes"]})
    members[prefix + "datapackage.json"] = _json_bytes(desc)
    members[prefix + "README.md"] = dataset_readme(catalog, ds, desc).encode("utf-8")
    members[prefix + "LICENCE.md"] = licence_text(catalog, ds).encode("utf-8")
    return desc, members, lock_res


def _lock(catalog: Catalog, kind: str, name: str, version: str,
          datasets: list[dict[str, Any]], members: dict[str, Member],
          sources: list[Path]) -> dict[str, Any]:
    commit, dirty = catalog_commit(catalog.root, sources)
    files = {}
    for member in sorted(members):
        sha, size = _digest(members[member])
        files[member] = {"sha256": sha, "bytes": size}
    return {
        "lock_version": LOCK_VERSION,
        "kind": kind,
        "name": name,
        "version": version,
        "generator": f"opendata {__version__}",
        "catalog": {"title": catalog.config.title, "base_uri": catalog.config.base_uri,
                    "repository": catalog.config.repository.get("url"),
                    "commit": commit, "dirty": dirty},
        "datasets": datasets,
        "files": files,
    }


def _ensure_valid(catalog: Catalog, names: list[str], report: ValidationReport | None
                  ) -> ValidationReport:
    """A report covering ``names``, validating those the given report did not see."""
    from opendata.validation.validator import validate

    missing = [n for n in names if report is None or n not in report.datasets]
    if report is None:
        return validate(catalog=catalog, datasets=names)
    if missing:
        extra = validate(catalog=catalog, datasets=missing)
        report.datasets.update(extra.datasets)
        report.issues.extend(extra.issues)
    return report


def invalid_among(report: ValidationReport, names: Iterable[str]) -> list[str]:
    return [n for n in names if n not in report.datasets or not report.datasets[n].valid]


def _invalid_error(what: str, bad: list[str], report: ValidationReport) -> ValidationFailed:
    first = [i for i in report.errors if i.dataset in bad][:3]
    detail = "".join(f"\n  {i.location()}: {i.message}" for i in first)
    return ValidationFailed(
        f"{what}: invalid dataset(s) cannot be packed: {', '.join(bad)}{detail}",
        f"Fix them (`opendata validate {' '.join(bad)}`) or leave them out of the pack.")


def build_dataset_package(catalog: Catalog, ds: Dataset | str, dist: Path,
                          report: ValidationReport | None = None) -> PackResult:
    """``dist/packages/<name>-<version>.zip`` for one valid dataset.

    Raises :class:`ValidationFailed` when the dataset is invalid.
    """
    ds = catalog.dataset(ds) if isinstance(ds, str) else ds
    report = _ensure_valid(catalog, [ds.name], report)
    if invalid_among(report, [ds.name]):
        raise _invalid_error(f"package {ds.name}", [ds.name], report)
    _desc, members, lock_res = _dataset_parts(catalog, ds)
    members[REPORT_NAME] = _json_bytes(report_subset(report, [ds.name]))
    entry = {"name": ds.name, "version": ds.version, "uri": catalog.config.dataset_uri(ds.name),
             "licence": ds.licence, "resources": lock_res}
    lock = _lock(catalog, "dataset", ds.name, ds.version, [entry], members,
                 [catalog.root / catalog.rel(ds.dir)])
    members[LOCK_NAME] = _json_bytes(lock)
    path = Path(dist) / "packages" / f"{ds.name}-{ds.version}.zip"
    return _finish(path, members, lock, "dataset", [ds.name])


def _finish(path: Path, members: dict[str, Member], lock: dict[str, Any], kind: str,
            datasets: list[str]) -> PackResult:
    """Write the zip and its ``.sha256`` sidecar (``sha256sum -c`` format)."""
    sha, size = write_zip(path, members)
    path.with_name(path.name + ".sha256").write_text(f"{sha}  {path.name}\n", encoding="utf-8")
    return PackResult(zip_path=path, sha256=sha, size=size, version=lock["version"], lock=lock,
                      name=lock["name"], kind=kind, datasets=datasets)


# --------------------------------------------------------------------------- collections












def _prefixed(ds_name: str, res_desc: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    """A dataset's resource as part of a collection: unique name, path under the dataset
    folder, and foreign keys pointing at the renamed resources."""
    out = json.loads(json.dumps(res_desc))
    out["name"] = names[res_desc["name"]]
    path = out.get("path")
    if isinstance(path, str) and not path.startswith(("http://", "https://")):
        out["path"] = f"{ds_name}/{path}"
    for fk in (out.get("schema") or {}).get("foreignKeys", []):
        ref = fk.get("reference", {})
        if ref.get("resource"):
            ref["resource"] = names.get(ref["resource"], ref["resource"])
    return out


def collection_resource_name(dataset: str, resource: str) -> str:
    """Resource names must be unique across datasets: ``<dataset>.<resource>``.  Dataset
    names never contain a dot, so the split back is unambiguous."""
    return f"{dataset}.{resource}"


def build_pack(catalog: Catalog, pack_name: str, dist: Path | str,
               report: ValidationReport | None = None) -> PackResult:
    """Build ``dist/packs/<pack>-<version>.zip`` for the collection ``pack_name``.

    This is the function harvesters call to publish a collection (the zip is the
    resource, :attr:`PackResult.sha256` its checksum).  Raises
    :class:`~opendata.errors.ValidationFailed` when the manifest is wrong (unknown dataset,
    with suggestions) or when a selected dataset is invalid (named in the message).
    ``report`` may cover more or fewer datasets; those it lacks are validated here.
    """
    pack = load_pack_manifest(catalog.root, pack_name)
    datasets, issues = check_pack(catalog, pack)
    if issues:
        raise ValidationFailed(
            f"collection {pack_name}: {len(issues)} problem(s) in {catalog.rel(pack.file)}"
            + "".join(f"\n  {i.location()}: {i.message}" + (f" ({i.hint})" if i.hint else "")
                      for i in issues),
            "Fix the collection file (schema: validation/pack.schema.json).")
    names = [ds.name for ds in datasets]
    report = _ensure_valid(catalog, names, report)
    bad = invalid_among(report, names)
    if bad:
        raise _invalid_error(f"collection {pack_name}", bad, report)
    members: dict[str, Member] = {}
    resources: list[dict[str, Any]] = []
    lock_datasets: list[dict[str, Any]] = []
    licences: dict[str, dict[str, Any]] = {}
    for ds in datasets:
        desc, ds_members, lock_res = _dataset_parts(catalog, ds, prefix=f"{ds.name}/")
        members.update(ds_members)
        renamed = {r["name"]: collection_resource_name(ds.name, r["name"])
                   for r in desc["resources"]}
        for res_desc in desc["resources"]:
            res = _prefixed(ds.name, res_desc, renamed)
            res["dataset"] = ds.name
            for key in ("licenses", "sources"):
                if desc.get(key):
                    res[key] = desc[key]
            resources.append(res)
        for lic in desc.get("licenses", []):
            licences.setdefault(lic["name"], lic)
        for entry in lock_res:
            entry["name"] = renamed.get(entry["name"], entry["name"])
        lock_datasets.append({"name": ds.name, "version": ds.version,
                              "uri": catalog.config.dataset_uri(ds.name),
                              "licence": ds.licence, "resources": lock_res})
    tabular = bool(resources) and all(r.get("profile") == "tabular-data-resource"
                                      for r in resources)
    top: dict[str, Any] = {
        "profile": "tabular-data-package" if tabular else "data-package",
        "name": pack.name,
        "id": pack_identifier(catalog, pack.name),
        "title": pack.title,
        "description": pack.description,
        "version": pack.version,
        "keywords": pack.keywords or sorted({k for ds in datasets for k in ds.keywords}),
        "licenses": [licences[k] for k in sorted(licences)],
        "contributors": [{"title": catalog.config.publisher.get("name", catalog.config.title),
                          "role": "publisher", **({"path": catalog.config.publisher["uri"]}
                                                  if catalog.config.publisher.get("uri") else {})}],
        "resources": resources,
    }
    if pack.contest:
        top["contest"] = pack.contest
    members["datapackage.json"] = _json_bytes(top)
    members[REPORT_NAME] = _json_bytes(report_subset(report, names))
    sources = [catalog.root / catalog.rel(ds.dir) for ds in datasets] + [pack.file]
    lock = _lock(catalog, "collection", pack.name, pack.version, lock_datasets, members,
                 sources)
    members["README.md"] = _pack_readme(catalog, pack, datasets, lock).encode("utf-8")
    sha, size = _digest(members["README.md"])
    lock["files"]["README.md"] = {"sha256": sha, "bytes": size}
    lock["files"] = dict(sorted(lock["files"].items()))
    members[LOCK_NAME] = _json_bytes(lock)
    path = Path(dist) / "packs" / pack.zip_name
    return _finish(path, members, lock, "collection", names)


def build_packs(catalog: Catalog, datasets: list[str], collections: list[str], *,
                all_: bool = False, dist: Path | str, use_cache: bool = True
                ) -> list[PackResult]:
    """What ``opendata pack`` does: validate what is needed once, then build the zips.

    Named datasets and collections must all be buildable (else
    :class:`~opendata.errors.ValidationFailed`, naming the invalid datasets, before any zip
    is written); with ``all_`` every valid dataset is packed and every collection built.
    """
    from opendata.validation.validator import validate

    if all_:
        collections = [f.stem for f in pack_files(catalog.root)]
    selections: dict[str, list[str]] = {}
    for name in collections:
        pack = load_pack_manifest(catalog.root, name)
        chosen, issues = check_pack(catalog, pack)
        if issues:
            build_pack(catalog, name, dist)  # raises with every located problem
        selections[name] = [ds.name for ds in chosen]
    named = [catalog.dataset(n).name for n in datasets]
    needed = sorted(set(named) | {n for sel in selections.values() for n in sel}
                    | ({ds.name for ds in catalog.datasets} if all_ else set()))
    report = validate(catalog=catalog, datasets=needed, use_cache=use_cache)
    bad = invalid_among(report, named)
    if bad:
        raise _invalid_error("pack", bad, report)
    for name, sel in selections.items():
        bad = invalid_among(report, sel)
        if bad:
            raise _invalid_error(f"collection {name}", bad, report)
    if all_:
        named = [n for n in report.valid_datasets() if n in needed]
    results = [build_dataset_package(catalog, n, Path(dist), report)
               for n in dict.fromkeys(named)]
    results += [build_pack(catalog, name, Path(dist), report) for name in selections]
    return results


# --------------------------------------------------------------------------- build step


def write_packs(catalog: Catalog, report: ValidationReport, dist: Path) -> list[Path]:
    """Build step: a zip per valid dataset, then every collection.

    Never raises for bad content: a broken collection, or one holding an invalid dataset,
    becomes an issue of the report (code ``pack-invalid-dataset`` / the manifest's codes),
    which makes ``opendata build`` exit 1 while every other artefact is still written.
    Old zips are removed first, so ``dist/`` never offers a pack that failed this time.
    """
    out: list[Path] = []
    for sub in ("packages", "packs"):
        folder = Path(dist) / sub
        if folder.is_dir():
            for old in folder.iterdir():
                if old.suffix in (".zip", ".sha256", ".tmp"):
                    old.unlink()
    for name in report.valid_datasets():
        if name not in {ds.name for ds in catalog.datasets}:
            continue
        result = build_dataset_package(catalog, name, dist, report)
        out += [result.zip_path, result.zip_path.with_name(result.zip_path.name + ".sha256")]
    for file in pack_files(catalog.root):
        rel = catalog.rel(file)
        try:
            pack = PackManifest(file=file, doc=load_yaml(file))
        except Exception as exc:  # ManifestError: YAML syntax
            line = getattr(exc, "line", None)
            report.add(Issue(file=rel, line=line, column=getattr(exc, "column", None),
                             code="manifest-unreadable",
                             message=getattr(exc, "detail", str(exc)),
                             hint=getattr(exc, "hint", None)))
            continue
        datasets, issues = check_pack(catalog, pack)
        for issue in issues:
            report.add(issue)
        if issues:
            continue
        bad = invalid_among(report, [ds.name for ds in datasets])
        if bad:
            line, col = pack.doc.where(("select",))
            report.add(Issue(
                file=rel, line=line, column=col, code="pack-invalid-dataset", dataset=None,
                message=f"collection {pack.name!r} selects invalid dataset(s): {', '.join(bad)}; "
                        "it was not built",
                hint="Fix those datasets (their errors are listed above) or add them to "
                     "`exclude:`."))
            continue
        result = build_pack(catalog, pack.file.stem, dist, report)
        out += [result.zip_path, result.zip_path.with_name(result.zip_path.name + ".sha256")]
    return out


# --------------------------------------------------------------------------- portals


def pack_identifier(catalog: Catalog, pack: str) -> str:
    """Stable identifier of a collection (the ``id`` of its datapackage.json); harvesters
    publishing a collection should use it as the portal dataset's identifier, so that
    ``opendata download TARGET:PACK`` finds it."""
    return f"{catalog.config.base_uri}pack/{pack}"
