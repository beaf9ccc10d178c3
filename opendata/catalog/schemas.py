"""Resolving a resource's Table Schema reference to a schema descriptor, and the national
schema catalogue (schema.data.gouv.fr) it resolves ``{name, version}`` against.

A manifest may point at a schema four ways (see ``validation/dataset.schema.json``).  All
of them resolve offline.  For schema.data.gouv.fr references, opendata ships the whole
national catalogue (every version of every Table Schema, ``validation/schema.data.gouv.fr/``
shipped as ``opendata._validation``); a catalog may add or override *single* schemas in its
own ``validation/schema.data.gouv.fr/`` (a ``schemas.json`` of its own is optional): its
files win version by version, and everything it does not hold still resolves from the
shipped copy.  ``update_catalogue`` refreshes the catalog's copy from the network.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema

from opendata.catalog.config import packaged_validation
from opendata.catalog.i18n import N_, _
from opendata.catalog.manifests import inside, locate, path_is_safe
from opendata.catalog.yamlio import read_regular
from opendata.errors import OpendataError, PortalError, UsageError

SDG_SUBDIR = "schema.data.gouv.fr"
SDG_DIR = f"validation/{SDG_SUBDIR}"
SDG_BASE = "https://schema.data.gouv.fr/schemas/"
SDG_CATALOGUE_URL = "https://schema.data.gouv.fr/schemas.json"

# national names are "organisation/schema"; versions are tags.  Anything else (a "..", a
# slash in a version) could point out of the copy, so it is refused before any path is built
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9][A-Za-z0-9_.-]*$")
_VERSION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]*$")


class SchemaRefError(OpendataError):
    """A schema reference that cannot be resolved; message and hint for the report (an
    :class:`OpendataError`, so a command meeting one outside validation renders it)."""

    def __init__(self, message: str, hint: str | None = None,
                 suggestions: tuple[str, ...] = (), *, code: str | None = None,
                 hint_code: str | None = None, params: dict[str, Any] | None = None):
        super().__init__(message, hint)
        #: the closest names or versions, for a caller that words its own hint
        self.suggestions = suggestions
        #: message and hint codes with their parameters, for validation to say them in the
        #: steward's language (this stage comes before the messages catalogue)
        self.code, self.hint_code, self.params = code, hint_code, params or {}


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


# -- the national catalogue -----------------------------------------------------------------

@dataclass(frozen=True)
class SchemaVersion:
    """One published version of a national schema and where its offline copy is."""

    name: str
    version: str
    #: the URL data.gouv.fr knows this version by (not always ``.../schema.json``)
    url: str
    #: the offline copy (the catalog's own, else the shipped one); None when not copied
    file: Path | None
    #: ``catalog`` (the catalog's own copy), ``bundled`` (shipped with opendata) or ``missing``
    origin: str

    @property
    def file_name(self) -> str:
        return self.url.rstrip("/").rsplit("/", 1)[-1]


@dataclass(frozen=True)
class NationalSchema:
    """An entry of schema.data.gouv.fr's ``schemas.json``, versions oldest first."""

    name: str
    title: str = ""
    description: str = ""
    #: ``tableschema`` for Table Schemas (the only kind opendata checks CSV against)
    schema_type: str = "tableschema"
    homepage: str | None = None
    labels: tuple[str, ...] = ()
    examples: tuple[dict[str, str], ...] = ()
    versions: tuple[SchemaVersion, ...] = ()

    @property
    def is_table_schema(self) -> bool:
        return self.schema_type == "tableschema"

    @property
    def latest(self) -> SchemaVersion | None:
        return self.versions[-1] if self.versions else None

    def version(self, version: str) -> SchemaVersion | None:
        return next((v for v in self.versions if v.version == version), None)

    def manifest_line(self, version: str | None = None) -> str:
        """The ``schema:`` line a steward pastes into a resource of ``dataset.yaml``."""
        version = version or (self.latest.version if self.latest else "")
        return f'schema: {{name: {self.name}, version: "{version}"}}'


def version_key(version: str) -> tuple[Any, ...]:
    """Natural order of version tags: 0.10.0 after 0.9.0, whatever the catalogue's order."""
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p)
                 for p in re.split(r"[.+-]", version))


def sdg_dir(root: Path | None) -> Path:
    """The catalog's own copy (which may not exist): where ``update`` writes."""
    return (root or Path(".")) / "validation" / SDG_SUBDIR


