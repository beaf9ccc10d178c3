"""What an importer reads from a portal, before anything is written: one
:class:`RemoteDataset` per remote dataset, already mapped to manifest fields.

Readers (one module per source kind) only read and map; :mod:`.writer` decides names,
merges with manifests already on disk and writes.  Keeping the two apart lets
``--dry-run`` run the whole mapping and show every change without touching the folder.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: Manifest key recording where an imported dataset comes from.  Re-imports find the
#: folder by it, and publishing back to the same portal adopts instead of creating.
ORIGIN_KEY = "origin"


def default_mediatype(fmt: str) -> str | None:
    """The media type opendata derives from a format: a portal copy equal to it carries
    nothing the manifest must state (and publishing writes it back anyway)."""
    from opendata.catalog.vocab import FORMATS

    entry = FORMATS.get(fmt)
    return entry[1] if entry else None


@dataclass
class RemoteResource:
    """One remote file: its manifest entry, and where to fetch it with ``--download``."""

    manifest: dict[str, Any]
    download_url: str | None = None
    #: sha256 the portal states for the file, checked after a download
    sha256: str | None = None
    size: int | None = None


@dataclass
class RemoteDataset:
    """One remote dataset mapped to a manifest.  ``unmapped`` lists what the portal
    carries that no manifest field holds (kept in ``extras`` or reported, never dropped
    silently)."""

    remote_id: str
    remote_name: str
    manifest: dict[str, Any]
    resources: list[RemoteResource] = field(default_factory=list)
    #: organisation key -> {"title": ..., "description": ...}, for opendata.yaml
    organizations: dict[str, dict[str, str]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    unmapped: list[str] = field(default_factory=list)


@dataclass
class ImportItem:
    """What the import did (or, with ``dry_run``, would do) for one remote dataset."""

    remote: str
    folder: str | None
    action: str  # created | updated | unchanged | skipped
    reason: str | None = None
    changed_fields: list[str] = field(default_factory=list)
    downloads: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"remote": self.remote, "folder": self.folder,
                               "action": self.action, "changed_fields": self.changed_fields,
                               "downloads": self.downloads, "warnings": self.warnings}
        if self.reason:
            out["reason"] = self.reason
        return out


@dataclass
class ImportReport:
    """The result of :func:`opendata.importers.import_catalog`."""

    source: str
    kind: str
    dry_run: bool
    items: list[ImportItem] = field(default_factory=list)
    organizations_added: list[str] = field(default_factory=list)
    requests: int = 0

    def counts(self) -> dict[str, int]:
        out = {"created": 0, "updated": 0, "unchanged": 0, "skipped": 0}
        for item in self.items:
            out[item.action] = out.get(item.action, 0) + 1
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "kind": self.kind, "dry_run": self.dry_run,
                "counts": self.counts(), "organizations_added": self.organizations_added,
                "requests": self.requests, "items": [i.to_dict() for i in self.items]}
