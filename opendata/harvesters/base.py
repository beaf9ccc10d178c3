"""Portal-neutral publishing: desired state, plan, publish.

How change detection works, for every portal:

* An adapter turns a manifest into a :class:`Desired` state: the portal fields opendata
  manages plus one entry per resource (with the file's sha256).  Its fingerprint is the
  sha256 of that state's canonical JSON.
* At publish time the adapter stores on the portal, next to the data, the ownership marker,
  the fingerprint and the state itself (extras).  State lives on the portal, not in a local
  file, so a fresh clone publishes correctly.
* At plan time the adapter lists opendata's datasets in bulk and *projects* each portal copy
  back into the same shape (:attr:`Remote.current`).  Then:

  - desired fingerprint == stored fingerprint and portal copy == stored state -> unchanged
    (no write at all);
  - portal copy != stored state -> drifted: somebody edited it on the portal; the diff says
    what they changed; publishing refuses to overwrite unless ``force``;
  - otherwise -> update, with the field-level diff portal copy -> desired.

Comparing content rather than timestamps is deliberate: the write that would record a
portal's ``metadata_modified`` changes it again, and client and server clocks differ.
"""

from __future__ import annotations

import hashlib
import json
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from opendata.catalog.manifests import Catalog, Dataset, Resource, load_catalog
from opendata.checksums import source_sha256
from opendata.errors import ConfigError, OpendataError, PortalError
from opendata.harvesters.http import DryRunSkip, HttpClient
from opendata.harvesters.targets import Target, load_target
from opendata.packages.collections import list_packs
from opendata.packages.packs import build_pack, pack_identifier
from opendata.validation.normalise import published_file, published_format
from opendata.validation.report import ValidationReport
from opendata.validation.validator import validate

ACTIONS = ("create", "adopt", "update", "unchanged", "drifted", "orphan", "invalid")
FINGERPRINT_KEY = "opendata_fingerprint"
STATE_KEY = "opendata_state"
IDENTIFIER_KEY = "opendata_identifier"


def canonical(data: Any) -> str:
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def fingerprint(state: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(state).encode()).hexdigest()


@dataclass
class DesiredResource:
    """One resource as opendata wants it on the portal."""

    name: str
    title: str
    description: str
    format: str
    mediatype: str | None
    type: str = "main"
    file: Path | None = None  # local file to upload (upload policy)
    url: str | None = None  # public URL (link policy, or a remote resource)
    sha256: str | None = None
    size: int | None = None
    schema: dict[str, str] | None = None  # e.g. {"name":..., "version":...} or {"url":...}
    extra: dict[str, Any] = field(default_factory=dict)  # adapter-specific managed fields

    @property
    def upload(self) -> bool:
        return self.file is not None

    def managed(self) -> dict[str, Any]:
        """The fields compared for change detection (never the portal-assigned URL of an
        uploaded file: the sha256 stands for its content)."""
        out: dict[str, Any] = {"name": self.name, "title": self.title,
                               "description": self.description, "format": self.format,
                               "sha256": self.sha256, "size": self.size}
        if not self.upload:
            out["url"] = self.url
        out.update(self.extra)
        return out


@dataclass
class Desired:
    """A dataset as opendata wants it on one portal."""

    dataset: str
    identifier: str
    portal_name: str
    organization: str | None
    fields: dict[str, Any]
    resources: list[DesiredResource]
    #: what the adapter had to leave out or change (e.g. a keyword the portal refuses);
    #: shown in the plan, never part of the state
    notes: list[str] = field(default_factory=list)

    def state(self) -> dict[str, Any]:
        """Canonical state: resources sorted by name (order is not something we manage)."""
        resources = sorted((r.managed() for r in self.resources), key=lambda r: r["name"])
        return {"fields": self.fields, "resources": resources}

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.state())


@dataclass
class RemoteResource:
    id: str
    name: str
    sha256: str | None = None
    url: str | None = None


@dataclass
class Remote:
    """A dataset opendata owns on a portal, as read back in bulk."""

    id: str
    name: str
    url: str
    identifier: str | None
    current: dict[str, Any]  # portal copy projected into Desired.state() shape
    stored_state: dict[str, Any] | None
    stored_fingerprint: str | None
    modified: str | None = None
    resources: list[RemoteResource] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)

    def resource(self, name: str) -> RemoteResource | None:
        return next((r for r in self.resources if r.name == name), None)