@lru_cache(maxsize=1)
def bundled_sdg_dir() -> Path:
    """The copy shipped with opendata: the whole national catalogue (where the package is
    does not change while it runs, so it is looked up once)."""
    return (packaged_validation() / SDG_SUBDIR).resolve()


def _file_of(folder: Path, preferred: str | None) -> Path | None:
    """The schema file of a version folder: the catalogue's file name, else
    ``schema.json``, else the folder's only JSON file (a steward's copy may be named
    anything)."""
    if not folder.is_dir():
        return None
    for name in (preferred, "schema.json"):
        if name and (folder / name).is_file():
            return folder / name
    found = [p for p in folder.glob("*.json") if p.is_file()]
    return found[0] if len(found) == 1 else None


_FRESH_INDEX = N_("Fix or delete it; `opendata schemas update` writes a fresh one.")


@lru_cache(maxsize=8)
def _read_index(file: Path, _mtime: int) -> tuple[dict[str, Any], ...]:
    """``schemas.json`` entries, parsed once per file version: every ``{name, version}``
    reference of a catalog looks them up."""
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SchemaRefError(_("{file} cannot be read as JSON ({why})").format(
            file=file, why=exc), _(_FRESH_INDEX)) from None
    entries = data.get("schemas") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise SchemaRefError(_("{file} is not a schema.data.gouv.fr catalogue (no `schemas` "
                               "list)").format(file=file), _(_FRESH_INDEX))
    return tuple(e for e in entries if isinstance(e, dict) and isinstance(e.get("name"), str))


def _default_url(name: str, version: str, file_name: str = "schema.json") -> str:
    return f"{SDG_BASE}{name}/{version}/{file_name}"


@lru_cache(maxsize=64)
def _local_dir(root: Path | None) -> Path | None:
    """The catalog's own copy, unless it *is* the shipped one (opendata's own checkout);
    looked up once per root, since every reference of a catalog asks."""
    if root is None:
        return None
    local = sdg_dir(root)
    return None if local.resolve() == bundled_sdg_dir() else local


def _merged_index(root: Path | None) -> dict[str, dict[str, Any]]:
    """Shipped entries overlaid by the catalog's ``schemas.json`` ones: name -> metadata
    and ``versions`` (version -> URL).  Cached per pair of file versions, since every
    ``{name, version}`` reference looks it up."""
    local = _local_dir(root)
    return _merge(_stamp(bundled_sdg_dir()), _stamp(local) if local else None)


def _stamp(folder: Path) -> tuple[Path, int] | None:
    file = folder / "schemas.json"
    try:
        return file, file.stat().st_mtime_ns
    except OSError:
        return None


@lru_cache(maxsize=8)
def _merge(*stamps: tuple[Path, int] | None) -> dict[str, dict[str, Any]]:
    merged: dict[str, dict[str, Any]] = {}
    for stamp in stamps:
        for entry in _read_index(*stamp) if stamp else ():
            slot = merged.setdefault(entry["name"], {"versions": {}})
            for key, value in entry.items():
                if key != "versions" and value not in (None, "", []):
                    slot[key] = value
            for v in entry.get("versions") or []:
                if isinstance(v, dict) and v.get("version_name"):
                    ver = str(v["version_name"])
                    slot["versions"][ver] = str(v.get("schema_url")
                                                or _default_url(entry["name"], ver))
    return merged


