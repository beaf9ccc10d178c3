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

import datetime as dt
import difflib
import hashlib
import json
import os
import subprocess
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import jsonschema

from opendata import __version__
from opendata.catalog import DATASETS_DIR, Catalog, Dataset, ManifestFields
from opendata.checksums import sha256_file, source_sha256
from opendata.config import load_json_schema
from opendata.datapackage import package_descriptor
from opendata.errors import UsageError, ValidationFailed
from opendata.report import Issue, ValidationReport
from opendata.vocab import THEMES
from opendata.yamlio import Located, load_yaml

PACKS_DIR = f"{DATASETS_DIR}/packs"
LOCK_NAME = "pack.lock.json"
LOCK_VERSION = 1
REPORT_NAME = "validation-report.json"
#: Zip timestamps cannot go before 1980; also the default when SOURCE_DATE_EPOCH is unset.
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
#: Generated members a data file may not shadow in a per-dataset package.
RESERVED = {"datapackage.json", "README.md", "LICENCE.md", LOCK_NAME, REPORT_NAME}

Member = bytes | Path


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


@dataclass
class PackManifest(ManifestFields):
    """A collection as declared in ``datasets/packs/<pack>.yaml``."""

    file: Path
    doc: Located

    @property
    def select(self) -> dict[str, list[str]]:
        sel = self.raw.get("select")
        if not isinstance(sel, dict):
            return {}
        return {k: [str(v) for v in vals] for k, vals in sel.items() if isinstance(vals, list)}

    @property
    def exclude(self) -> list[str]:
        return [str(x) for x in self.raw.get("exclude") or []]

    @property
    def contest(self) -> dict[str, str]:
        contest = self.raw.get("contest")
        return {k: str(v) for k, v in contest.items()} if isinstance(contest, dict) else {}

    @property
    def zip_name(self) -> str:
        return f"{self.name}-{self.version}.zip"


# --------------------------------------------------------------------------- reproducible zips


def zip_timestamp() -> tuple[int, int, int, int, int, int]:
    """Timestamp of every member: ``SOURCE_DATE_EPOCH`` when set (the reproducible-builds
    convention), else 1980-01-01, so that the build date never changes the bytes."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if not epoch:
        return ZIP_EPOCH
    try:
        when = dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC)
    except (ValueError, OverflowError, OSError):
        raise UsageError(f"SOURCE_DATE_EPOCH={epoch!r} is not a Unix timestamp") from None
    stamp = (when.year, when.month, when.day, when.hour, when.minute, when.second - when.second % 2)
    return max(stamp, ZIP_EPOCH)


def write_zip(path: Path, members: dict[str, Member]) -> tuple[str, int]:
    """Write ``members`` (zip name -> bytes or file) reproducibly; return (sha256, size).

    Sorted names, one timestamp, mode 0644, deflate at a fixed level, no extra fields and
    no directory entries.  Written to a temporary file then renamed, so a reader never
    sees half a zip.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    stamp = zip_timestamp()
    with zipfile.ZipFile(tmp, "w") as zf:
        for name in sorted(members):
            content = members[name]
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, so that external_attr means permissions
            info.external_attr = (0o100644 & 0xFFFF) << 16
            # the level is an attribute of ZipInfo (private before Python 3.13)
            setattr(info, "compress_level" if hasattr(info, "compress_level")
                    else "_compresslevel", 9)
            if isinstance(content, bytes):
                zf.writestr(info, content)
            else:
                info.file_size = content.stat().st_size
                with content.open("rb") as src, zf.open(info, "w", force_zip64=info.file_size
                                                        > 0x7FFFFFFF) as dst:
                    while chunk := src.read(1 << 20):
                        dst.write(chunk)
    tmp.replace(path)
    return sha256_file(path), path.stat().st_size


def _digest(content: Member) -> tuple[str, int]:
    if isinstance(content, bytes):
        return hashlib.sha256(content).hexdigest(), len(content)
    return source_sha256(content), content.stat().st_size


def _json_bytes(data: Any) -> bytes:
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


# --------------------------------------------------------------------------- git, report