@dataclass
class Change:
    field: str
    old: Any
    new: Any

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.field, "old": self.old, "new": self.new}

    def __str__(self) -> str:
        def short(v: Any) -> str:
            text = v if isinstance(v, str) else canonical(v)
            return repr(text[:57] + "...") if len(text) > 60 else repr(text)

        return f"{self.field}: {short(self.old)} -> {short(self.new)}"


def _flatten(state: dict[str, Any] | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if not state:
        return out
    for key, value in (state.get("fields") or {}).items():
        out[key] = value
    for res in state.get("resources") or []:
        for key, value in res.items():
            if key != "name":
                out[f"resources[{res.get('name')}].{key}"] = value
        out[f"resources[{res.get('name')}]"] = "present"
    return out


def diff_states(old: dict[str, Any] | None, new: dict[str, Any] | None) -> list[Change]:
    """Field-level differences between two states, resources keyed by name."""
    a, b = _flatten(old), _flatten(new)
    changes = []
    for key in sorted(set(a) | set(b)):
        if a.get(key) != b.get(key):
            changes.append(Change(key, a.get(key), b.get(key)))
    return changes


@dataclass
class PlanItem:
    dataset: str
    action: str
    identifier: str | None = None
    portal_id: str | None = None
    url: str | None = None
    changes: list[Change] = field(default_factory=list)
    uploads: list[str] = field(default_factory=list)
    message: str | None = None
    desired: Desired | None = None
    remote: Remote | None = None
    notes: list[str] = field(default_factory=list)
    #: with ``adopt``: manifest resource name -> id of the remote resource it takes over
    adopt_resources: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"dataset": self.dataset, "action": self.action,
                               "identifier": self.identifier, "portal_id": self.portal_id,
                               "url": self.url, "changes": [c.to_dict() for c in self.changes],
                               "uploads": self.uploads}
        if self.message:
            out["message"] = self.message
        if self.notes:
            out["notes"] = self.notes
        return out


@dataclass
class Plan:
    target: str
    kind: str
    url: str
    items: list[PlanItem]
    #: orphans are only looked for when the whole catalog was considered
    complete: bool = True
    requests: dict[str, Any] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(ACTIONS, 0)
        for item in self.items:
            out[item.action] = out.get(item.action, 0) + 1
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"target": self.target, "kind": self.kind, "url": self.url,
                "complete": self.complete, "counts": self.counts(),
                "requests": self.requests, "items": [i.to_dict() for i in self.items]}