class NationalCatalogue:
    """The shipped catalogue merged with a catalog's own additions, schema by schema and
    version by version (never all or nothing)."""

    def __init__(self, root: Path | None, *, scan: bool = True):
        self.root = root
        self.local = _local_dir(root)
        self.bundled = bundled_sdg_dir()
        merged = {name: {**slot, "versions": dict(slot["versions"])}
                  for name, slot in _merged_index(root).items()}
        if scan and self.local and self.local.is_dir():
            # a version folder the catalog holds counts even without a schemas.json entry:
            # copying one schema file is enough to add or pin a schema
            for file in sorted(self.local.glob("*/*/*/*.json")):
                org, schema, ver = file.relative_to(self.local).parts[:3]
                slot = merged.setdefault(f"{org}/{schema}", {"versions": {}})
                slot["versions"].setdefault(ver, _default_url(f"{org}/{schema}", ver,
                                                              file.name))
        self.schemas: dict[str, NationalSchema] = {}
        for name, slot in merged.items():
            versions = tuple(self._version(name, ver, url) for ver, url in
                             sorted(slot["versions"].items(), key=lambda kv: version_key(kv[0])))
            self.schemas[name] = NationalSchema(
                name=name, title=str(slot.get("title") or ""),
                description=str(slot.get("description") or ""),
                schema_type=str(slot.get("schema_type") or "tableschema"),
                homepage=slot.get("homepage"), labels=tuple(slot.get("labels") or ()),
                examples=tuple(e for e in slot.get("examples") or () if isinstance(e, dict)),
                versions=versions)

    def _version(self, name: str, version: str, url: str) -> SchemaVersion:
        preferred = url.rstrip("/").rsplit("/", 1)[-1]
        if _NAME.match(name) and _VERSION.match(version):
            for origin, folder in (("catalog", self.local), ("bundled", self.bundled)):
                if folder is not None:
                    file = _file_of(folder / name / version, preferred)
                    if file is not None:
                        return SchemaVersion(name, version, url, file, origin)
        return SchemaVersion(name, version, url, None, "missing")

    # -- looking up ----------------------------------------------------------------------

    def table_schemas(self) -> list[NationalSchema]:
        return sorted((s for s in self.schemas.values() if s.is_table_schema),
                      key=lambda s: s.name)

    def closest_names(self, name: str, n: int = 3) -> list[str]:
        """Names a typo most likely meant: close spellings of the whole name or of its last
        part (``subvention`` finds ``scdl/subventions``), Table Schemas first."""
        names = [s.name for s in self.table_schemas()] or list(self.schemas)
        wanted = name.strip().lower()
        found = difflib.get_close_matches(wanted, [x.lower() for x in names], n=n, cutoff=0.8)
        by_lower = {x.lower(): x for x in names}
        result = [by_lower[f] for f in found]
        tail = wanted.rsplit("/", 1)[-1]
        tails: dict[str, list[str]] = {}
        for x in names:
            tails.setdefault(x.lower().rsplit("/", 1)[-1], []).append(x)
        for t in difflib.get_close_matches(tail, list(tails), n=n, cutoff=0.6):
            result.extend(tails[t])
        if len(tail) >= 3:
            result.extend(x for x in names if tail in x.lower())
        return list(dict.fromkeys(result))[:n]

    def get(self, name: str) -> NationalSchema:
        """The schema called ``name``; :class:`SchemaRefError` with the closest names."""
        schema = self.schemas.get(name)
        if schema is not None:
            return schema
        close = self.closest_names(name)
        line = self.schemas[close[0]].manifest_line() if close else ""
        if close:
            hint = (_("Did you mean {close}? For the first, write `{line}`.") if len(close) > 1
                    else _("Did you mean {close}? Write `{line}`.")).format(
                close=", ".join(close), line=line)
            hint_code = "schema-unknown-many" if len(close) > 1 else "schema-unknown-one"
        else:
            hint = _("`opendata schemas search WORDS` finds a schema by its subject.")
            hint_code = "schema-unknown-none"
        raise SchemaRefError(_("schema {name!r} is not in the schema.data.gouv.fr catalogue")
                             .format(name=name),
                             hint, tuple(close), code="schema-unknown", hint_code=hint_code,
                             params={"name": name, "close": ", ".join(close), "line": line})

    def version(self, name: str, version: str) -> SchemaVersion:
        """One version; :class:`SchemaRefError` naming the closest known versions."""
        schema = self.get(name)
        found = schema.version(version)
        if found is not None:
            return found
        known = [v.version for v in schema.versions]
        close = difflib.get_close_matches(version, known, n=3, cutoff=0.5)
        line = schema.manifest_line(close[0] if close else known[-1]) if known else ""
        hint = ((_("Known versions: {known}. Closest: `{line}`.") if close else
                 _("Known versions: {known}. Latest: `{line}`.")).format(
            known=", ".join(known), line=line) if known else _("It has no version."))
        raise SchemaRefError(_("schema {name!r} has no version {version!r}").format(
            name=name, version=version), hint,
                             tuple(close or known[-1:]), code="schema-no-version",
                             hint_code=("schema-closest" if close else "schema-latest")
                             if known else None,
                             params={"name": name, "version": version,
                                     "known": ", ".join(known), "line": line})

    def search(self, words: Iterable[str], *, with_fields: bool = True) -> list[NationalSchema]:
        """Table Schemas matching every word (accents and case ignored) in their name,
        title, labels, description or (latest version's) field names, best first."""
        terms = [_fold(w) for w in words if w.strip()]
        if not terms:
            return self.table_schemas()
        scored: list[tuple[int, str, NationalSchema]] = []
        for schema in self.table_schemas():
            places = [(4, _fold(schema.name)), (3, _fold(schema.title)),
                      (2, _fold(" ".join(schema.labels))), (1, _fold(schema.description))]
            if with_fields:
                places.append((1, _fold(" ".join(_field_words(schema.latest)))))
            score = 0
            for term in terms:
                best = max((weight for weight, text in places if term in text), default=0)
                if not best:
                    break
                score += best
            else:
                scored.append((-score, schema.name, schema))
        return [s for _, _, s in sorted(scored, key=lambda t: (t[0], t[1]))]


