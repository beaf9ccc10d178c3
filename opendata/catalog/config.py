"""The catalog configuration (``opendata.yaml``) and the licence registry (``licences/``).

Both are shared inputs: a change to either can change every dataset's metadata, which is
why ``--changed-since`` selects the whole catalog when they change.
"""

from __future__ import annotations

import difflib
import json
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
    """The licences of ``licences/*.yaml``, looked up by key or by any alias."""

    def __init__(self, licences: dict[str, Licence]):
        self._by_key = dict(sorted(licences.items()))

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
                      "Run opendata from a catalog repository, or pass --root.")


def load_config(root: Path) -> CatalogConfig:
    """Read and check ``opendata.yaml``; any problem is a :class:`ConfigError` (exit 3)."""
    file = root / CONFIG_FILE
    if not file.is_file():
        raise ConfigError(f"{file}: catalog configuration not found",
                          "Create opendata.yaml at the catalog root (see README).")
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


def load_licences(root: Path) -> LicenceRegistry:
    """Read ``licences/*.yaml``; a malformed entry is a :class:`ConfigError`."""
    folder = root / "licences"
    if not folder.is_dir():
        raise ConfigError(f"{folder}: licence registry not found",
                          "Create licences/<key>.yaml files (see README).")
    licences: dict[str, Licence] = {}
    for file in sorted(folder.glob("*.yaml")):
        doc = load_yaml(file, config=True)
        data = doc.data
        if not isinstance(data, dict):
            raise ConfigError(f"{file}: a licence must be a mapping")
        unknown = set(data) - _LICENCE_FIELDS
        missing = _LICENCE_REQUIRED - set(data)
        if unknown or missing:
            problem = (f"unknown field(s) {sorted(unknown)}" if unknown
                       else f"missing field(s) {sorted(missing)}")
            raise ConfigError(f"{file}: {problem}",
                              f"A licence has the fields {sorted(_LICENCE_FIELDS)}.")
        licences[file.stem] = Licence(key=file.stem, **data)
    if not licences:
        raise ConfigError(f"{folder}: no licence defined")
    return LicenceRegistry(licences)