class Portal(ABC):
    """What a portal kind must provide.  One subclass per kind, in its own module."""

    kind: str = ""

    def __init__(self, target: Target, catalog: Catalog, *, dry_run: bool = False,
                 http: HttpClient | None = None):
        self.target = target
        self.catalog = catalog
        self.dry_run = dry_run
        self.http = http or self.make_http(dry_run)

    @abstractmethod
    def make_http(self, dry_run: bool) -> HttpClient:
        """The HTTP client, with this portal's auth header and the token from the env."""

    @property
    def catalog_id(self) -> str:
        """Value of the ownership marker: which catalog a portal dataset belongs to."""
        return self.target.catalog_id or self.catalog.config.base_uri

    @abstractmethod
    def list_owned(self) -> dict[str, Remote]:
        """Every dataset on the portal carrying our marker, by identifier, read in bulk."""

    @abstractmethod
    def desired(self, ds: Dataset) -> Desired:
        """The portal state a manifest asks for."""

    @abstractmethod
    def create(self, desired: Desired) -> Remote:
        """Create the dataset and its resources; store marker, fingerprint and state."""

    @abstractmethod
    def update(self, desired: Desired, remote: Remote) -> Remote:
        """Bring ``remote`` to ``desired``; upload only files whose sha256 changed."""

    @abstractmethod
    def delete(self, remote: Remote) -> None:
        """Delete a dataset opendata owns (the caller has checked the marker)."""

    def conflict(self, desired: Desired) -> str | None:
        """A reason the dataset cannot be created (e.g. its name is taken by a dataset
        opendata does not own), or None."""
        return None

    def find_adoptable(self, remote_id: str) -> Remote | None:
        """The portal dataset ``remote_id`` if it exists and no catalog owns it yet (an
        imported dataset published back), else None.  Adapters that support adoption
        override this and :meth:`adopt`."""
        return None

    def adopt(self, desired: Desired, remote: Remote, resources: dict[str, str]) -> Remote:
        """Take ``remote`` over: mark it and the ``resources`` (manifest name -> remote
        resource id) as ours, then bring it to ``desired`` like an update."""
        raise PortalError(f"{self.kind} portals do not support adoption",
                          "Rename the dataset or delete the remote copy.")

    def partial_write(self, desired: Desired, remote: Remote) -> bool:
        """True when ``remote`` differs from its stored state only by a publish of ours
        that was interrupted half-way (see :func:`_own_partial_write`).  Adapters whose
        portal rewrites fields by itself during a write (udata on a file upload) override
        this to recognise those values too."""
        assert remote.stored_state is not None
        return _own_partial_write(remote.stored_state, remote.current, desired.state())

    def origin_matches(self, ds: Dataset) -> str | None:
        """The remote id of ``ds`` when its manifest says it was imported from this very
        portal (same kind and site root), else None."""
        origin = ds.get("origin")
        if not isinstance(origin, dict) or origin.get("kind") != self.kind:
            return None
        same_site = str(origin.get("portal") or "").rstrip("/") == self.target.url.rstrip("/")
        return str(origin["id"]) if same_site and origin.get("id") else None

    # helpers shared by adapters -------------------------------------------------------

    def identifier(self, ds: Dataset) -> str:
        """The dataset's stable identifier (a collection carries its own, see
        :func:`collection_datasets`)."""
        return str(ds.get("identifier") or self.catalog.config.dataset_uri(ds.name))

    def portal_name(self, ds: Dataset) -> str:
        return f"{self.target.name_prefix}{ds.name}"

    def portal_org(self, ds: Dataset) -> str | None:
        key = ds.organization or ""
        org = self.catalog.config.organizations.get(key)
        if key in self.target.organizations:
            return self.target.organizations[key]
        if org and self.target.name in org.portals:
            return org.portals[self.target.name]
        return key or None

    def _published_file(self, res: Resource) -> Path:
        """The file this portal receives: the normalised copy when the manifest asks for
        one (``normalise: true``), else the file in git."""
        return published_file(self.catalog.root, res) or res.file  # type: ignore[return-value]

    def desired_resources(self, ds: Dataset) -> list[DesiredResource]:
        """Resources with checksums; local files uploaded or linked per the target policy."""
        from opendata.catalog.schemas import SchemaRefError, resolve_schema

        out = []
        for res in ds.resources:
            schema = None
            if res.schema is not None:
                try:
                    resolved = resolve_schema(res.schema, ds.dir, self.catalog.root)
                    if resolved.datagouv:
                        schema = dict(resolved.datagouv)
                    elif resolved.url:
                        schema = {"url": resolved.url}
                except SchemaRefError:
                    schema = None
            fmt, mediatype = published_format(res)
            item = DesiredResource(name=res.name, title=res.title,
                                   description=res.description, format=fmt,
                                   mediatype=mediatype, type=res.type, schema=schema)
            if res.file is not None:
                file = self._published_file(res)
                item.sha256 = source_sha256(file)
                item.size = file.stat().st_size
                # collections are built artefacts with no public URL: always uploaded;
                # a normalised copy has none either (it is not in git): uploaded too
                if self.target.resources == "link" and not ds.get("identifier") \
                        and file == res.file:
                    item.url = self.link_url(ds, res.file)
                else:
                    item.file = file
            else:
                item.url = res.url
            out.append(item)
        return out

    def link_url(self, ds: Dataset, file: Path) -> str:
        repo = self.catalog.config.repository
        template = self.target.link_template or repo.get("raw_url") or ""
        return template.format(path=self.catalog.rel(file), ref=repo.get("ref", "main"),
                               dataset=ds.name, file=file.name)


_ADAPTERS = {
    "ckan": ("opendata.harvesters.ckan", "CkanPortal"),
    "datagouv": ("opendata.harvesters.datagouv", "DatagouvPortal"),
}


def make_portal(target: Target, catalog: Catalog, *, dry_run: bool = False) -> Portal:
    import importlib

    module, cls = _ADAPTERS[target.kind]
    return getattr(importlib.import_module(module), cls)(target, catalog, dry_run=dry_run)


def _prepare(root: Path | str, target: str | Target, datasets: Iterable[str] | None,
             catalog: Catalog | None) -> tuple[Catalog, Target, list[str]]:
    catalog = catalog or load_catalog(root)
    tgt = target if isinstance(target, Target) else load_target(catalog.root, target)
    return catalog, tgt, list(datasets or [])