def _fold(text: str) -> str:
    """Lower case without accents: ``équipements`` and ``Equipements`` are one word."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _field_words(version: SchemaVersion | None) -> list[str]:
    if version is None or version.file is None:
        return []
    try:
        descriptor = _read_schema_file(version.file, version.file.stat().st_mtime_ns)
    except SchemaRefError:
        return []
    return [f"{f.get('name', '')} {f.get('title', '')}" for f in descriptor.get("fields", [])
            if isinstance(f, dict)]


def national_catalogue(root: Path | None) -> NationalCatalogue:
    """The shipped national catalogue merged with ``root``'s own copy, if any."""
    return NationalCatalogue(root)


def sdg_catalogue(root: Path) -> dict[str, list[str]]:
    """schema.data.gouv.fr catalogue: schema name -> known versions (oldest first)."""
    return {s.name: [v.version for v in s.versions]
            for s in national_catalogue(root).schemas.values()}


def national_schema(root: Path | None, name: str, version: str | None = None
                    ) -> tuple[NationalSchema, SchemaVersion, dict[str, Any]]:
    """A national schema, one of its versions (default: the latest) and its descriptor; a
    :class:`UsageError` with the closest names or versions otherwise (``schemas show``)."""
    cat = national_catalogue(root)
    try:
        schema = cat.get(name)
        ver = cat.version(name, version) if version else schema.latest
        if ver is None:
            raise SchemaRefError(_("schema {name!r} has no version in the catalogue").format(
                name=name))
        return schema, ver, _descriptor_of(schema, ver)
    except SchemaRefError as exc:
        hint = exc.hint
        if exc.suggestions and name not in cat.schemas:
            hint = _("Did you mean {close}? `opendata schemas show {first}`").format(
                close=", ".join(exc.suggestions), first=exc.suggestions[0])
        elif exc.suggestions:
            known = ", ".join(v.version for v in cat.schemas[name].versions)
            hint = _("Known versions: {known}. `opendata schemas show {name} --version "
                     "{first}`").format(known=known, name=name, first=exc.suggestions[0])
        raise UsageError(exc.message, hint) from None


def _descriptor_of(schema: NationalSchema, ver: SchemaVersion) -> dict[str, Any]:
    if ver.file is None:
        if not schema.is_table_schema:
            raise SchemaRefError(
                _("schema {name} is not a Table Schema (schema.data.gouv.fr type {type!r}): "
                  "opendata checks tabular files against Table Schemas only").format(
                    name=schema.name, type=schema.schema_type),
                _("`opendata schemas list` shows the Table Schemas."), code="schema-not-table",
                hint_code="schema-not-table",
                params={"name": schema.name, "type": schema.schema_type})
        path = f"{SDG_DIR}/{schema.name}/{ver.version}/{ver.file_name}"
        raise SchemaRefError(
            _("schema {name} {version} is in the catalogue but has no offline copy").format(
                name=schema.name, version=ver.version),
            _("Run `opendata schemas update {name}` (needs the network), or save {url} as "
              "{path}.").format(name=schema.name, url=ver.url, path=path),
            code="schema-no-copy", hint_code="schema-no-copy",
            params={"name": schema.name, "version": ver.version, "url": ver.url,
                    "path": path})
    # read and shape-checked once per file version (a catalog may reference the same
    # national schema from thousands of resources); a copy, since callers may change theirs
    return json.loads(_checked_text(ver.file, ver.file.stat().st_mtime_ns))


