"""Which datasets changed since a git revision (``--changed-since REV``).

A pull request touching one CSV should validate and plan that one dataset, not the whole
catalog; a change to something every dataset reads (the catalog configuration, the licence
registry, the JSON and Table Schemas) must check them all.  The rules:

* The files compared are those changed on this branch since it left ``REV``
  (``git diff MERGE_BASE HEAD``, i.e. ``REV...HEAD``), plus what is not committed yet: staged
  and unstaged edits (``git diff HEAD``) and untracked files git does not ignore.  We do
  *not* diff the work tree against ``REV`` itself: when ``REV`` (say ``origin/main``) moved on
  since the branch started, that diff also holds the base branch's own changes, and a
  steward would get datasets selected that they never touched.  In CI the work tree is clean,
  so only the committed part counts; locally uncommitted edits count too, which is what
  people expect before they push.
* A file under ``datasets/<folder>/`` selects the dataset of that folder.  Its Table Schemas
  live either in that folder or under ``validation/`` (``{shared: NAME}`` and
  schema.data.gouv.fr references), and ``validation/`` is a shared input, so no per-schema
  dependency tracking is needed.
* A shared input (``opendata.yaml``, ``licences/``, ``validation/``; and ``harvesters/``
  when publishing, since a target's settings shape every dataset's portal copy) selects
  every dataset.
* A dataset whose manifest was deleted (folder removed or renamed) cannot be validated: it
  is reported.  When publishing it selects everything, because orphans (datasets on the
  portal no longer in git) are only looked for in a complete plan.

Files outside the catalog root (when the catalog is a sub-folder of a bigger repository)
are not considered.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from opendata.catalog.manifests import DATASETS_DIR, MANIFEST, Catalog, load_catalog
from opendata.errors import UsageError
from opendata.validation.report import ValidationReport

if TYPE_CHECKING:
    from opendata.harvesters.base import Plan, PublishReport

#: Inputs every dataset's validation reads: a change selects the whole catalog.
SHARED_INPUTS = ("opendata.yaml", "licences/", "validation/")
#: Inputs every dataset's publication reads, on top of :data:`SHARED_INPUTS`.
PUBLISH_INPUTS = (*SHARED_INPUTS, "harvesters/")

_FETCH_HINT = ("In GitHub Actions, check out the whole history (`fetch-depth: 0` in "
               "actions/checkout: the default fetches one commit); locally, `git fetch` the "
               "branch first. REV is any git revision: origin/main, a tag, a commit.")


@dataclass
class ChangeSet:
    """What changed since ``rev`` and which datasets it selects."""

    rev: str
    #: changed paths, relative to the catalog root (POSIX), sorted
    files: list[str] = field(default_factory=list)
    #: names of existing datasets with a changed file
    datasets: list[str] = field(default_factory=list)
    #: folders of datasets whose manifest was deleted
    deleted: list[str] = field(default_factory=list)
    #: changed shared inputs (each selects everything)
    shared: list[str] = field(default_factory=list)
    #: publishing: a deleted dataset selects everything (orphans need a complete plan)
    publishing: bool = False

    @property
    def everything(self) -> bool:
        return bool(self.shared) or (self.publishing and bool(self.deleted))

    def selection(self) -> list[str] | None:
        """Dataset names to work on; ``None`` means the whole catalog, ``[]`` nothing."""
        return None if self.everything else list(self.datasets)

    def describe(self) -> str:
        """One line for logs: what was selected and why."""
        since = f"since {self.rev}"
        if self.shared:
            shown = ", ".join(self.shared[:3]) + (" ..." if len(self.shared) > 3 else "")
            text = f"all datasets: shared input changed {since} ({shown})"
        elif self.publishing and self.deleted:
            text = (f"all datasets: dataset folder(s) deleted {since} "
                    f"({', '.join(self.deleted)}), so orphans are looked for")
        elif self.datasets:
            text = f"{len(self.datasets)} dataset(s) changed {since}: {', '.join(self.datasets)}"
        else:
            text = f"no dataset changed {since}"
        said = self.publishing and not self.shared  # the deleted folders are named above
        if self.deleted and not said:
            what = "" if self.publishing else ", nothing to check"
            text += f"; dataset folder(s) deleted{what}: {', '.join(self.deleted)}"
        return text

    def to_dict(self) -> dict[str, Any]:
        return {"rev": self.rev, "everything": self.everything, "datasets": self.datasets,
                "deleted": self.deleted, "shared": self.shared, "files": self.files}


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True,
                              check=False)
    except FileNotFoundError as exc:
        raise UsageError("--changed-since needs git, which is not installed",
                         "Install git, or drop --changed-since to work on every dataset.") from exc


def _names(out: str) -> list[str]:
    return [p for p in out.split("\0") if p]


def changed_files(root: Path | str, rev: str) -> list[str]:
    """Paths (relative to ``root``) changed since ``rev``: committed on this branch since
    it left ``rev``, staged, unstaged, and untracked-but-not-ignored.

    Raises :class:`UsageError` (exit 2) for a revision git does not know, a history too
    shallow to find where the branch left ``rev``, or a folder outside any git repository.
    """
    root = Path(root)
    if not rev or rev.startswith("-"):
        raise UsageError(f"--changed-since needs a git revision, not {rev!r}", _FETCH_HINT)
    if _git(root, "rev-parse", "--show-toplevel").returncode != 0:
        raise UsageError(f"{root} is not inside a git repository",
                         "--changed-since compares with a git revision: run it in a clone "
                         "of the catalog, or drop the option to work on every dataset.")
    if _git(root, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}").returncode != 0:
        raise UsageError(f"unknown git revision {rev!r} (not in this clone)", _FETCH_HINT)
    base = _git(root, "merge-base", rev, "HEAD")
    if base.returncode != 0:
        raise UsageError(f"no common history between {rev!r} and HEAD (shallow clone?)",
                         _FETCH_HINT)
    commands = [
        ("diff", "--name-only", "-z", "--no-renames", "--relative", base.stdout.strip(),
         "HEAD", "--"),
        ("diff", "--name-only", "-z", "--no-renames", "--relative", "HEAD", "--"),
        ("ls-files", "-z", "--others", "--exclude-standard"),
    ]
    files: set[str] = set()
    for args in commands:
        out = _git(root, *args)
        if out.returncode != 0:
            raise UsageError(f"git {args[0]} failed: {out.stderr.strip()}", _FETCH_HINT)
        files.update(_names(out.stdout))
    return sorted(files)


def classify(catalog: Catalog, rev: str, files: Iterable[str], *,
             publishing: bool = False) -> ChangeSet:
    """Sort changed ``files`` into datasets, deleted datasets and shared inputs."""
    shared_inputs = PUBLISH_INPUTS if publishing else SHARED_INPUTS
    by_folder = {ds.dir.name: ds.name for ds in catalog.datasets}
    # a manifest that does not parse is known by its folder name (see validate())
    for issue in catalog.load_issues:
        if issue.dataset:
            by_folder.setdefault(issue.dataset, issue.dataset)
    changes = ChangeSet(rev=rev, files=sorted(files), publishing=publishing)
    datasets: set[str] = set()
    deleted: set[str] = set()
    for path in changes.files:
        if any(path == s or (s.endswith("/") and path.startswith(s)) for s in shared_inputs):
            changes.shared.append(path)
            continue
        parts = path.split("/")
        if len(parts) < 3 or parts[0] != DATASETS_DIR:
            continue  # README, SOURCES.md, CI files...: no dataset reads them
        folder = parts[1]
        if folder in by_folder:
            datasets.add(by_folder[folder])
        elif parts[2] == MANIFEST and len(parts) == 3 and \
                not (catalog.root / DATASETS_DIR / folder / MANIFEST).exists():
            deleted.add(folder)
        # else: a folder that never was a dataset (no manifest then or now)
    changes.datasets = sorted(datasets)
    changes.deleted = sorted(deleted)
    return changes


def detect_changes(catalog: Catalog, rev: str, *, publishing: bool = False) -> ChangeSet:
    """The :class:`ChangeSet` of the catalog since ``rev`` (see the module docstring)."""
    return classify(catalog, rev, changed_files(catalog.root, rev), publishing=publishing)


def changed_datasets(catalog: Catalog, rev: str, *, publishing: bool = False) -> list[str] | None:
    """Names of the datasets to work on since ``rev``; ``None`` means all of them."""
    return detect_changes(catalog, rev, publishing=publishing).selection()


def _only_names(names: Iterable[str]) -> None:
    if list(names):
        raise UsageError("give dataset names or --changed-since, not both",
                         "--changed-since selects the datasets itself.")


# The commands' entry points with --changed-since.  An empty selection means "nothing
# changed", which the underlying functions would read as "everything": handled here once.

def validate_changed(root: Path | str, rev: str, *, use_cache: bool = True,
                     progress: Callable[[str], None] | None = None,
                     names: Iterable[str] = ()) -> tuple[ValidationReport, ChangeSet]:
    """Validate the datasets changed since ``rev``."""
    from opendata.validation.validator import validate

    _only_names(names)
    catalog = load_catalog(root)
    changes = detect_changes(catalog, rev)
    selection = changes.selection()
    if selection == []:
        return ValidationReport(), changes
    return validate(catalog=catalog, datasets=selection, use_cache=use_cache,
                    progress=progress), changes


def affected_collections(catalog: Catalog, changes: ChangeSet) -> list[Any]:
    """The collections (``datasets/packs/*.yaml``) whose bundle what changed affects: those
    whose file changed or that select a changed dataset; all of them when a dataset was
    deleted (a keyword selection shrinks) or a shared input changed."""
    from opendata.packages.collections import check_pack, list_packs

    changed = set(changes.datasets)
    out = []
    for pack in list_packs(catalog.root):
        touched = changes.everything or bool(changes.deleted) \
            or catalog.rel(pack.file) in changes.files
        if touched or {ds.name for ds in check_pack(catalog, pack)[0]} & changed:
            out.append(pack)
    return out


def _publish_scope(root: Path | str, target: str, rev: str, names: Iterable[str]
                   ) -> tuple[Catalog, ChangeSet, list[str] | None, Any]:
    """What plan and publish share: the changes since ``rev`` and the selection they make,
    the changed datasets plus the collections holding them (published as datasets too);
    None selects everything.  The target is loaded only when nothing is selected, to name
    it in the empty result."""
    from opendata.harvesters.targets import load_target

    _only_names(names)
    catalog = load_catalog(root)
    changes = detect_changes(catalog, rev, publishing=True)
    selection = changes.selection()
    if selection is not None:
        selection += [pack.name for pack in affected_collections(catalog, changes)]
    empty_target = load_target(catalog.root, target) if selection == [] else None
    return catalog, changes, selection, empty_target


def plan_changed(root: Path | str, target: str, rev: str, *,
                 names: Iterable[str] = ()) -> tuple[Plan, ChangeSet]:
    """The plan for the datasets changed since ``rev`` (all of them after a shared input
    changed or a dataset was deleted, so that orphans are found)."""
    from opendata.harvesters.base import Plan, plan

    catalog, changes, selection, tgt = _publish_scope(root, target, rev, names)
    if tgt is not None:
        return Plan(target=tgt.name, kind=tgt.kind, url=tgt.url, items=[],
                    complete=False), changes
    return plan(catalog.root, target, selection, catalog=catalog), changes


def publish_changed(root: Path | str, target: str, rev: str, *, names: Iterable[str] = (),
                    **options: Any) -> tuple[PublishReport, ChangeSet]:
    """Publish the datasets changed since ``rev``; ``options`` go to ``publish()``."""
    from opendata.harvesters.base import PublishReport, publish

    catalog, changes, selection, tgt = _publish_scope(root, target, rev, names)
    if tgt is not None:
        return PublishReport(target=tgt.name, kind=tgt.kind, url=tgt.url, results=[],
                             requests={}, seconds=0.0,
                             dry_run=bool(options.get("dry_run"))), changes
    return publish(catalog.root, target, selection, catalog=catalog, **options), changes


def pack_changed(root: Path | str, rev: str, *, dist: Path | str | None = None,
                 use_cache: bool = True) -> tuple[list[Any], ChangeSet]:
    """Build the zips that what changed since ``rev`` affects: one per changed dataset, and
    every collection whose manifest changed or that selects a changed dataset (all of them
    when a dataset was deleted, since keyword selections shrink); everything after a
    shared input changed.  Returns ``build_packs()``'s results (``[]``: nothing changed)."""
    from opendata.packages.packs import build_packs

    catalog = load_catalog(root)
    changes = detect_changes(catalog, rev)
    out = dist or catalog.root / "dist"
    if changes.shared:
        return build_packs(catalog, [], [], all_=True, dist=out, use_cache=use_cache), changes
    collections = [pack.file.stem for pack in affected_collections(catalog, changes)]
    datasets = list(changes.datasets)
    if not (datasets or collections):
        return [], changes
    return build_packs(catalog, datasets, collections, dist=out, use_cache=use_cache), changes


__all__ = ["PUBLISH_INPUTS", "SHARED_INPUTS", "ChangeSet", "affected_collections",
           "changed_datasets", "changed_files", "classify", "detect_changes", "pack_changed",
           "plan_changed", "publish_changed", "validate_changed"]