def _refuse_catalog_placeholders(report: ValidationReport) -> None:
    """opendata.yaml's title, publisher and organisations go out with every dataset: a
    placeholder there stops the whole publish, before any request."""
    found = [i for i in report.issues if i.code == "placeholder" and i.dataset is None]
    if found:
        first = found[0]
        raise ConfigError(f"{first.file}:{first.line}:{first.column}: {first.message}"
                          + (f" (and {len(found) - 1} more)" if len(found) > 1 else ""),
                          f"{first.hint} `opendata validate` lists them all; nothing was "
                          "published.")


def plan(root: Path | str = ".", target: str | Target = "", datasets: Iterable[str] | None = None,
         *, catalog: Catalog | None = None, portal: Portal | None = None,
         report: ValidationReport | None = None, dry_run: bool = False) -> Plan:
    """What publishing to ``target`` would do, per dataset.  Reads only, never writes."""
    catalog, tgt, names = _prepare(root, target, datasets, catalog)
    pack_names = {p.name for p in list_packs(catalog.root)}
    dataset_names = [n for n in names if n not in pack_names]
    selected = catalog.select(dataset_names) if dataset_names or not names else []
    report = report or validate(catalog=catalog, datasets=[d.name for d in selected])
    _refuse_catalog_placeholders(report)
    portal = portal or make_portal(tgt, catalog, dry_run=dry_run)
    owned = portal.list_owned()
    items: list[PlanItem] = []
    for ds in selected:
        result = report.datasets.get(ds.name)
        if result is None or not result.valid:
            n = len([i for i in report.issues_for(ds.name) if i.severity == "error"])
            items.append(PlanItem(ds.name, "invalid", message=f"{n} validation error(s): run "
                                  f"`opendata validate {ds.name}`; not published"))
            continue
        desired = portal.desired(ds)
        remote = owned.get(desired.identifier)
        adoption = _adoption(portal, ds, desired) if remote is None else None
        item = adoption or _decide(portal, desired, remote)
        item.notes = list(desired.notes)
        items.append(item)
    if not names or pack_names & set(names):
        for pseudo in collection_datasets(catalog, report, names or None):
            if isinstance(pseudo, PlanItem):
                items.append(pseudo)
                continue
            desired = portal.desired(pseudo)
            item = _decide(portal, desired, owned.get(desired.identifier))
            item.notes = list(desired.notes)
            items.append(item)
    complete = not names
    if complete:
        wanted = {item.identifier for item in items if item.identifier}
        wanted |= {portal.identifier(ds) for ds in selected}
        wanted |= {pack_identifier(catalog, name) for name in pack_names}
        for identifier, remote in sorted(owned.items()):
            if identifier not in wanted:
                items.append(PlanItem(remote.name, "orphan", identifier=identifier,
                                      portal_id=remote.id, url=remote.url, remote=remote,
                                      message="carries opendata's marker but is no longer in "
                                              "git; `--prune` deletes it"))
    return Plan(target=tgt.name, kind=tgt.kind, url=tgt.url, items=items, complete=complete,
                requests=portal.http.counters.to_dict())


PUBLISH_DIR = ".opendata/publish"