@lru_cache(maxsize=256)
def _checked_text(file: Path, _mtime: int) -> str:
    """The file's JSON once it passed the Table Schema checks; parsing it again is cheaper
    than copying the parsed tree."""
    return json.dumps(_read_json(file), ensure_ascii=False)


@lru_cache(maxsize=64)
def _read_schema_file(file: Path, _mtime: int) -> dict[str, Any]:
    return _read_json(file)


#: The shape of a Table Schema opendata relies on (frictionless checks the rest): every
#: later step -- validation, data packages, README field tables, DCAT -- reads these keys.
TABLE_SCHEMA_SHAPE: dict[str, Any] = {
    "type": "object",
    "required": ["fields"],
    "properties": {
        "fields": {"type": "array", "items": {
            "type": "object", "required": ["name"],
            "properties": {
                "name": {"type": "string", "minLength": 1},
                "title": {"type": "string"}, "description": {"type": "string"},
                "type": {"type": "string", "enum": [
                    "string", "number", "integer", "boolean", "object", "array", "date",
                    "time", "datetime", "year", "yearmonth", "duration", "geopoint",
                    "geojson", "any"]},
                "format": {"type": "string"},
                "decimalChar": {"type": "string", "minLength": 1},
                "groupChar": {"type": "string"},
                "trueValues": {"type": "array", "items": {"type": "string"}},
                "falseValues": {"type": "array", "items": {"type": "string"}},
                "constraints": {"type": "object"},
                "missingValues": {"type": "array", "items": {"type": "string"}},
            }}},
        "missingValues": {"type": "array", "items": {"type": "string"}},
        "primaryKey": {"type": ["string", "array"], "items": {"type": "string"}},
        "foreignKeys": {"type": "array", "items": {"type": "object"}},
    },
}
_SHAPE = jsonschema.Draft202012Validator(TABLE_SCHEMA_SHAPE)
#: a Table Schema larger than this is not one
MAX_SCHEMA_BYTES = 16 << 20


def check_table_schema(data: Any, where: str) -> dict[str, Any]:
    """``data`` if it has the shape of a Table Schema, else :class:`SchemaRefError` naming
    ``where`` (the schema file, or "the inline schema") and the faulty key."""
    err = next(iter(sorted(_SHAPE.iter_errors(data), key=lambda e: list(e.absolute_path))),
               None)
    if err is not None:
        at = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err.absolute_path)
        raise SchemaRefError(
            _("{where} is not a valid Table Schema: {at}: {why}").format(
                where=where, at=at.lstrip(".") or _("(top level)"), why=err.message[:200]),
            _("Fix {where}: see https://specs.frictionlessdata.io/table-schema/.").format(
                where=where))
    return data


def _read_json(file: Path) -> dict[str, Any]:
    """A Table Schema file: a regular file (not a folder or FIFO), bounded, valid JSON of
    the right shape; every problem is a :class:`SchemaRefError` naming the file."""
    try:
        data = json.loads(read_regular(file, MAX_SCHEMA_BYTES).decode("utf-8"))
    except FileNotFoundError:
        raise SchemaRefError(_("schema file {file} not found").format(file=file)) from None
    except json.JSONDecodeError as exc:
        raise SchemaRefError(_("schema file {file} is not valid JSON: {why}").format(
            file=file, why=exc), _("Fix the JSON syntax at that position.")) from None
    except ValueError as exc:  # bad UTF-8, a folder, a FIFO, too large
        raise SchemaRefError(
            _("schema file {file} is not UTF-8 text").format(file=file)
            if isinstance(exc, UnicodeDecodeError)
            else _("schema file {file}: {why}").format(file=file, why=exc),
            _("Point `schema:` at a Table Schema JSON file.")) from None
    except OSError as exc:
        raise SchemaRefError(_("schema file {file} cannot be read ({why})").format(
            file=file, why=exc.strerror)) from None
    except RecursionError:
        raise SchemaRefError(_("schema file {file} is nested too deeply to be a Table "
                               "Schema").format(file=file)) from None
    if not isinstance(data, dict) or not isinstance(data.get("fields"), list):
        raise SchemaRefError(_("{file} is not a Table Schema (no `fields` list)").format(
            file=file))
    return check_table_schema(data, str(file))


