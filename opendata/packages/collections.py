"""Collections (packs): their manifests in ``datasets/packs/*.yaml``, loaded and checked
against the catalog before anything is built."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

import jsonschema

from opendata.catalog.config import load_json_schema
from opendata.catalog.manifests import DATASETS_DIR, Catalog, Dataset, ManifestFields
from opendata.catalog.vocab import THEMES
from opendata.catalog.yamlio import Located, load_yaml
from opendata.errors import UsageError
from opendata.validation.report import Issue

#: Where collection manifests live, one YAML file each.
PACKS_DIR = f"{DATASETS_DIR}/packs"


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