def collection_datasets(catalog: Catalog, report: ValidationReport,
                        names: list[str] | None = None) -> list[Dataset | PlanItem]:
    """Collections (``datasets/packs/*.yaml``) as publishable datasets.

    Each is built (reproducibly, under ``.opendata/publish/``) and described like a
    dataset whose only resource is the bundle, identified by :func:`pack_identifier` so
    that ``opendata download TARGET:PACK`` finds it.  Its checksum drives change detection
    like any file: the zip only changes when its content does.  A collection that cannot
    be built (an invalid dataset in it) becomes an ``invalid`` plan item.
    """
    from opendata.catalog.yamlio import Located

    out: list[Dataset | PlanItem] = []
    for pack in list_packs(catalog.root):
        if names is not None and pack.name not in names:
            continue
        try:
            built = build_pack(catalog, pack.name, catalog.root / PUBLISH_DIR, report)
        except OpendataError as exc:
            out.append(PlanItem(pack.name, "invalid", message=exc.message))
            continue
        licences = {catalog.dataset(n).licence for n in built.datasets}
        licence = pack.raw.get("licence") or (licences.pop() if len(licences) == 1 else None)
        if licence is None:
            out.append(PlanItem(pack.name, "invalid", message=(
                f"collection {pack.name} mixes licences ({', '.join(sorted(map(str, licences)))})"
                "; set `licence:` in its file")))
            continue
        publisher = catalog.config.publisher
        raw = {
            "name": pack.name, "title": pack.title, "description": pack.description,
            "identifier": pack_identifier(catalog, pack.name), "version": pack.version,
            "organization": pack.raw.get("organization") or next(
                iter(catalog.config.organizations)),
            "licence": licence, "keywords": pack.keywords, "frequency": "IRREG",
            "contact": {"name": publisher.get("name", ""), "email": publisher.get("email", "")},
            "extras": {"opendata_kind": "collection",
                       "datasets": ",".join(built.datasets)},
            "resources": [{"name": "bundle", "title": built.zip_path.name, "format": "zip",
                           "path": built.zip_path.name, "type": "main",
                           "description": f"{len(built.datasets)} jeux de données, "
                                          "datapackage.json, pack.lock.json (sha256)"}],
        }
        ds = Dataset(dir=built.zip_path.parent, doc=Located(data=raw, file=pack.file))
        ds.resources = [Resource(built.zip_path.parent, 0, raw["resources"][0])]
        out.append(ds)
    return out


def _adoption(portal: Portal, ds: Dataset, desired: Desired) -> PlanItem | None:
    """An ``adopt`` item when ``ds`` was imported from this portal and its remote copy is
    still there and owned by no catalog: publishing marks it ours instead of creating a
    second dataset (whose name would clash anyway)."""
    remote_id = portal.origin_matches(ds)
    if remote_id is None:
        return None
    remote = portal.find_adoptable(remote_id)
    if remote is None:
        return None
    resources = {res.name: str(res.raw["origin_id"]) for res in ds.resources
                 if res.raw.get("origin_id")}
    return PlanItem(desired.dataset, "adopt", identifier=desired.identifier,
                    portal_id=remote.id, url=remote.url, desired=desired, remote=remote,
                    changes=diff_states(remote.current, desired.state()),
                    uploads=[r.name for r in desired.resources if r.upload],
                    adopt_resources=resources,
                    message="imported from this portal: opendata takes the dataset over "
                            "(ownership marker and state) instead of creating a copy")


def _own_partial_write(stored: dict[str, Any], current: dict[str, Any],
                       desired: dict[str, Any]) -> bool:
    """True when every field of the portal copy holds either what opendata stored last time
    or what it is about to write: a publish of ours was interrupted half-way (killed,
    connection lost) before it wrote the fingerprint.  That is no hand edit: the next
    publish completes it instead of refusing it as drift."""
    a, c, d = _flatten(stored), _flatten(current), _flatten(desired)
    return all(c.get(k) in (a.get(k), d.get(k)) for k in set(a) | set(c) | set(d))


def _decide(portal: Portal, desired: Desired, remote: Remote | None) -> PlanItem:
    uploads = [r.name for r in desired.resources if r.upload]
    if remote is None:
        item = PlanItem(desired.dataset, "create", identifier=desired.identifier,
                        changes=diff_states(None, desired.state()), uploads=uploads,
                        desired=desired)
        reason = portal.conflict(desired)
        if reason:
            item.action, item.message = "invalid", reason
        return item
    base = {"identifier": desired.identifier, "portal_id": remote.id, "url": remote.url,
            "desired": desired, "remote": remote}
    if remote.stored_state is not None and remote.current != remote.stored_state and not \
            portal.partial_write(desired, remote):
        return PlanItem(desired.dataset, "drifted",
                        changes=diff_states(remote.stored_state, remote.current),
                        message=f"edited on the portal since opendata published it (portal "
                                f"copy modified {remote.modified or 'at an unknown time'}); "
                                "`--force` overwrites it with the manifest", **base)
    if remote.stored_fingerprint == desired.fingerprint and remote.stored_state is not None:
        return PlanItem(desired.dataset, "unchanged", **base)
    changes = diff_states(remote.current, desired.state())
    changed_files = []
    for res in desired.resources:
        old = remote.resource(res.name)
        if res.upload and (old is None or old.sha256 != res.sha256):
            changed_files.append(res.name)
    return PlanItem(desired.dataset, "update", changes=changes, uploads=changed_files, **base)