def _resolve_national(name: str, version: str, root: Path) -> ResolvedSchema:
    if not _NAME.match(name):
        raise SchemaRefError(
            _("schema name {name!r} is not of the form ORGANISATION/SCHEMA").format(name=name),
            _("Names are as schema.data.gouv.fr lists them, e.g. scdl/subventions; "
              "`opendata schemas list` shows them all."))
    if not _VERSION.match(version):
        raise SchemaRefError(
            _("schema version {version!r} is not a version tag").format(version=version),
            _("`opendata schemas show {name}` lists its versions.").format(name=name))
    slot = _merged_index(root).get(name)
    url = slot["versions"].get(version) if slot else None
    local = _local_dir(root)
    preferred = url.rstrip("/").rsplit("/", 1)[-1] if url else None
    # the catalog's own file wins, even without a schemas.json entry: copying one schema
    # file is enough to add or pin a version
    file = _file_of(local / name / version, preferred) if local else None
    if file is None and url is not None:
        file = _file_of(bundled_sdg_dir() / name / version, preferred)
    if url is None and file is None:
        NationalCatalogue(root).version(name, version)  # raises with the closest ones
    url = url or _default_url(name, version, file.name if file else "schema.json")
    ver = SchemaVersion(name, version, url, file, "catalog" if file and local and
                        file.is_relative_to(local) else "bundled" if file else "missing")
    schema = NationalSchema(name=name, schema_type=str((slot or {}).get("schema_type")
                                                       or "tableschema"))
    return ResolvedSchema(_descriptor_of(schema, ver), file=file,
                          datagouv={"name": name, "version": version}, url=url)


def reference_of_url(url: str) -> dict[str, str] | None:
    """``{name, version}`` of a schema.data.gouv.fr schema URL (the inverse of
    ``ResolvedSchema.url``), whatever the file is called; None for other URLs."""
    if not url.startswith(SDG_BASE):
        return None
    parts = url[len(SDG_BASE):].split("/")
    if len(parts) == 4 and parts[3].endswith(".json") and _VERSION.match(parts[2]):
        return {"name": f"{parts[0]}/{parts[1]}", "version": parts[2]}
    return None


def resolve_schema(ref: Any, dataset_dir: Path, root: Path) -> ResolvedSchema:
    """Turn a manifest ``schema`` value into a descriptor; raises :class:`SchemaRefError`."""
    if isinstance(ref, str):
        file, problem = locate(dataset_dir, ref)
        if problem is not None and problem.code == "unsafe-path":
            raise SchemaRefError(
                (_("schema path {ref!r} leaves the dataset folder through a symbolic link")
                 if "link" in problem.message
                 else _("schema path {ref!r} leaves the dataset folder")).format(ref=ref),
                _("Use a path inside the dataset folder, or {{shared: NAME}} for a schema of "
                  "validation/schemas/.").format())
        assert file is not None
        if problem is not None and problem.code == "not-a-file":
            raise SchemaRefError(f"schema path {ref!r} {problem.message.split(' ', 1)[1]}",
                                 _("Point `schema:` at a Table Schema JSON file."))
        return ResolvedSchema(_read_json(file), file=file)
    if isinstance(ref, dict) and "shared" in ref:
        name = str(ref["shared"])
        folder = root / "validation" / "schemas"
        file = folder / f"{name}.json"
        if not path_is_safe(name) or "/" in name or not inside(folder, file):
            raise SchemaRefError(
                _("shared schema name {name!r} leaves validation/schemas/").format(name=name),
                _("Give the file name without .json, e.g. {{shared: points}}.").format())
        if not file.is_file():
            known = sorted(p.stem for p in folder.glob("*.json"))
            close = difflib.get_close_matches(name, known, n=3)
            raise SchemaRefError(
                _("shared schema {name!r} not found in validation/schemas/").format(name=name),
                _("Did you mean {close}?").format(close=", ".join(close)) if close else
                _("Known shared schemas: {known}.").format(known=", ".join(known) or _("none")))
        return ResolvedSchema(_read_json(file), file=file)
    if isinstance(ref, dict) and "name" in ref and "version" in ref:
        return _resolve_national(str(ref["name"]), str(ref["version"]), root)
    if isinstance(ref, dict) and "fields" in ref:
        return ResolvedSchema(check_table_schema(dict(ref), _("the inline schema")))
    raise SchemaRefError(_("schema must be a file path, {{shared: NAME}}, {{name, version}} or "
                           "an inline Table Schema").format())