def catalog_commit(root: Path, paths: Iterable[Path] = ()) -> tuple[str | None, bool | None]:
    """The catalog commit that last changed ``paths`` (or the shared inputs they depend
    on), and whether the work tree differs from it.

    Not ``HEAD``: a pack records the commit its content comes from, so an unrelated merge
    leaves the zip byte-identical and harvesters see an unchanged checksum (no re-upload).
    (None, None) outside git: a pack built from a tarball is still a valid pack.
    """
    rels = [str(p) for p in paths]
    shared = [s for s in ("opendata.yaml", "licences", "validation") if (root / s).exists()]
    try:
        head = subprocess.run(["git", "log", "-1", "--format=%H", "--", *rels, *shared],
                              cwd=root, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None, None
    if head.returncode != 0 or not head.stdout.strip():
        return None, None
    status = subprocess.run(["git", "status", "--porcelain", "--", *rels], cwd=root,
                            capture_output=True, text=True, timeout=60)
    dirty = bool(status.stdout.strip()) if status.returncode == 0 else None
    return head.stdout.strip(), dirty


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


def _md_cell(value: Any) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ").strip()


def _constraints(fld: dict[str, Any]) -> str:
    parts = []
    for key, value in (fld.get("constraints") or {}).items():
        if value is True:
            parts.append({"required": "obligatoire", "unique": "unique"}.get(key, key))
        elif key == "enum":
            parts.append("valeurs : " + ", ".join(str(v) for v in value))
        else:
            parts.append(f"{key} {value}")
    return "; ".join(parts)


def citation(catalog: Catalog, ds: Dataset) -> str:
    """How to cite a dataset: who, what, which version, where, under which licence."""
    org = catalog.config.organizations.get(ds.organization or "")
    who = org.title if org else catalog.config.publisher.get("name", catalog.config.title)
    lic = catalog.licences.get(ds.licence) if ds.licence in catalog.licences else None
    text = (f"{who}, « {ds.title} », version {ds.version}, {catalog.config.title}, "
            f"{catalog.config.dataset_uri(ds.name)}")
    if lic:
        text += f", {lic.short_title or lic.title}"
    return text + "."


def dataset_readme(catalog: Catalog, ds: Dataset, descriptor: dict[str, Any]) -> str:
    """README.md of a dataset: what it is, its licence, how to cite it, its fields."""
    lic = catalog.licences.get(ds.licence) if ds.licence in catalog.licences else None
    org = catalog.config.organizations.get(ds.organization or "")
    out = [f"# {ds.title}", "", ds.description.strip(), ""]
    facts = [("Identifiant", f"`{ds.name}` — {catalog.config.dataset_uri(ds.name)}"),
             ("Version", ds.version)]
    if org:
        facts.append(("Producteur", org.title))
    if lic:
        facts.append(("Licence", f"[{lic.title}]({lic.url}) (SPDX `{lic.spdx}`), voir LICENCE.md"))
    temporal = ds.get("temporal")
    if isinstance(temporal, dict):
        facts.append(("Période", f"{temporal.get('start', '?')} → {temporal.get('end', '?')}"))
    source = ds.get("source")
    if isinstance(source, dict) and source.get("title"):
        src = str(source["title"]) + (f" — {source['section']}" if source.get("section") else "")
        facts.append(("Source", f"[{src}]({source['url']})" if source.get("url") else src))
    contact = ds.get("contact")
    if isinstance(contact, dict):
        facts.append(("Contact", " — ".join(str(contact[k]) for k in ("name", "email", "url")
                                          if contact.get(k))))
    if ds.keywords:
        facts.append(("Mots-clés", ", ".join(ds.keywords)))
    out += [f"- **{k}** : {v}" for k, v in facts]
    out += ["", "## Citer ce jeu de données", "", citation(catalog, ds), ""]
    if lic and lic.attribution:
        out += ["La licence demande de mentionner la source : reprenez cette citation dans "
                "votre application (page « À propos » ou mentions légales).", ""]
    out += ["## Ressources", ""]
    for res_desc, res in zip(descriptor.get("resources", []), ds.resources, strict=False):
        out += [f"### {res.title} (`{res_desc['name']}`)", ""]
        if res.description:
            out += [res.description.strip(), ""]
        where = res_desc.get("path")
        line = f"- Fichier : `{where}` ({res.format.upper()}"
        if "bytes" in res_desc:
            line += f", {res_desc['bytes']} octets"
        out.append(line + ")")
        if res.is_tabular:
            dialect = res.dialect
            out.append(f"- Séparateur `{dialect.get('delimiter', ',')}`, encodage "
                       f"`{res_desc.get('encoding', 'utf-8')}`"
                       + (f", virgule décimale `{dialect['decimalChar']}`"
                          if "decimalChar" in dialect else ""))
        if "hash" in res_desc:
            out.append(f"- SHA-256 : `{res_desc['hash'].removeprefix('sha256:')}`")
        schema = res_desc.get("schema")
        if schema and schema.get("fields"):
            out += ["", "| champ | type | format | description | contraintes |",
                    "|---|---|---|---|---|"]
            for fld in schema["fields"]:
                desc = fld.get("description") or fld.get("title") or ""
                fmt = fld.get("format", "")
                if fld.get("decimalChar"):
                    fmt = (fmt + " " if fmt else "") + f"décimale `{fld['decimalChar']}`"
                out.append("| " + " | ".join(_md_cell(v) for v in (
                    f"`{fld.get('name', '')}`", fld.get("type", "string"), fmt, desc,
                    _constraints(fld))) + " |")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def licence_text(catalog: Catalog, ds: Dataset) -> str:
    """LICENCE.md: what the registry knows about the licence, and where its full text is.

    The build runs offline, so the full legal text is not fetched; the official URL is the
    reference and is always given.
    """
    if ds.licence not in catalog.licences:
        return f"# Licence\n\nLicence déclarée : `{ds.licence}` (inconnue du registre).\n"
    lic = catalog.licences.get(ds.licence or "")
    out = [f"# {lic.title}", "", f"Jeu de données : {ds.title} (`{ds.name}`)", ""]
    if lic.summary:
        out += [lic.summary.strip(), ""]
    out += [f"- Identifiant SPDX : `{lic.spdx}`",
            f"- Texte officiel : {lic.url}"]
    if lic.text_url:
        out.append(f"- Texte intégral (document) : {lic.text_url}")
    out.append(f"- Attribution requise : {'oui' if lic.attribution else 'non'}")
    out.append(f"- Partage à l'identique : {'oui' if lic.share_alike else 'non'}")
    out += ["", "Ce fichier résume la licence ; seul le texte officiel, à l'adresse ci-dessus, "
            "fait foi.", "", "## Mention de la source", "", citation(catalog, ds)]
    return "\n".join(out) + "\n"


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
        rel = PurePosixPath(res.path.replace("\\", "/")).as_posix()
        if not prefix and rel in RESERVED:
            raise ValidationFailed(
                f"{catalog.rel(ds.manifest)}: resource file {rel!r} has the name of a file "
                "opendata generates in packages", "Rename the data file.")
        members[prefix + rel] = res.file
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
    from opendata.validate import validate

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


def pack_files(root: Path) -> list[Path]:
    """Every ``datasets/packs/*.yaml``, sorted."""
    return sorted((Path(root) / PACKS_DIR).glob("*.yaml"))


def list_packs(root: Path | str) -> list[PackManifest]:
    """The collections declared in the catalog at ``root`` (for harvesters and the CLI).

    Raises :class:`~opendata.errors.ManifestError` for a file that is not YAML; use
    :func:`check_pack` for the field-level checks.
    """
    return [PackManifest(file=f, doc=load_yaml(f)) for f in pack_files(Path(root))]


def load_pack_manifest(root: Path | str, name: str) -> PackManifest:
    """The collection ``name``; an unknown name raises with the closest known ones."""
    file = Path(root) / PACKS_DIR / f"{name}.yaml"
    if not file.is_file():
        known = [f.stem for f in pack_files(Path(root))]
        close = difflib.get_close_matches(name, known, n=3)
        raise UsageError(f"no collection named {name!r} in {PACKS_DIR}/",
                         f"Did you mean {', '.join(close)}?" if close else
                         f"Known collections: {', '.join(known) or 'none'}.")
    return PackManifest(file=file, doc=load_yaml(file))


def check_pack(catalog: Catalog, pack: PackManifest) -> tuple[list[Dataset], list[Issue]]:
    """Check a collection manifest and resolve its selection.

    Returns the selected datasets (sorted by name) and the problems found, each located at
    ``file:line:column`` like manifest errors, with suggestions for unknown names.
    """
    rel = catalog.rel(pack.file)
    issues: list[Issue] = []

    def at(path: tuple[str | int, ...], message: str, hint: str | None, code: str) -> Issue:
        line, col = pack.doc.where(path)
        field_name = ".".join(str(p) for p in path) or None
        return Issue(file=rel, line=line, column=col, field=field_name, code=code,
                     message=message, hint=hint)

    if not isinstance(pack.doc.data, dict):
        return [], [at((), "a collection must be a mapping of fields", "See "
                       "validation/pack.schema.json.", "manifest-unreadable")]
    schema = load_json_schema(catalog.root, "pack.schema.json")
    validator = jsonschema.Draft202012Validator(schema)
    for err in sorted(validator.iter_errors(pack.raw), key=lambda e: list(e.absolute_path)):
        path = tuple(err.absolute_path)
        if err.validator == "additionalProperties":
            allowed = list(err.schema.get("properties", {}))
            for key in err.instance:
                if key not in allowed:
                    close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
                    issues.append(at(path + (key,), f"unknown field {key!r}",
                                     f"Did you mean {close[0]!r}?" if close else
                                     f"Allowed fields here: {', '.join(allowed)}.",
                                     "unknown-field"))
        elif err.validator == "enum":
            close = difflib.get_close_matches(str(err.instance), list(THEMES), n=1)
            issues.append(at(path, f"unknown theme code {err.instance!r}",
                             (f"Did you mean {close[0]!r}? " if close else "")
                             + f"Allowed codes: {', '.join(THEMES)}.", "unknown-code"))
        else:
            desc = err.schema.get("description") if isinstance(err.schema, dict) else None
            code = {"required": "missing-field", "type": "wrong-type"}.get(
                str(err.validator), "schema")
            issues.append(at(path, err.message, desc, code))
    if isinstance(pack.raw.get("name"), str) and pack.name != pack.file.stem:
        issues.append(at(("name",), f"collection name {pack.name!r} differs from its file "
                         f"{pack.file.name!r}", f"Rename the file to {pack.name}.yaml (or the "
                         "name): `--collection` finds collections by file name.",
                         "name-file-mismatch"))
    known = {ds.name: ds for ds in catalog.datasets}
    sel = pack.select
    chosen: dict[str, Dataset] = {}
    for key in ("datasets", "exclude"):
        values = sel.get("datasets", []) if key == "datasets" else pack.exclude
        base: tuple[str | int, ...] = ("select", "datasets") if key == "datasets" else ("exclude",)
        for i, name in enumerate(values):
            if name in known:
                if key == "datasets":
                    chosen[name] = known[name]
                continue
            close = difflib.get_close_matches(name, list(known), n=3, cutoff=0.5)
            issues.append(at(base + (i,), f"unknown dataset {name!r}",
                             f"Did you mean {' or '.join(map(repr, close))}?" if close else
                             f"Datasets of the catalog: {', '.join(sorted(known))}.",
                             "unknown-dataset"))
    keywords = {k.casefold() for k in sel.get("keywords", [])}
    themes = set(sel.get("themes", []))
    for ds in catalog.datasets:
        if keywords & {k.casefold() for k in ds.keywords} or themes & set(ds.themes):
            chosen.setdefault(ds.name, ds)
    for name in pack.exclude:
        chosen.pop(name, None)
    if not chosen and not issues:
        issues.append(at(("select",), "the selection matches no dataset",
                         "Check the names, keywords and themes under `select:`.",
                         "empty-pack"))
    return [chosen[n] for n in sorted(chosen)], issues


def _pack_readme(catalog: Catalog, pack: PackManifest, datasets: list[Dataset],
                 lock: dict[str, Any]) -> str:
    out = [f"# {pack.title}", "", f"Version {pack.version} — {catalog.config.title}", "",
           pack.description.strip(), ""]
    contest = pack.contest
    if contest:
        out += ["## Le concours", ""]
        labels = [("title", "Concours"), ("organizer", "Organisateur"),
                  ("opens", "Ouverture"), ("closes", "Clôture des candidatures"),
                  ("rules_url", "Règlement"), ("contact", "Contact")]
        out += [f"- **{label}** : {contest[k]}" for k, label in labels if contest.get(k)]
        out.append("")
    out += ["## Jeux de données", "",
            "| jeu de données | version | licence | ressources |", "|---|---|---|---|"]
    for ds in datasets:
        lic = catalog.licences.get(ds.licence) if ds.licence in catalog.licences else None
        res = ", ".join(f"`{ds.name}/{r.path}`" if r.path else r.url or r.name
                        for r in ds.resources)
        out.append(f"| [{_md_cell(ds.title)}]({ds.name}/README.md) | {ds.version} | "
                   f"{_md_cell(lic.short_title or lic.title) if lic else ds.licence} | {res} |")
    out += ["", "Chaque dossier contient le README du jeu de données (champs, licence, "
            "comment le citer), sa licence (LICENCE.md) et son propre `datapackage.json`.", "",
            "## Vérifier et charger", "",
            "`pack.lock.json` donne l'empreinte SHA-256 et la taille de chaque fichier du "
            "paquet ; `validation-report.json` le rapport de validation des données.", "",
            "```sh", f"opendata download {pack.zip_name}      # vérifie, extrait, revalide",
            f"frictionless validate {pack.name}-{pack.version}/datapackage.json", "```", "",
            "```python", "import opendata", f'pack = opendata.load_pack("{pack.zip_name}")',
            "pack.frames  # un DataFrame pandas par ressource tabulaire, types déclarés appliqués",
            "```", ""]
    commit = lock["catalog"].get("commit")
    if commit:
        out += [f"Construit depuis le commit `{commit}` du catalogue.", ""]
    return "\n".join(out)


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
    from opendata.validate import validate

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


def resolve_portal_source(root: Path | str, target: str, pack: str) -> str:
    """URL of collection ``pack`` as published on portal ``target`` (``TARGET:PACK``).

    NOTE for the harvester engineers: this is the hook ``opendata download TARGET:PACK``
    calls.  It reads the target from ``harvesters/<target>.yaml``, lists the datasets
    opendata owns there (``Portal.list_owned()``, in bulk) and returns the ``.zip``
    resource of the one whose identifier is :func:`pack_identifier` (or whose portal name
    is the pack's name).  Publishing collections is yours: use that identifier and keep
    the bundle a ``.zip`` resource, and this lookup works unchanged.
    """
    from opendata.catalog import load_catalog

    root = Path(root)
    if not (root / "harvesters" / f"{target}.yaml").is_file():
        raise UsageError(
            f"cannot look up collection {pack!r} on portal {target!r}: portal lookup needs the "
            f"harvester's target configuration harvesters/{target}.yaml, not found in {root}",
            "Run from the catalog repository (or pass --root), or download the pack by its "
            "URL or the path of a zip.")
    from opendata.harvesters.base import make_portal
    from opendata.harvesters.targets import load_target

    catalog = load_catalog(root)
    portal = make_portal(load_target(catalog.root, target), catalog)
    owned = portal.list_owned()
    wanted = pack_identifier(catalog, pack)
    for ident, remote in sorted(owned.items()):
        if ident == wanted or remote.name == pack:
            zips = sorted((r.url for r in remote.resources
                           if r.url and r.url.split("?")[0].endswith(".zip")), reverse=True)
            if zips:
                return zips[0]
            raise UsageError(f"collection {pack!r} on {target!r} ({remote.url}) has no .zip "
                             "resource", "Publish the pack again.")
    raise UsageError(f"collection {pack!r} is not published on portal {target!r}",
                     f"Publish it first, or download it by URL (its identifier would be "
                     f"{wanted}).")