@dataclass
class PublishResult:
    dataset: str
    action: str
    status: str  # ok | failed | refused | skipped | dry-run
    url: str | None = None
    error: str | None = None
    hint: str | None = None
    changes: list[Change] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        out = {"dataset": self.dataset, "action": self.action, "status": self.status,
               "url": self.url, "changes": [c.to_dict() for c in self.changes]}
        if self.error:
            out["error"] = self.error
        if self.hint:
            out["hint"] = self.hint
        return out


@dataclass
class PublishReport:
    target: str
    kind: str
    url: str
    results: list[PublishResult]
    requests: dict[str, Any]
    seconds: float
    dry_run: bool = False
    recorded: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(r.status in ("ok", "skipped", "dry-run") for r in self.results)

    def to_dict(self) -> dict[str, Any]:
        counts: dict[str, int] = {}
        for r in self.results:
            counts[r.status] = counts.get(r.status, 0) + 1
        return {"target": self.target, "kind": self.kind, "url": self.url, "ok": self.ok,
                "dry_run": self.dry_run, "seconds": round(self.seconds, 3), "counts": counts,
                "requests": self.requests, "results": [r.to_dict() for r in self.results],
                **({"dry_run_requests": self.recorded} if self.dry_run else {})}


OnResult = Callable[[PublishResult], None]


def publish(root: Path | str = ".", target: str | Target = "",
            datasets: Iterable[str] | None = None, *, force: bool = False, prune: bool = False,
            jobs: int = 1, dry_run: bool = False, catalog: Catalog | None = None,
            portal: Portal | None = None, on_result: OnResult | None = None,
            on_plan: Callable[[Plan], None] | None = None) -> PublishReport:
    """Apply the plan for ``target``.  One dataset's failure never stops the others."""
    started = time.monotonic()
    catalog, tgt, names = _prepare(root, target, datasets, catalog)
    portal = portal or make_portal(tgt, catalog, dry_run=dry_run)
    if not dry_run:
        tgt.require_token()
    the_plan = plan(catalog=catalog, target=tgt, datasets=names, portal=portal)
    if on_plan:
        on_plan(the_plan)

    def run(item: PlanItem) -> PublishResult:
        result = PublishResult(item.dataset, item.action, "ok", url=item.url,
                               changes=item.changes)
        try:
            if item.action == "invalid":
                result.status, result.error = "failed", item.message
            elif item.action == "unchanged":
                result.status = "skipped"
            elif item.action == "orphan":
                if prune and item.remote is not None:
                    portal.delete(item.remote)
                else:
                    result.status = "skipped"
            elif item.action == "drifted" and not force:
                result.status, result.error = "refused", item.message
                result.hint = "Review the portal edit; re-run with --force to overwrite it."
            elif item.action == "create" and item.desired is not None:
                remote = portal.create(item.desired)
                result.url = remote.url
            elif item.action == "adopt" and item.desired is not None and item.remote:
                remote = portal.adopt(item.desired, item.remote, item.adopt_resources)
                result.url = remote.url
            elif item.desired is not None and item.remote is not None:  # update/forced drift
                remote = portal.update(item.desired, item.remote)
                result.url = remote.url
        except DryRunSkip:
            result.status = "dry-run"
        except OpendataError as exc:
            result.status, result.error, result.hint = "failed", portal.http.mask(exc.message), \
                exc.hint
        except Exception as exc:  # a bug or an unexpected library error: report, go on
            result.status = "failed"
            result.error = portal.http.mask(f"{type(exc).__name__}: {exc}")
        if on_result:
            on_result(result)
        return result

    results: list[PublishResult] = []
    if jobs <= 1:
        results = [run(item) for item in the_plan.items]
    else:
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            futures = {pool.submit(run, item): i for i, item in enumerate(the_plan.items)}
            done: dict[int, PublishResult] = {}
            for fut in as_completed(futures):
                done[futures[fut]] = fut.result()
            results = [done[i] for i in range(len(the_plan.items))]
    return PublishReport(target=tgt.name, kind=tgt.kind, url=tgt.url, results=results,
                         requests=portal.http.counters.to_dict(),
                         seconds=time.monotonic() - started, dry_run=dry_run,
                         recorded=[r.to_dict() for r in portal.http.recorded])


__all__ = ["Change", "Desired", "DesiredResource", "Plan", "PlanItem", "Portal", "PortalError",
           "PublishReport", "PublishResult", "Remote", "RemoteResource", "diff_states",
           "fingerprint", "make_portal", "plan", "publish"]