# -- refreshing the catalog's copy ----------------------------------------------------------

@dataclass
class UpdateResult:
    """What ``update_catalogue`` did, for the CLI to render."""

    folder: Path
    schemas: int = 0
    versions: int = 0
    #: ``name version`` of files written (new, or different from the shipped copy)
    written: list[str] = field(default_factory=list)
    #: versions already held (shipped or in the catalog) and not fetched again
    kept: int = 0
    #: versions fetched and identical to the shipped copy (not duplicated in the catalog)
    same_as_bundled: int = 0
    #: ``(name version, why)`` of versions that could not be fetched
    failed: list[tuple[str, str]] = field(default_factory=list)


def update_catalogue(root: Path, names: Iterable[str] = (), *, refetch: bool = False,
                     session: Any = None, timeout: float = 30.0) -> UpdateResult:
    """Refresh ``root``'s ``validation/schema.data.gouv.fr/`` from schema.data.gouv.fr.

    Writes the current ``schemas.json`` and the Table Schema files the shipped copy lacks
    (new versions) or holds differently; versions already held are not fetched again unless
    ``refetch`` (published versions do not change).  Nothing is written when the site cannot
    be reached: the offline copy keeps working, and the error says so.
    """
    import requests

    from opendata._version import __version__

    http = session or requests.Session()
    headers = {"User-Agent": f"opendata/{__version__}"}
    folder = sdg_dir(root)
    result = UpdateResult(folder=folder)

    def get(url: str) -> requests.Response:
        try:
            return http.get(url, timeout=timeout, headers=headers)
        except (requests.ConnectionError, requests.Timeout) as exc:
            current = national_catalogue(root)
            n = len(current.table_schemas())
            raise PortalError(
                f"cannot reach schema.data.gouv.fr ({type(exc).__name__}): the network "
                "seems unavailable; nothing was changed",
                f"Validation keeps working offline with the current copy ({n} Table Schemas). "
                "Run `opendata schemas update` again once online.") from None

    reply = get(SDG_CATALOGUE_URL)
    if reply.status_code != 200:
        raise PortalError(f"{SDG_CATALOGUE_URL} answered HTTP {reply.status_code}; nothing "
                          "was changed", "Try again later; the offline copy keeps working.",
                          status=reply.status_code)
    try:
        catalogue = reply.json()
        entries = catalogue["schemas"]
        assert isinstance(entries, list)
    except (ValueError, KeyError, TypeError, AssertionError):
        raise PortalError(f"{SDG_CATALOGUE_URL} did not return a schema catalogue (no "
                          "`schemas` list); nothing was changed",
                          "Try again later; the offline copy keeps working.") from None
    tables = [e for e in entries if isinstance(e, dict) and e.get("schema_type") ==
              "tableschema" and isinstance(e.get("name"), str) and _NAME.match(e["name"])]
    wanted = list(dict.fromkeys(names))
    if wanted:
        known = {e["name"] for e in tables}
        for name in wanted:
            if name not in known:
                close = national_catalogue(root).closest_names(name)
                raise UsageError(f"schema {name!r} is not a Table Schema of schema.data.gouv.fr",
                                 f"Did you mean {', '.join(close)}?" if close else
                                 "`opendata schemas search WORDS` finds one by subject.")
        tables = [e for e in tables if e["name"] in wanted]
    current = national_catalogue(root)
    bundled = NationalCatalogue(None)
    staged: list[tuple[Path, bytes, str]] = []
    for entry in tables:
        result.schemas += 1
        for v in entry.get("versions") or []:
            version = str(v.get("version_name", "")) if isinstance(v, dict) else ""
            url = str(v.get("schema_url") or "") if isinstance(v, dict) else ""
            if not _VERSION.match(version) or not url.startswith(SDG_BASE):
                continue
            label = f"{entry['name']} {version}"
            result.versions += 1
            held = current.schemas.get(entry["name"])
            held_version = held.version(version) if held else None
            if not refetch and held_version is not None and held_version.file is not None:
                result.kept += 1
                continue
            reply = get(url)
            if reply.status_code != 200:
                result.failed.append((label, f"HTTP {reply.status_code}"))
                continue
            try:
                descriptor = json.loads(reply.content)
                assert isinstance(descriptor, dict) and isinstance(descriptor.get("fields"), list)
            except (ValueError, AssertionError):
                result.failed.append((label, "not a Table Schema"))
                continue
            shipped = bundled.schemas.get(entry["name"])
            shipped_version = shipped.version(version) if shipped else None
            if shipped_version is not None and shipped_version.file is not None and (
                    _read_json(shipped_version.file) == descriptor):
                result.same_as_bundled += 1
                continue
            file_name = url.rstrip("/").rsplit("/", 1)[-1]
            if not re.match(r"^[A-Za-z0-9_.-]+\.json$", file_name):
                file_name = "schema.json"
            staged.append((folder / entry["name"] / version / file_name, reply.content, label))
    # every download done: only now touch the catalog, schema files first, then the index
    # that names them
    for target, content, label in staged:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
        result.written.append(label)
    folder.mkdir(parents=True, exist_ok=True)
    if not wanted:
        (folder / "schemas.json").write_bytes(_json_bytes(catalogue))
    else:
        _merge_index(folder / "schemas.json", [e for e in entries if isinstance(e, dict)
                                               and e.get("name") in wanted])
    return result


