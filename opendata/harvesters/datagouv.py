"""data.gouv.fr (udata) adapter: the manifest -> udata mapping and udata's API quirks.

The engine (:mod:`opendata.harvesters.base`) decides *what* to do; this module knows *how*
udata wants it.  What udata forces on us, and why the code looks the way it does:

* **Ids, never slugs.**  udata derives a dataset's slug from its title and changes it when
  the title changes, so datasets are found and addressed by their id only.
* **No search by extras.**  opendata's datasets are found by listing each mapped
  organisation's datasets (paged, one request per 100 datasets) and reading the ownership
  marker, identifier, fingerprint and state opendata stores in their ``extras``.  The same
  listing gives the plan everything it needs: a no-op publish makes no other request.
* **Extras are merged, not replaced.**  opendata's keys are written with API v2
  ``PUT /api/2/datasets/{id}/extras/`` (a merge: extras other tools put there survive).  The
  fingerprint and state are written *last*, after every other write of a publish, so a crash
  half-way leaves the old fingerprint: the next plan can never call that dataset unchanged.
* **A v1 PUT is a full replace** of the form fields: omitted ``tags``/``temporal_coverage``
  are cleared, an omitted ``private`` becomes false.  Every managed field is always sent.
* **Files.**  Remote resources are created with ``filetype: remote`` and an explicit
  ``format``.  Files are uploaded (multipart) to ``/datasets/{id}/upload/`` and replaced at
  ``/datasets/{id}/resources/{rid}/upload/``; above ``chunk_threshold_mb`` they go in parts
  (udata's chunked upload), each part retried on its own, then one assembling call.  udata
  computes the checksum of a hosted file itself (sha1) and ignores any checksum, format or
  mime a client sends for it, so opendata compares that sha1 with its own after every
  upload (an integrity check) and keeps the sha256 in the resource's extras.
* **Interrupted publishes.**  An upload makes udata set the resource's title to the file
  name; opendata's metadata write follows it.  A publish killed in between leaves our
  content with udata's title: :meth:`DatagouvPortal.partial_write` reads that as our own
  half-written state (finished by the next publish, the file not sent again), never as
  drift; a file uploaded as a new resource and not yet named is taken over the same way.
* **Creates are never blindly retried**: after a transient failure of a create, opendata
  looks (organisation listing, or the dataset's resources) for what the first attempt may
  have created before trying again.
* **Errors**: 410 (deleted), 423 (read-only instance), 403 (permissions) and validation
  errors ``{"errors": {field: [messages]}}`` become :class:`PortalError` naming the
  *manifest* field (``tags`` -> ``keywords``, ``license`` -> ``licence``...).
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import unquote, urlsplit

import requests
from slugify import slugify

from opendata.catalog.manifests import Catalog, Dataset
from opendata.catalog.vocab import FREQUENCIES
from opendata.checksums import source_digest
from opendata.errors import PortalError
from opendata.harvesters.base import (
    FINGERPRINT_KEY,
    IDENTIFIER_KEY,
    STATE_KEY,
    Desired,
    DesiredResource,
    Portal,
    Remote,
    RemoteResource,
    canonical,
)
from opendata.harvesters.datagouv_mapping import (
    DEFAULT_GRANULARITIES,
    GRANULARITIES,
    MB,
    _date,
    _plain,
    _ref_id,
    map_field_errors,
    normalise_tags,
    short_description,
)
from opendata.harvesters.datagouv_upload import UploadMixin
from opendata.harvesters.http import HttpClient, TransientError
from opendata.harvesters.targets import Target

PAGE_SIZE = 100
#: resource extras opendata writes: which manifest resource it is, and the file's sha256
RESOURCE_NAME_KEY = "opendata_resource"
RESOURCE_SHA256_KEY = "opendata_sha256"

#: Every (method, path template) the adapter calls; a test checks each against udata's
#: Swagger so a udata upgrade that drops or renames one fails loudly.
ENDPOINTS: tuple[tuple[str, str], ...] = (
    ("GET", "/api/1/organizations/{org}/datasets/"),
    ("GET", "/api/1/spatial/granularities/"),
    ("GET", "/api/1/datasets/{dataset}/"),
    ("POST", "/api/1/datasets/"),
    ("PUT", "/api/1/datasets/{dataset}/"),
    ("DELETE", "/api/1/datasets/{dataset}/"),
    ("PUT", "/api/2/datasets/{dataset}/extras/"),
    ("POST", "/api/1/datasets/{dataset}/resources/"),
    ("PUT", "/api/1/datasets/{dataset}/resources/{rid}/"),
    ("DELETE", "/api/1/datasets/{dataset}/resources/{rid}/"),
    ("POST", "/api/1/datasets/{dataset}/upload/"),
    ("POST", "/api/1/datasets/{dataset}/resources/{rid}/upload/"),
)

















def _upload_title(res: dict[str, Any]) -> str | None:
    """The title udata gives a resource on a file upload: the stored file's name, which
    is also the last segment of the URL it serves the file at."""
    url = res.get("url")
    if res.get("filetype") != "file" or not isinstance(url, str):
        return None
    return unquote(posixpath.basename(urlsplit(url).path)) or None


@dataclass
class _Foreign:
    """A dataset of a mapped organisation that opendata does not own (for conflicts)."""

    id: str
    title: str
    slug: str


class DatagouvPortal(UploadMixin, Portal):
    """Publishes to a udata instance (data.gouv.fr, demo.data.gouv.fr, any udata >= 17)."""

    kind = "datagouv"

    def __init__(self, target: Target, catalog: Catalog, *, dry_run: bool = False,
                 http: HttpClient | None = None):
        super().__init__(target, catalog, dry_run=dry_run, http=http)
        opts = target.options
        self.chunk_threshold = int(float(opts.get("chunk_threshold_mb", 50)) * MB)
        self.chunk_size = max(1, int(float(opts.get("chunk_size_mb", 10)) * MB))
        self.spatial_zones = bool(opts.get("spatial_zones", False))
        self.default_resource_type = str(opts.get("resource_type") or "main")
        self._granularities: frozenset[str] | None = None
        self._foreign: dict[str, list[_Foreign]] = {}

    def make_http(self, dry_run: bool) -> HttpClient:
        """``X-API-KEY`` from the env; without it reads are anonymous (public datasets only)."""
        return HttpClient(self.target.url, secret_header="X-API-KEY", secret=self.target.token(),
                          dry_run=dry_run, user_agent="opendata (data.gouv.fr harvester)",
                          **self.target.http_settings())

    # ---------------------------------------------------------------- HTTP helpers ----

    def _call(self, method: str, path: str, *, action: str, what: str, write: bool = False,
              ok: tuple[int, ...] = (200, 201, 204), resource: str | None = None,
              **kwargs: Any) -> Any:
        """One request; the parsed JSON reply, or a :class:`PortalError` that says what
        failed in manifest terms."""
        resp = self.http.request(method, path, action=action, write=write, **kwargs)
        if resp.status_code in ok:
            if resp.status_code == 204 or not resp.content:
                return None
            return self.http.json(resp)
        raise self._error(resp, what, resource)

    def _error(self, resp: requests.Response, what: str, resource: str | None) -> PortalError:
        status = resp.status_code
        try:
            body = resp.json()
        except ValueError:
            body = None
        message = ""
        if isinstance(body, dict):
            message = str(body.get("message") or body.get("error") or "")
        elif resp.text:
            message = resp.text[:200].replace("\n", " ")
        mask = self.http.mask
        if status == 400 and isinstance(body, dict) and isinstance(body.get("errors"), dict):
            fields = map_field_errors(body["errors"], resource)
            detail = "; ".join(f"{f}: {' '.join(m)}" for f, m in fields.items())
            return PortalError(mask(f"{what}: udata refused {detail}"),
                               "Fix the manifest field(s) named above (udata's field in "
                               "parentheses), then publish again.", status=400,
                               field_errors=fields)
        hints = {
            401: f"The API key was refused: check the variable {self.target.token_env} "
                 "(udata keys look like udata_...; create one in your data.gouv.fr profile).",
            403: "The API key's user may not do this: it must be an admin or editor of the "
                 "organisation the dataset belongs to (`organizations:` in the target).",
            404: "It does not exist on the portal (any more): run `opendata plan` again.",
            410: "The dataset was deleted on the portal; run `opendata plan` again: it will "
                 "be created anew.",
            413: "The file is too big for one request: lower `chunk_threshold_mb` in the "
                 "target so it is sent in parts.",
            415: "udata refused the file's content type (it rejects HTML).",
            423: "The portal is read-only (maintenance); publish again later.",
        }
        label = {410: "deleted on the portal", 423: "portal is read-only",
                 403: "permission denied", 401: "not authenticated"}.get(status, "")
        text = f"{what}: {resp.request.method} {resp.url} answered {status}"
        if label:
            text += f" ({label})"
        if message:
            text += f": {message}"
        return PortalError(mask(text), hints.get(status), status=status)

    # ---------------------------------------------------------------- reading ----

    def granularities(self) -> frozenset[str]:
        """Spatial granularities the instance knows (one read per run); a granularity it
        does not know would fail validation, so opendata then sends none."""
        if self._granularities is None:
            try:
                data = self._call("GET", "/api/1/spatial/granularities/",
                                  action="list_granularities", what="list granularities")
                self._granularities = frozenset(str(_ref_id(g)) for g in data or [])
            except PortalError:
                self._granularities = DEFAULT_GRANULARITIES
        return self._granularities

    def organisations(self) -> list[str]:
        """Every udata organisation opendata may publish to: mapped ones and the ones the
        catalog's datasets resolve to."""
        orgs = set(self.target.organizations.values())
        for ds in self.catalog.datasets:
            org = self.portal_org(ds)
            if org:
                orgs.add(org)
        return sorted(orgs)

    def iter_org_datasets(self, org: str) -> Iterator[dict[str, Any]]:
        """The organisation's datasets (private ones too with a member's key), paged."""
        page = 1
        while True:
            data = self._call("GET", f"/api/1/organizations/{org}/datasets/",
                              action="list_datasets", what=f"list datasets of organisation {org}",
                              params={"page": page, "page_size": PAGE_SIZE, "sort": "created"})
            items = (data or {}).get("data") or []
            yield from items
            if not items or not (data or {}).get("next_page"):
                return
            page += 1

    def _owned(self, raw: dict[str, Any]) -> bool:
        extras = raw.get("extras") or {}
        return (not raw.get("deleted") and extras.get(self.target.marker) == self.catalog_id
                and bool(extras.get(IDENTIFIER_KEY)))

    def list_owned(self) -> dict[str, Remote]:
        owned: dict[str, Remote] = {}
        for org in self.organisations():
            foreign: list[_Foreign] = []
            for raw in self.iter_org_datasets(org):
                if self._owned(raw):
                    remote = self.remote(raw)
                    if remote.identifier:
                        owned[remote.identifier] = remote
                elif not raw.get("deleted"):
                    foreign.append(_Foreign(str(raw.get("id")), str(raw.get("title") or ""),
                                            str(raw.get("slug") or "")))
            self._foreign[org] = foreign
        return owned

    def dataset_url(self, ds_id: str) -> str:
        """The dataset's page by id: stable, unlike the slug, which follows the title."""
        return f"{self.target.url}/datasets/{ds_id}/"

    def remote(self, raw: dict[str, Any]) -> Remote:
        extras = raw.get("extras") or {}
        stored: dict[str, Any] | None = None
        text = extras.get(STATE_KEY)
        if isinstance(text, str):
            try:
                stored = json.loads(text)
            except ValueError:
                stored = None
        elif isinstance(text, dict):
            stored = text
        current = self.project(raw, stored)
        resources = []
        for res in raw.get("resources") or []:
            name = (res.get("extras") or {}).get(RESOURCE_NAME_KEY)
            if name:
                state = next((r for r in current["resources"] if r["name"] == name), {})
                resources.append(RemoteResource(str(res.get("id")), str(name),
                                                state.get("sha256"), res.get("url")))
        fp = extras.get(FINGERPRINT_KEY)
        return Remote(id=str(raw["id"]), name=str(raw.get("slug") or raw["id"]),
                      url=self.dataset_url(str(raw["id"])), identifier=extras.get(IDENTIFIER_KEY),
                      current=current, stored_state=stored,
                      stored_fingerprint=fp if isinstance(fp, str) and fp else None,
                      modified=raw.get("last_modified"), resources=resources, raw=raw)

    # ---------------------------------------------------------------- projection ----

    def project(self, raw: dict[str, Any], stored: dict[str, Any] | None) -> dict[str, Any]:
        """The portal copy in :meth:`Desired.state` shape.  For an untouched dataset this
        equals what opendata stored, field for field; anything else is a hand edit."""
        stored = stored or {}
        stored_fields = stored.get("fields") or {}
        tc = raw.get("temporal_coverage") or {}
        temporal = ({"start": _date(tc.get("start")), "end": _date(tc.get("end"))}
                    if tc.get("start") else None)
        extras = raw.get("extras") or {}
        managed_extras = stored_fields.get("extras") or {}
        fields = {
            "title": raw.get("title") or "",
            "description": raw.get("description") or "",
            "description_short": raw.get("description_short") or "",
            "license": _ref_id(raw.get("license")),
            "frequency": _ref_id(raw.get("frequency")) or "unknown",
            "temporal_coverage": temporal,
            "spatial": self._project_spatial(raw.get("spatial")),
            "tags": sorted(raw.get("tags") or []),
            "organization": _ref_id(raw.get("organization")),
            "private": bool(raw.get("private")),
            "extras": {k: extras[k] for k in managed_extras if k in extras},
        }
        stored_res = {r.get("name"): r for r in stored.get("resources") or []}
        resources = []
        for res in raw.get("resources") or []:
            name = (res.get("extras") or {}).get(RESOURCE_NAME_KEY)
            if name:  # resources without our name were added by someone else: not ours
                resources.append(self._project_resource(res, stored_res.get(name)))
        resources.sort(key=lambda r: str(r["name"]))  # as Desired.state() orders them
        return {"fields": fields, "resources": resources}

    def _project_spatial(self, spatial: Any) -> dict[str, Any] | None:
        spatial = spatial or {}
        gran = _ref_id(spatial.get("granularity"))
        zones = [str(_ref_id(z)) for z in spatial.get("zones") or []]
        if (not gran or gran == "other") and not zones:
            return None
        out: dict[str, Any] = {"granularity": gran or "other"}
        if self.spatial_zones:
            out["zones"] = zones
        return out

    def _project_resource(self, res: dict[str, Any], stored: dict[str, Any] | None
                          ) -> dict[str, Any]:
        extras = res.get("extras") or {}
        checksum = res.get("checksum") or {}
        schema = {k: v for k, v in (res.get("schema") or {}).items() if v} or None
        out: dict[str, Any] = {
            "name": extras.get(RESOURCE_NAME_KEY), "title": res.get("title") or "",
            "description": res.get("description") or "", "format": res.get("format") or "",
            "size": res.get("filesize"), "type": res.get("type"), "schema": schema,
        }
        if res.get("filetype") == "file":
            # udata computes the sha1 and the format of a hosted file and lets nobody set
            # them: the same sha1 as published means the same content, hence the sha256
            # and format opendata recorded still hold.
            sha1 = checksum.get("value") if checksum.get("type") == "sha1" else None
            out["sha1"] = sha1
            same = stored is not None and stored.get("sha1") == sha1
            out["sha256"] = stored.get("sha256") if same and stored else None
            if same and stored:
                out["format"] = stored.get("format")
        else:
            out["url"] = res.get("url")
            out["mime"] = res.get("mime")
            out["sha256"] = checksum.get("value") if checksum.get("type") == "sha256" else None
        return out

    def partial_write(self, desired: Desired, remote: Remote) -> bool:
        """Also our interrupted publish: a hosted file whose content is the one opendata is
        publishing (same sha1 and size) but whose metadata write never came.

        udata's file upload rewrites what it derives from the file: the title becomes the
        file's name, the format its extension, and the sha256 opendata keeps in the
        resource's extras no longer matches (the projection then knows no sha256).
        opendata writes title and sha256 in the call right after the upload, and the
        fingerprint last.  So with the desired content in place, those values are read as
        the ones about to be written; every other field must still hold the stored or the
        desired value, as for any interrupted publish."""
        wanted = {r.name: r for r in desired.resources if r.upload}
        raw = {(r.get("extras") or {}).get(RESOURCE_NAME_KEY): r
               for r in (remote.raw or {}).get("resources") or []}
        settled = []
        for projected in remote.current.get("resources") or []:
            res = wanted.get(projected.get("name"))
            if res is not None and projected.get("sha1") == res.extra.get("sha1") \
                    and projected.get("size") == res.size:
                projected = {**projected, "sha256": res.sha256, "format": res.format}
                if projected.get("title") == _upload_title(raw.get(res.name) or {}):
                    projected["title"] = res.title
            settled.append(projected)
        current = {**remote.current, "resources": settled}
        return super().partial_write(desired, replace(remote, current=current))

    # ---------------------------------------------------------------- desired ----

    def desired(self, ds: Dataset) -> Desired:
        licence = ds.licence
        licence_id = None
        if licence and licence in self.catalog.licences:
            licence_id = self.catalog.licences.get(licence).datagouv_id
        freq = ds.get("frequency")
        frequency = FREQUENCIES[freq][1] if isinstance(freq, str) and freq in FREQUENCIES \
            else "unknown"
        temporal = ds.get("temporal")
        temporal_coverage = None
        if isinstance(temporal, dict) and temporal.get("start"):
            temporal_coverage = {"start": _date(temporal.get("start")),
                                 "end": _date(temporal.get("end"))}
        tags, dropped = normalise_tags(ds.keywords)
        extras = {str(k): _plain(v) for k, v in (ds.get("extras") or {}).items()}
        fields = {
            "title": ds.title.strip(),
            "description": ds.description.strip(),
            "description_short": short_description(ds.description),
            "license": licence_id,
            "frequency": frequency,
            "temporal_coverage": temporal_coverage,
            "spatial": self._desired_spatial(ds.get("spatial")),
            "tags": tags,
            "organization": self.portal_org(ds),
            "private": bool(ds.get("private", False)) or self.target.private,
            "extras": extras,
        }
        resources = self.desired_resources(ds)
        for res, manifest_res in zip(resources, ds.resources, strict=False):
            if "type" not in manifest_res.raw:
                res.type = self.default_resource_type
            res.title = res.title.strip()
            res.description = res.description.strip()
            res.extra = {"type": res.type, "schema": res.schema}
            if res.upload and res.file is not None:
                res.extra["sha1"] = source_digest(res.file, "sha1")
            else:
                res.extra["mime"] = res.mediatype
        desired = Desired(dataset=ds.name, identifier=self.identifier(ds),
                          portal_name=self.portal_name(ds), organization=fields["organization"],
                          fields=fields, resources=resources)
        if dropped:
            desired.notes.append("keywords udata cannot keep, not published: "
                                 + ", ".join(dropped))
        return desired

    def _desired_spatial(self, spatial: Any) -> dict[str, Any] | None:
        if not isinstance(spatial, dict) or spatial.get("level") not in GRANULARITIES:
            return None
        gran = GRANULARITIES[spatial["level"]]
        if gran not in self.granularities():
            return None
        out: dict[str, Any] = {"granularity": gran}
        if self.spatial_zones:
            code = spatial.get("code")
            out["zones"] = [f"{gran}:{code}".lower()] if code else []
        return out

    def conflict(self, desired: Desired) -> str | None:
        """Refuse to create next to a dataset of the same organisation that opendata does
        not own with the same title (or the slug that title gives): most likely the same
        data published by hand; opendata never takes it over by itself."""
        title = desired.fields["title"].casefold()
        slug = slugify(desired.fields["title"])
        for other in self._foreign.get(desired.organization or "", []):
            if other.title.casefold() == title or other.slug == slug:
                return (f"organisation {desired.organization} already has a dataset with this "
                        f"title that opendata does not own ({self.dataset_url(other.id)}); "
                        "opendata never takes over a dataset by itself: rename this one, "
                        "delete that one, or adopt it by adding the extras "
                        f"{self.target.marker}={self.catalog_id} and "
                        f"{IDENTIFIER_KEY}={desired.identifier} to it")
        return None

    # ---------------------------------------------------------------- payloads ----

    def _dataset_payload(self, desired: Desired) -> dict[str, Any]:
        """Every field opendata manages, always all of them: a v1 PUT clears what it omits."""
        f = desired.fields
        spatial = dict(f["spatial"]) if f["spatial"] else {"granularity": "other", "zones": []}
        return {"title": f["title"], "description": f["description"],
                "description_short": f["description_short"], "license": f["license"],
                "frequency": f["frequency"], "temporal_coverage": f["temporal_coverage"],
                "spatial": spatial, "tags": f["tags"], "organization": f["organization"],
                "private": f["private"]}

    def _our_extras(self, desired: Desired, previous: dict[str, Any] | None) -> dict[str, Any]:
        """Marker, identifier and manifest extras; manifest extras opendata wrote before and
        the manifest no longer has are removed (``None`` deletes a key in the v2 merge)."""
        extras: dict[str, Any] = {}
        for key in ((previous or {}).get("fields") or {}).get("extras") or {}:
            extras[key] = None
        extras.update(desired.fields["extras"])
        extras[self.target.marker] = self.catalog_id
        extras[IDENTIFIER_KEY] = desired.identifier
        return extras

    def _resource_payload(self, res: DesiredResource, current: dict[str, Any] | None
                          ) -> dict[str, Any]:
        extras = dict((current or {}).get("extras") or {})
        extras[RESOURCE_NAME_KEY] = res.name
        if res.sha256:
            extras[RESOURCE_SHA256_KEY] = res.sha256
        payload: dict[str, Any] = {"title": res.title, "description": res.description,
                                   "type": res.type, "schema": res.schema or {},
                                   "extras": extras}
        if res.upload:  # hosted: url, format, mime, checksum and size are udata's
            payload.update({"filetype": "file", "url": (current or {}).get("url"),
                            "format": (current or {}).get("format")})
        else:
            payload.update({"filetype": "remote", "url": res.url, "format": res.format,
                            "mime": res.mediatype})
            if res.sha256:
                payload["checksum"] = {"type": "sha256", "value": res.sha256}
            if res.size is not None:
                payload["filesize"] = res.size
        return payload

    # ---------------------------------------------------------------- writing ----

    def create(self, desired: Desired) -> Remote:
        payload = self._dataset_payload(desired)
        payload["extras"] = self._our_extras(desired, None)
        raw = self._create_dataset(desired, payload)
        ds_id = str(raw["id"])
        self._sync_resources(ds_id, desired, raw.get("resources") or [])
        self._seal(ds_id, desired)
        return self._after(ds_id, desired, raw)

    def _create_dataset(self, desired: Desired, payload: dict[str, Any]) -> dict[str, Any]:
        """POST the dataset; after a transient failure look whether it landed (organisation
        listing, by identifier) before posting once more: never a duplicate."""
        what = f"create dataset {desired.dataset}"
        kwargs: dict[str, Any] = {"json_body": payload, "idempotent": False,
                                  "dry_result": {"id": "(dry-run)", "resources": []}}
        try:
            return self._call("POST", "/api/1/datasets/", action="create_dataset", what=what,
                              write=True, **kwargs)
        except TransientError:
            landed = self._find_landed(desired)
            if landed is not None:
                return landed
        return self._call("POST", "/api/1/datasets/", action="create_dataset", what=what,
                          write=True, **kwargs)

    def _find_landed(self, desired: Desired) -> dict[str, Any] | None:
        for raw in self.iter_org_datasets(desired.organization or ""):
            if (self._owned(raw)
                    and (raw.get("extras") or {}).get(IDENTIFIER_KEY) == desired.identifier):
                return raw
        return None

    def update(self, desired: Desired, remote: Remote) -> Remote:
        ds_id = remote.id
        what = f"update dataset {desired.dataset}"
        if remote.current.get("fields") != desired.fields or remote.stored_state is None:
            self._call("PUT", f"/api/1/datasets/{ds_id}/", action="update_dataset", what=what,
                       write=True, json_body=self._dataset_payload(desired),
                       dry_result={"id": ds_id})
        self._sync_resources(ds_id, desired, (remote.raw or {}).get("resources") or [])
        self._seal(ds_id, desired, remote.stored_state)
        return self._after(ds_id, desired, remote.raw)

    def find_adoptable(self, remote_id: str) -> Remote | None:
        resp = self.http.request("GET", f"/api/1/datasets/{remote_id}/", action="read_dataset",
                                 write=False)
        if resp.status_code in (404, 410):
            return None
        if resp.status_code >= 400:
            raise self._error(resp, f"read dataset {remote_id}", None)
        raw = self.http.json(resp)
        if not isinstance(raw, dict) or raw.get("deleted"):
            return None
        owner = (raw.get("extras") or {}).get(self.target.marker)
        if owner and owner != self.catalog_id:
            return None  # another catalog owns it: never taken over
        return self.remote(raw)

    def adopt(self, desired: Desired, remote: Remote, resources: dict[str, str]) -> Remote:
        """Write our resource name into each imported resource's extras (so the update that
        follows edits them in place, never adds copies), then update."""
        raw = dict(remote.raw or {})
        by_id = {str(r.get("id")): r for r in raw.get("resources") or []}
        wanted = {r.name: r for r in desired.resources}
        for name, res_id in sorted(resources.items()):
            current, res = by_id.get(res_id), wanted.get(name)
            if current is None or res is None:
                continue
            current["extras"] = {**(current.get("extras") or {}), RESOURCE_NAME_KEY: name}
            self._put_resource(remote.id, res, current, desired)
        return self.update(desired, self.remote(raw))

    def _seal(self, ds_id: str, desired: Desired, previous: dict[str, Any] | None = None) -> None:
        """The last write of a publish: extras (merged) with the fingerprint and state.
        Until it succeeds the portal keeps the old fingerprint, so an interrupted publish
        is never mistaken for an unchanged dataset."""
        extras = self._our_extras(desired, previous)
        extras[FINGERPRINT_KEY] = desired.fingerprint
        extras[STATE_KEY] = canonical(desired.state())
        self._call("PUT", f"/api/2/datasets/{ds_id}/extras/", action="update_extras",
                   what=f"record opendata's state on dataset {desired.dataset}", write=True,
                   json_body=extras, dry_result={})

    def _after(self, ds_id: str, desired: Desired, raw: dict[str, Any] | None) -> Remote:
        return Remote(id=ds_id, name=str((raw or {}).get("slug") or ds_id),
                      url=self.dataset_url(ds_id), identifier=desired.identifier,
                      current=desired.state(), stored_state=desired.state(),
                      stored_fingerprint=desired.fingerprint)

    def _sync_resources(self, ds_id: str, desired: Desired, raw_resources: list[dict[str, Any]]
                        ) -> None:
        """Create, re-upload, edit or delete resources so the portal matches ``desired``.
        A file is uploaded only when its sha1 differs from the portal's."""
        ours = {(r.get("extras") or {}).get(RESOURCE_NAME_KEY): r for r in raw_resources
                if (r.get("extras") or {}).get(RESOURCE_NAME_KEY)}
        unmarked = [r for r in raw_resources
                    if not (r.get("extras") or {}).get(RESOURCE_NAME_KEY)]
        for res in desired.resources:
            current = ours.pop(res.name, None)
            if res.upload:
                sha1 = res.extra.get("sha1")
                if current is None:
                    # a file uploaded by an interrupted publish (before its metadata was
                    # written) carries no name yet: adopt it rather than upload it again.
                    # Only as udata left it (our content, the title its upload gives): a
                    # resource someone added by hand and titled is never taken over
                    current = next((r for r in unmarked
                                    if (r.get("checksum") or {}).get("value") == sha1
                                    and r.get("filesize") == res.size
                                    and r.get("title") == _upload_title(r)), None)
                    if current is not None:
                        unmarked.remove(current)
                if current is None:
                    current = self._upload(ds_id, res, None, desired)
                elif (current.get("checksum") or {}).get("value") != sha1:
                    current = self._upload(ds_id, res, current, desired)
                elif self._project_resource(current, res.managed()) == res.managed():
                    continue
                self._put_resource(ds_id, res, current, desired)
            elif current is None:
                self._create_remote_resource(ds_id, res, desired)
            elif self._project_resource(current, None) != res.managed():
                self._put_resource(ds_id, res, current, desired)
        for name, gone in ours.items():
            self._call("DELETE", f"/api/1/datasets/{ds_id}/resources/{gone['id']}/",
                       action="delete_resource", what=f"delete resource {name} of dataset "
                       f"{desired.dataset}", write=True, ok=(200, 204), dry_result={})

    def _put_resource(self, ds_id: str, res: DesiredResource, current: dict[str, Any],
                      desired: Desired) -> None:
        self._call("PUT", f"/api/1/datasets/{ds_id}/resources/{current.get('id')}/",
                   action="update_resource", what=f"update resource {res.name} of dataset "
                   f"{desired.dataset}", resource=res.name, write=True,
                   json_body=self._resource_payload(res, current), dry_result={})

    def _create_remote_resource(self, ds_id: str, res: DesiredResource, desired: Desired
                                ) -> None:
        what = f"create resource {res.name} of dataset {desired.dataset}"
        kwargs: dict[str, Any] = {"json_body": self._resource_payload(res, None),
                                  "idempotent": False, "dry_result": {}}
        try:
            self._call("POST", f"/api/1/datasets/{ds_id}/resources/", action="create_resource",
                       what=what, resource=res.name, write=True, **kwargs)
            return
        except TransientError:
            if self._find_resource(ds_id, lambda r: (r.get("extras") or {}).get(
                    RESOURCE_NAME_KEY) == res.name) is not None:
                return
        self._call("POST", f"/api/1/datasets/{ds_id}/resources/", action="create_resource",
                   what=what, resource=res.name, write=True, **kwargs)

    def _find_resource(self, ds_id: str, match: Any) -> dict[str, Any] | None:
        raw = self._call("GET", f"/api/1/datasets/{ds_id}/", action="read_dataset",
                         what=f"read dataset {ds_id}")
        return next((r for r in (raw or {}).get("resources") or [] if match(r)), None)

    # ---------------------------------------------------------------- uploads ----




    # ---------------------------------------------------------------- delete ----

    def delete(self, remote: Remote) -> None:
        """Delete a dataset opendata owns, after re-reading it: the marker and identifier
        must still be ours (someone may have re-purposed it since the plan)."""
        what = f"delete dataset {remote.name}"
        resp = self.http.request("GET", f"/api/1/datasets/{remote.id}/", action="read_dataset",
                                 write=False)
        if resp.status_code in (404, 410):
            return  # already gone
        if resp.status_code != 200:
            raise self._error(resp, what, None)
        raw = self.http.json(resp)
        if raw.get("deleted"):
            return  # already deleted (its owner still sees it, with a deletion date)
        extras = raw.get("extras") or {}
        if not self._owned(raw) or extras.get(IDENTIFIER_KEY) != remote.identifier:
            raise PortalError(f"{what}: refused, it no longer carries opendata's marker "
                              f"{self.target.marker}={self.catalog_id} and identifier "
                              f"{remote.identifier}", "opendata only deletes what it owns.")
        self._call("DELETE", f"/api/1/datasets/{remote.id}/", action="delete_dataset",
                   what=what, write=True, ok=(200, 204), dry_result={})






__all__ = ["ENDPOINTS", "DatagouvPortal", "map_field_errors", "normalise_tags",
           "short_description"]
