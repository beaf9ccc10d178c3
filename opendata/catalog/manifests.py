"""The catalog: configuration, licences and dataset manifests, loaded once.

Loading never stops at the first broken manifest: a steward with ten datasets wants to
see every problem in one run.  Manifests that cannot be parsed become :class:`Issue`s on
the catalog; the others become :class:`Dataset` objects whose fields are read leniently
(validation reports what is wrong with them).
"""

from __future__ import annotations

import stat as stat_mod
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, NamedTuple

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

        A path that is absolute, climbs out of the dataset folder (``..``) or leads out of
        it through a symbolic link is refused here, so no later step (packages, zips,
        uploads) can read outside the catalog by accident.
        """
        if not isinstance(self.path, str):
            return None
        file, problem = locate(self.dataset_dir, self.path)
        return None if problem is not None and problem.code == "unsafe-path" else file


def path_is_safe(path: str) -> bool:
    """True for a relative POSIX path that stays inside its folder (by its text alone;
    :func:`inside` also follows symbolic links)."""
    if not isinstance(path, str) or not path or "\x00" in path:
        return False
    p = PurePosixPath(path.replace("\\", "/"))
    return not p.is_absolute() and ".." not in p.parts and ":" not in path


class PathProblem(NamedTuple):
    """Why a path cannot be used: a stable code, a message and what to do."""

    code: str
    message: str
    hint: str


def inside(folder: Path, file: Path) -> bool:
    """True when ``file``, with every symbolic link followed, is inside ``folder`` (also
    resolved).  A link to ``/etc/passwd`` or to another dataset's folder is outside."""
    try:
        return file.resolve().is_relative_to(folder.resolve())
    except (OSError, RuntimeError, ValueError):  # a link loop
        return False


def locate(folder: Path, path: str) -> tuple[Path | None, PathProblem | None]:
    """Resolve ``path`` (relative, from a manifest) in ``folder``; return the file, or the
    problem: ``unsafe-path`` (absolute, ``..``, a link leading outside), ``missing-file``,
    ``not-a-file`` (a folder, FIFO, device).  The file returned is the path inside the
    folder (links within the folder are followed when read)."""
    shown = path if isinstance(path, str) else repr(path)
    if not path_is_safe(path):
        return None, PathProblem("unsafe-path", f"path {shown!r} leaves its folder",
                                 "Paths are relative to the dataset folder: no absolute "
                                 "paths, no '..'.")
    file = folder / path
    if not inside(folder, file):
        return None, PathProblem(
            "unsafe-path", f"path {shown!r} is a symbolic link leading outside its "
            "folder", "Copy the file into the dataset folder instead of linking to it: "
            "opendata never reads files from outside the catalog.")
    try:
        st = file.stat()
    except FileNotFoundError:
        return file, PathProblem("missing-file", f"file {shown!r} not found", "")
    except OSError as exc:
        return file, PathProblem("unreadable-file", f"file {shown!r} cannot be read "
                                 f"({exc.strerror})", "Check the file's permissions.")
    if stat_mod.S_ISDIR(st.st_mode):
        return file, PathProblem("not-a-file", f"{shown!r} is a folder, not a file",
                                 "Point `path:` at a file inside that folder.")
    if not stat_mod.S_ISREG(st.st_mode):
        return file, PathProblem("not-a-file", f"{shown!r} is not a regular file (a FIFO, "
                                 "socket or device)", "Replace it by an ordinary file.")
    try:
        with file.open("rb"):  # permissions, and what os.access cannot tell (ACLs, root)
            pass
    except OSError as exc:
        return file, PathProblem("unreadable-file", f"file {shown!r} cannot be read "
                                 f"({exc.strerror})", "Check the file's permissions.")
    return file, None


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
            if not inside(root, file):
                raise ManifestError("the dataset folder or its manifest is a symbolic link "
                                    "leading outside the catalog", "Copy the dataset into "
                                    "datasets/ instead of linking to it.", path=str(file))
            datasets.append(load_dataset(file))
        except ManifestError as exc:
            rel = file.relative_to(root).as_posix()
            issues.append(Issue(dataset=file.parent.name, file=rel, line=exc.line,
                                column=exc.column, code="manifest-unreadable",
                                message=exc.detail, hint=exc.hint))
    return Catalog(root=root, config=config, licences=licences, datasets=datasets,
                   load_issues=issues)


# ------------------------------------------------------------- dates and COG codes ----

#: region codes of the COG before the 2016 merger of regions (metropolitan France) that no
#: longer exist since; and the codes created by the merger
REGIONS_BEFORE_2016 = frozenset({"21", "22", "23", "25", "26", "31", "41", "42", "43", "54",
                                 "72", "73", "74", "82", "83", "91"})
REGIONS_SINCE_2016 = frozenset({"27", "28", "32", "44", "75", "76", "84"})
#: first vintage with the current regions
REGIONS_REFORM = 2016


@dataclass(frozen=True)
class FieldProblem:
    """A manifest value that is well-formed but wrong: where, a stable code, why, the fix."""

    path: tuple[str, ...]
    code: str
    message: str
    hint: str


def date_and_code_problems(ds: Dataset) -> list[FieldProblem]:
    """INSEE region codes that contradict their COG vintage (``spatial.cog``).

    Why: regions were renumbered in 2016, so a code such as ``82`` (Rhône-Alpes) means
    nothing in today's code set while ``84`` means nothing before: a harvester must be told
    which vintage a code belongs to.  (Temporal dates that do not exist, ``2020-02-31``,
    are refused by the JSON Schema's ``format: date``.)
    """
    problems: list[FieldProblem] = []
    spatial = ds.get("spatial")
    if isinstance(spatial, dict) and spatial.get("level") == "region" and spatial.get("code"):
        code, cog = str(spatial["code"]), spatial.get("cog")
        vintage = cog if isinstance(cog, int) else None
        # the field is optional: only a vintage that contradicts the code is an error
        if code in REGIONS_BEFORE_2016 and vintage is not None and vintage >= REGIONS_REFORM:
            problems.append(FieldProblem(
                ("spatial", "cog"), "cog-vintage",
                f"region code {code!r} exists only in the COG before {REGIONS_REFORM} "
                f"(spatial.cog is {vintage})",
                f"State the vintage the code belongs to (`cog: {REGIONS_REFORM - 1}` or "
                "earlier), or use the code of the current region."))
        elif code in REGIONS_SINCE_2016 and vintage is not None and vintage < REGIONS_REFORM:
            problems.append(FieldProblem(
                ("spatial", "cog"), "cog-vintage",
                f"region code {code!r} exists only since the COG {REGIONS_REFORM} "
                f"(spatial.cog is {vintage})",
                f"Use the code of the region in the COG {vintage}, or `cog: "
                f"{REGIONS_REFORM}` or later."))
    return problems
