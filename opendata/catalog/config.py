"""The catalog configuration (``opendata.yaml``) and the licence registry (built in, plus
the catalog's ``licences/``).

Both are shared inputs: a change to either can change every dataset's metadata, which is
why ``--changed-since`` selects the whole catalog when they change.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path
from typing import Any

import jsonschema

from opendata.catalog.yamlio import load_yaml
from opendata.errors import ConfigError, UsageError

CONFIG_FILE = "opendata.yaml"


@dataclass(frozen=True)
class Organization:
    """A publishing body; datasets name it by ``key``."""

    key: str
    title: str
    description: str = ""
    siret: str | None = None
    uri: str | None = None
    email: str | None = None
    homepage: str | None = None
    portals: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CatalogConfig:
    """What ``opendata.yaml`` says about the catalog as a whole."""

    root: Path
    title: str
    base_uri: str
    publisher: dict[str, str]
    organizations: dict[str, Organization]
    description: str = ""
    homepage: str | None = None
    language: str = "fr"
    repository: dict[str, str] = field(default_factory=dict)

    def dataset_uri(self, name: str) -> str:
        """Stable URI of a dataset: never changes while its name does not."""
        return f"{self.base_uri}dataset/{name}"


@dataclass(frozen=True)
class Licence:
    """One licence and every identifier the vocabularies we publish to use for it."""

    key: str
    title: str
    url: str
    spdx: str
    ckan_id: str
    datagouv_id: str
    open: bool
    short_title: str = ""
    text_url: str | None = None
    eu_uri: str | None = None
    attribution: bool = True
    share_alike: bool = False
    summary: str = ""

    def aliases(self) -> set[str]:
        """Every string that names this licence (ids, URLs, titles), lower-cased."""
        names = {self.key, self.title, self.short_title, self.url, self.spdx, self.ckan_id,
                 self.datagouv_id, self.eu_uri or "", self.text_url or ""}
        return {n.lower().rstrip("/") for n in names if n}


class LicenceRegistry:
    """The built-in licences plus the catalog's ``licences/*.yaml``, looked up by key or
    by any alias."""

    def __init__(self, licences: dict[str, Licence], origins: dict[str, str] | None = None):
        self._by_key = dict(sorted(licences.items()))
        self._origins = dict(origins or {})

    def origin(self, key: str) -> str:
        """Where the licence ``key`` comes from: built in, a catalog file, or both."""
        return self._origins.get(key, "")

    def __iter__(self):
        return iter(self._by_key.values())

    def __len__(self) -> int:
        return len(self._by_key)

    def __contains__(self, key: object) -> bool:
        return key in self._by_key

    def keys(self) -> list[str]:
        return list(self._by_key)

    def get(self, key: str) -> Licence:
        """The licence ``key``; an unknown key raises with the closest known ones."""
        try:
            return self._by_key[key]
        except KeyError:
            raise UsageError(f"unknown licence {key!r}", self.suggest(key)) from None

    def suggest(self, key: str) -> str:
        close = difflib.get_close_matches(key, self._by_key, n=3, cutoff=0.4)
        if not close:
            found = self.find(key)
            close = [found.key] if found else []
        known = ", ".join(self._by_key)
        if close:
            return f"Did you mean {' or '.join(repr(c) for c in close)}? Known licences: {known}."
        return f"Known licences: {known} (see `opendata licences`)."

    def find(self, name: str) -> Licence | None:
        """The licence any vocabulary calls ``name`` (id, URL, SPDX id, title), if any."""
        wanted = name.lower().rstrip("/")
        for lic in self._by_key.values():
            if wanted in lic.aliases():
                return lic
        return None


def packaged_validation() -> Path:
    """The ``validation/`` folder opendata ships: ``opendata/_validation`` in an installed
    wheel (see pyproject's package-dir), the repository's ``validation/`` in a checkout."""
    package = Path(__file__).resolve().parents[1]  # opendata/, this file is in catalog/
    installed = package / "_validation"
    return installed if installed.is_dir() else package.parent / "validation"


def validation_path(root: Path, name: str) -> Path:
    """``validation/<name>`` of the catalog when it has its own copy (a steward may pin or
    extend the schemas), else the copy shipped with opendata: any catalog checks offline."""
    local = root / "validation" / name
    return local if local.exists() else packaged_validation() / name


def load_json_schema(root: Path, name: str) -> dict[str, Any]:
    path = validation_path(root, name)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path}: cannot read JSON Schema ({exc})") from None


def find_root(start: Path | None = None) -> Path:
    """The catalog root: the nearest folder, upwards, holding ``opendata.yaml``."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG_FILE).is_file():
            return folder
    raise ConfigError(f"no {CONFIG_FILE} found in {here} or any parent folder",
                      "Run opendata from a catalog repository, or pass --root; "
                      "`opendata init FOLDER` starts a new catalog.")


def load_config(root: Path) -> CatalogConfig:
    """Read and check ``opendata.yaml``; any problem is a :class:`ConfigError` (exit 3)."""
    file = root / CONFIG_FILE
    if not file.is_file():
        raise ConfigError(f"{file}: catalog configuration not found",
                          "`opendata init` writes one (README: \"Start your own catalog\").")
    doc = load_yaml(file, config=True)
    if not isinstance(doc.data, dict):
        raise ConfigError(f"{file}: must be a mapping of settings")
    validator = jsonschema.Draft202012Validator(load_json_schema(root, "catalog.schema.json"))
    for err in sorted(validator.iter_errors(doc.data), key=lambda e: list(e.absolute_path)):
        line, col = doc.where(tuple(err.absolute_path))
        field_path = ".".join(str(p) for p in err.absolute_path) or "(top level)"
        raise ConfigError(f"{file}:{line}:{col}: {field_path}: {err.message}",
                          "See validation/catalog.schema.json for the allowed settings.")
    data = doc.data
    orgs = {
        key: Organization(key=key, title=o["title"], description=o.get("description", ""),
                          siret=o.get("siret"), uri=o.get("uri"), email=o.get("email"),
                          homepage=o.get("homepage"), portals=dict(o.get("portals", {})))
        for key, o in data["organizations"].items()
    }
    return CatalogConfig(
        root=root, title=data["title"], base_uri=data["base_uri"],
        publisher=dict(data["publisher"]), organizations=orgs,
        description=data.get("description", ""), homepage=data.get("homepage"),
        language=data.get("language", "fr"), repository=dict(data.get("repository", {})),
    )


# derived from the dataclass, so a new registry field is added in one place
_LICENCE_FIELDS = {f.name for f in fields(Licence)} - {"key"}
_LICENCE_REQUIRED = {f.name for f in fields(Licence) if f.default is MISSING
                     and f.default_factory is MISSING} - {"key"}
LICENCE_KEY = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
BUILTIN_LICENCES = Path(__file__).resolve().parent / "licences"
LICENCES_DIR = "licences"


def _licence_fields(file: Path, validator: jsonschema.Validator) -> dict[str, Any]:
    """The fields of one licence file, checked against ``licence.schema.json``."""
    doc = load_yaml(file, config=True)
    if not isinstance(doc.data, dict):
        raise ConfigError(f"{file}: a licence must be a mapping of fields",
                          "See `opendata licences show etalab-2.0` for an example.")
    for err in sorted(validator.iter_errors(doc.data), key=lambda e: list(e.absolute_path)):
        where = tuple(err.absolute_path)
        if err.validator == "additionalProperties":
            extra = sorted(set(doc.data) - _LICENCE_FIELDS)
            where = (extra[0],) if extra else where
            close = difflib.get_close_matches(extra[0], _LICENCE_FIELDS, n=1) if extra else []
            message = f"unknown field {extra[0]!r}" if extra else err.message
            hint = (f"Did you mean {close[0]!r}? " if close else "") + \
                f"A licence has the fields {', '.join(sorted(_LICENCE_FIELDS))}."
        else:
            message = f"{'.'.join(map(str, where)) or '(top level)'}: {err.message}"
            hint = str(err.schema.get("description", "")) or None
        line, col = doc.where(where)
        raise ConfigError(f"{file}:{line}:{col}: {message}",
                          (hint or "") + " (schema: validation/licence.schema.json)")
    return dict(doc.data)


def load_licences(root: Path) -> LicenceRegistry:
    """The built-in licences, merged with the catalog's ``licences/*.yaml``.

    opendata ships the licences French open data uses (so a new catalog needs no copy of
    them); a catalog file whose key is a built-in one overrides only the fields it sets
    (say, a translated ``summary``), any other key adds a licence and must be complete.
    Any malformed entry is a :class:`ConfigError` naming file, line and field.
    """
    validator = jsonschema.Draft202012Validator(load_json_schema(root, "licence.schema.json"))
    merged: dict[str, dict[str, Any]] = {}
    origins: dict[str, str] = {}
    for file in sorted(BUILTIN_LICENCES.glob("*.yaml")):
        merged[file.stem] = _licence_fields(file, validator)
        origins[file.stem] = "built in"
    folder = root / LICENCES_DIR
    if folder.is_dir():
        for file in sorted(folder.iterdir()):
            if file.suffix == ".yml":
                raise ConfigError(f"{file}: licence files end in .yaml",
                                  f"Rename it to {file.stem}.yaml.")
            if file.suffix != ".yaml":
                continue
            if not LICENCE_KEY.match(file.stem):
                raise ConfigError(f"{file}: {file.stem!r} is not a licence key",
                                  "Name the file <key>.yaml with a-z, 0-9, '.', '-', '_' "
                                  "(the key manifests write in `licence:`).")
            data = _licence_fields(file, validator)
            rel = f"{LICENCES_DIR}/{file.name}"
            if file.stem in merged:
                merged[file.stem] = {**merged[file.stem], **data}
                origins[file.stem] = f"built in, overridden by {rel}"
                continue
            missing = sorted(_LICENCE_REQUIRED - set(data))
            if missing:
                builtin = ", ".join(sorted(merged))
                raise ConfigError(
                    f"{file}: new licence {file.stem!r} lacks field(s) {', '.join(missing)}",
                    f"A licence that is not built in ({builtin}) must set "
                    f"{', '.join(sorted(_LICENCE_REQUIRED))}; to change a built-in one, "
                    "name the file after its key.")
            merged[file.stem] = data
            origins[file.stem] = rel
    return LicenceRegistry({k: Licence(key=k, **v) for k, v in merged.items()}, origins)
