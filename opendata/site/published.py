"""Where each dataset is published: its pages on CKAN and data.gouv.fr, from publish reports.

The site is built without a network call, so it can only link a portal page it has a
record of.  A CKAN page could be derived from the target's URL and name prefix, but a
derived link claims a publication that may never have happened (a target file says where
opendata *would* publish, and ``harvesters/ckan-local.yaml`` points at 127.0.0.1), and
data.gouv.fr's pages are known only by the id udata gives at creation.  What does know is
the JSON report ``opendata publish --report FILE`` writes: per dataset, the action, the
status and the portal page's URL.  So the links come from those reports, read from
``published/*.json`` at the catalog root (where a publishing job writes and commits them:
``opendata publish --target T --report published/T.json``) and from any report passed
explicitly (``opendata site --published FILE``).

Reading rules, chosen so that a link is shown only when the dataset is there:

* a dry-run report wrote nothing: it is ignored;
* a result with a portal URL links it (created, updated, unchanged, refused because the
  portal copy was edited, failed half-way through an update: the dataset is on the portal
  in each case); a deleted orphan (``--prune``) removes the link;
* reports are read in order (the folder's files by name, then the explicit ones), and a
  later result for the same target and dataset replaces an earlier one, so a partial
  publish of three datasets keeps the other datasets' links;
* only ``http(s)`` URLs are kept: a report can be edited in a pull request like any file.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from opendata.errors import UsageError

#: Folder of publish reports at the catalog root, read by every site build.
PUBLISHED_DIR = "published"
#: What a page calls each kind of portal.
KIND_LABELS = {"ckan": "CKAN", "datagouv": "udata"}
#: data.gouv.fr itself is named, not described as "a udata".
DATAGOUV_HOSTS = frozenset({"www.data.gouv.fr", "data.gouv.fr"})


@dataclass(frozen=True)
class PortalLink:
    """One portal page of one dataset."""

    target: str  # the harvester target the report came from
    kind: str  # ckan | datagouv | "" (a report interrupted before it said)
    url: str

    @property
    def portal(self) -> str:
        """What the link says: ``data.gouv.fr`` for the national portal, else the host
        and the software, so ``demo.data.gouv.fr (udata)`` is not mistaken for it."""
        host = urlsplit(self.url).hostname or self.url
        if self.kind == "datagouv" and host in DATAGOUV_HOSTS:
            return "data.gouv.fr"
        label = KIND_LABELS.get(self.kind)
        return f"{host} ({label})" if label else host


def report_files(root: Path, extra: Sequence[Path] = ()) -> list[Path]:
    """The reports a site build reads: ``published/*.json`` by name, then ``extra``."""
    folder = Path(root) / PUBLISHED_DIR
    found = sorted(folder.glob("*.json")) if folder.is_dir() else []
    for file in extra:
        if not Path(file).is_file():
            raise UsageError(f"publish report {file} not found",
                             "Pass the file `opendata publish --report FILE` wrote.")
    return found + [Path(f) for f in extra]


def _safe(url: Any) -> str | None:
    if not isinstance(url, str):
        return None
    parts = urlsplit(url.strip())
    return url.strip() if parts.scheme in ("http", "https") and parts.netloc else None


def _load(file: Path) -> dict[str, Any]:
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise UsageError(f"publish report {file} cannot be read: {exc}",
                         "It must be the JSON `opendata publish --report FILE` writes; "
                         "delete it or publish again.") from None
    if not isinstance(data, dict) or not isinstance(data.get("results"), list):
        raise UsageError(f"publish report {file} has no list of results",
                         "It must be the JSON `opendata publish --report FILE` writes; "
                         "delete it or publish again.")
    return data


def read_published(files: Iterable[Path]) -> dict[str, list[PortalLink]]:
    """Dataset name -> its portal pages (in the order their targets were first met)."""
    links: dict[tuple[str, str], PortalLink | None] = {}
    for file in files:
        data = _load(Path(file))
        if data.get("dry_run") is True:
            continue
        kind = str(data.get("kind") or "")
        for item in data["results"]:
            if not isinstance(item, dict) or not isinstance(item.get("dataset"), str):
                continue
            url = _safe(item.get("url"))
            target = str(data.get("target") or (urlsplit(url).hostname if url else "") or "")
            key = (target, item["dataset"])
            if item.get("action") == "orphan":
                if item.get("status") == "ok":  # pruned: no longer on the portal
                    links[key] = None
                continue
            if item.get("status") == "dry-run" or url is None:
                continue
            links[key] = PortalLink(target=target, kind=kind, url=url)
    out: dict[str, list[PortalLink]] = {}
    for (_target, dataset), link in links.items():
        if link is not None:
            out.setdefault(dataset, []).append(link)
    return out


def published_links(root: Path, extra: Sequence[Path] = ()) -> dict[str, list[PortalLink]]:
    """What every dataset page of the catalog at ``root`` links as "published on"."""
    return read_published(report_files(root, extra))
