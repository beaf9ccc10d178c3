"""The catalog: configuration, licences and dataset manifests, loaded once.

Loading never stops at the first broken manifest: a steward with ten datasets wants to
see every problem in one run.  Manifests that cannot be parsed become :class:`Issue`s on
the catalog; the others become :class:`Dataset` objects whose fields are read leniently
(validation reports what is wrong with them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from opendata.catalog.config import CatalogConfig, LicenceRegistry, load_config, load_licences
from opendata.catalog.issues import Issue
from opendata.catalog.vocab import FORMATS, TABULAR_FORMATS
from opendata.catalog.yamlio import Located, load_yaml
from opendata.errors import ManifestError, UsageError

MANIFEST = "dataset.yaml"
DATASETS_DIR = "datasets"


@dataclass
class Resource:
    """One file of a dataset, local (``path``) or remote (``url``)."""

    dataset_dir: Path
    index: int
    raw: dict[str, Any]

    @property
    def name(self) -> str:
        return str(self.raw.get("name", f"resource-{self.index}"))

    @property
    def title(self) -> str:
        return str(self.raw.get("title") or self.name)

    @property
    def description(self) -> str:
        return str(self.raw.get("description", ""))

    @property
    def path(self) -> str | None:
        return self.raw.get("path")

    @property
    def url(self) -> str | None:
        return self.raw.get("url")

    @property
    def format(self) -> str:
        return str(self.raw.get("format", "")).lower()

    @property
    def mediatype(self) -> str | None:
        return self.raw.get("mediatype") or FORMATS.get(self.format, (None, None))[1]

    @property
    def type(self) -> str:
        return str(self.raw.get("type", "main"))

    @property
    def schema(self) -> Any:
        return self.raw.get("schema")

    @property
    def dialect(self) -> dict[str, Any]:
        return dict(self.raw.get("dialect") or {})

    @property
    def is_tabular(self) -> bool:
        return self.format in TABULAR_FORMATS

    @property
    def file(self) -> Path | None:
        """Absolute path of a local resource, or None when remote or unsafe.

        A path that is absolute or climbs out of the dataset folder (``..``) is refused
        here, so no later step can read outside the catalog by accident.
        """
        if not isinstance(self.path, str) or not path_is_safe(self.path):
            return None
        return self.dataset_dir / self.path


def path_is_safe(path: str) -> bool:
    """True for a relative POSIX path that stays inside its folder."""
    p = PurePosixPath(path.replace("\\", "/"))
    return bool(path) and not p.is_absolute() and ".." not in p.parts and ":" not in path


class ManifestFields:
    """Accessors shared by dataset and collection manifests, read leniently (validation
    reports what is wrong with the fields; everything else must not crash on them)."""

    doc: Located

    @property
    def default_name(self) -> str:
        """The name to use when the manifest has none (or not a string)."""
        return self.doc.file.stem

    @property
    def raw(self) -> dict[str, Any]:
        return self.doc.data if isinstance(self.doc.data, dict) else {}

    @property
    def name(self) -> str:
        name = self.raw.get("name")
        return name if isinstance(name, str) else self.default_name

    def get(self, key: str, default: Any = None) -> Any:
        return self.raw.get(key, default)

    @property
    def title(self) -> str:
        return str(self.raw.get("title", self.name))

    @property
    def description(self) -> str:
        return str(self.raw.get("description", ""))

    @property
    def version(self) -> str:
        return str(self.raw.get("version", "1.0.0"))

    @property
    def keywords(self) -> list[str]:
        return [str(k) for k in self.raw.get("keywords") or []]


@dataclass
class Dataset(ManifestFields):
    """A dataset manifest as loaded, with the position of each of its fields."""

    dir: Path
    doc: Located
    resources: list[Resource] = field(default_factory=list)

    @property
    def manifest(self) -> Path:
        return self.doc.file

    @property
    def default_name(self) -> str:
        return self.dir.name

    @property
    def themes(self) -> list[str]:
        return [str(t) for t in self.raw.get("themes") or []]

    @property
    def organization(self) -> str | None:
        return self.raw.get("organization")

    @property
    def licence(self) -> str | None:
        return self.raw.get("licence")

    def where(self, *path: str | int) -> tuple[int, int]:
        return self.doc.where(path)


@dataclass
class Catalog:
    """Everything opendata reads from a catalog repository."""

    root: Path
    config: CatalogConfig
    licences: LicenceRegistry
    datasets: list[Dataset]
    load_issues: list[Issue] = field(default_factory=list)
    _by_name: dict[str, Dataset] = field(default_factory=dict, init=False, repr=False,
                                         compare=False)

    def dataset(self, name: str) -> Dataset:
        """The dataset named ``name`` (the first, if a name is duplicated).  Callers look
        datasets up inside loops, so this is a dict lookup, indexed once: the dataset list
        is fixed when the catalog is loaded."""
        if not self._by_name:
            for ds in self.datasets:
                self._by_name.setdefault(ds.name, ds)
        if name in self._by_name:
            return self._by_name[name]
        import difflib

        close = difflib.get_close_matches(name, [d.name for d in self.datasets], n=3)
        hint = f"Did you mean {', '.join(close)}?" if close else "`opendata validate` lists them."
        raise UsageError(f"no dataset named {name!r} in {self.root / DATASETS_DIR}", hint)

    def rel(self, path: Path) -> str:
        """``path`` relative to the catalog root, for messages and reports.

        Paths built from ``root`` (all of ours) need no ``resolve()``, which costs system
        calls on every resource of every dataset."""
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            pass
        try:
            return path.resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return str(path)

    def select(self, names: list[str] | None) -> list[Dataset]:
        """The datasets named (all when ``names`` is empty); unknown names raise."""
        if not names:
            return list(self.datasets)
        return [self.dataset(n) for n in names]


def manifest_files(root: Path) -> list[Path]:
    """Every ``datasets/<name>/dataset.yaml``, sorted for stable output."""
    return sorted((root / DATASETS_DIR).glob(f"*/{MANIFEST}"))


def load_dataset(file: Path) -> Dataset:
    """Load one manifest; raises :class:`ManifestError` if it is not a YAML mapping."""
    doc = load_yaml(file)
    if not isinstance(doc.data, dict):
        kind = "empty" if doc.data is None else type(doc.data).__name__
        raise ManifestError(
            f"a manifest must be a mapping of fields, this one is {kind}",
            "Start the file with `name: <dataset-name>` and the other fields (see "
            "`opendata new`).", path=str(file), line=1, column=1)
    ds = Dataset(dir=file.parent, doc=doc)
    raw_resources = doc.data.get("resources")
    if isinstance(raw_resources, list):
        ds.resources = [Resource(file.parent, i, r) for i, r in enumerate(raw_resources)
                        if isinstance(r, dict)]
    return ds


def load_catalog(root: Path | str) -> Catalog:
    """Load configuration, licences and every manifest of the catalog at ``root``.

    Configuration problems raise :class:`~opendata.errors.ConfigError`; manifest problems
    are collected in ``Catalog.load_issues`` so that one broken file hides nothing else.
    """
    root = Path(root).resolve()
    config = load_config(root)
    licences = load_licences(root)
    datasets: list[Dataset] = []
    issues: list[Issue] = []
    for file in manifest_files(root):
        try:
            datasets.append(load_dataset(file))
        except ManifestError as exc:
            rel = file.relative_to(root).as_posix()
            issues.append(Issue(dataset=file.parent.name, file=rel, line=exc.line,
                                column=exc.column, code="manifest-unreadable",
                                message=exc.detail, hint=exc.hint))
    return Catalog(root=root, config=config, licences=licences, datasets=datasets,
                   load_issues=issues)