def _json_bytes(catalogue: Any) -> bytes:
    return (json.dumps(catalogue, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _merge_index(file: Path, entries: list[dict[str, Any]]) -> None:
    """Put ``entries`` into the catalog's ``schemas.json`` (creating it), replacing the
    entries of the same names: updating one schema leaves the others as they are."""
    data: dict[str, Any] = {"schemas": []}
    if file.is_file():
        try:
            loaded = json.loads(file.read_text(encoding="utf-8"))
            if isinstance(loaded, dict) and isinstance(loaded.get("schemas"), list):
                data = loaded
        except ValueError:
            pass
    names = {e["name"] for e in entries}
    data["schemas"] = [e for e in data["schemas"]
                       if not (isinstance(e, dict) and e.get("name") in names)] + entries
    file.write_bytes(_json_bytes(data))


# -- which national schema a file looks like ------------------------------------------------

@dataclass(frozen=True)
class SchemaMatch:
    """How well a header matches one national schema version, by field names."""

    schema: NationalSchema
    version: SchemaVersion
    #: header columns that are fields of the schema
    matched: tuple[str, ...]
    #: the schema's required fields the header lacks
    missing_required: tuple[str, ...]
    #: header columns the schema does not know
    extra: tuple[str, ...]
    n_fields: int

    @property
    def score(self) -> float:
        """Share of the union of header and fields that both have (1.0: same names)."""
        union = len(self.matched) + len(self.extra) + (self.n_fields - len(self.matched))
        return len(self.matched) / union if union else 0.0

    @property
    def manifest_line(self) -> str:
        return self.schema.manifest_line(self.version.version)


def match_header(root: Path | None, header: Iterable[str], *, limit: int = 3,
                 min_matched: int = 2) -> list[SchemaMatch]:
    """National Table Schemas whose field names the header uses, best first (one entry per
    schema, its best-matching version, the latest on ties).  Names are compared without
    case or accents, as a steward's export often changes both."""
    columns = [c for c in header if c]
    folded = {_fold(c).strip(): c for c in columns}
    best: dict[str, SchemaMatch] = {}
    for schema in national_catalogue(root).table_schemas():
        for ver in schema.versions:
            if ver.file is None:
                continue
            try:
                descriptor = _read_schema_file(ver.file, ver.file.stat().st_mtime_ns)
            except (SchemaRefError, OSError):
                continue
            fields = [f for f in descriptor["fields"] if isinstance(f, dict) and f.get("name")]
            names = {_fold(str(f["name"])).strip(): f for f in fields}
            matched = tuple(folded[k] for k in folded if k in names)
            if len(matched) < min_matched:
                continue
            missing = tuple(str(f["name"]) for k, f in names.items() if k not in folded
                            and (f.get("constraints") or {}).get("required"))
            extra = tuple(folded[k] for k in folded if k not in names)
            found = SchemaMatch(schema, ver, matched, missing, extra, len(names))
            held = best.get(schema.name)
            if held is None or found.score >= held.score:  # versions oldest first
                best[schema.name] = found
    ranked = sorted(best.values(), key=lambda m: (-m.score, -len(m.matched), m.schema.name))
    return ranked[:limit]
