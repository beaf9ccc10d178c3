"""Stage 8, importers: adopt an existing catalog (a CKAN site or organisation, a
data.gouv.fr organisation, a DCAT catalog) as manifests in ``datasets/``.

:func:`import_catalog` reads the source in bulk, maps each remote dataset back to a
manifest (the reverse of the harvesters' mapping), and writes, updates or skips its folder;
the CLI only renders the :class:`ImportReport`.  A manifest records its ``origin``, so a
later ``opendata publish`` to that same portal *adopts* the remote dataset instead of
creating a duplicate.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from opendata.catalog.config import load_config, load_licences
from opendata.catalog.manifests import DATASETS_DIR, MANIFEST
from opendata.errors import UsageError
from opendata.importers.model import ImportItem, ImportReport, RemoteDataset
from opendata.importers.writer import (
    add_organizations,
    changed_fields,
    choose_folder,
    download_resources,
    dump_manifest,
    existing_manifests,
    merge,
)

KINDS = ("ckan", "datagouv", "dcat")
DEFAULT_MAX_BYTES = 512 * 1024 * 1024

Progress = Callable[[int, str], None]


def read_source(kind: str, url: str, root: Path, *, organization: str | None = None,
                token: str | None = None, http: Any = None) -> tuple[Iterator[RemoteDataset], Any]:
    """(remote datasets, the HTTP client used) for one source."""
    from opendata.harvesters.http import HttpClient

    licences = load_licences(root)
    if kind == "dcat":
        from opendata.importers.dcat import read_dcat

        return read_dcat(url, licences), None
    if not url.startswith(("http://", "https://")):
        raise UsageError(f"{url!r} is not an http(s) URL", "Give the portal's site root, e.g. "
                         "https://demo.ckan.org or https://www.data.gouv.fr.")
    if kind == "ckan":
        from opendata.importers.ckan import read_ckan

        client = http or HttpClient(url, secret_header="Authorization", secret=token,
                                    user_agent="opendata (import)")
        return read_ckan(client, licences, organization=organization), client
    if kind == "datagouv":
        from opendata.importers.datagouv import read_datagouv

        if not organization:
            raise UsageError("importing from data.gouv.fr needs --organization ID",
                             "Give the organisation's id or slug (the end of its URL).")
        client = http or HttpClient(url, secret_header="X-API-KEY", secret=token,
                                    user_agent="opendata (import)")
        return read_datagouv(client, licences, organization), client
    raise UsageError(f"unknown source kind {kind!r}", f"Use one of: {', '.join(KINDS)}.")


def import_catalog(source: str, root: Path | str, *, kind: str,
                   organization: str | None = None, token_env: str | None = None,
                   download: bool = False, infer: bool = False, dry_run: bool = False,
                   force: bool = False, max_bytes: int = DEFAULT_MAX_BYTES,
                   progress: Progress | None = None, http: Any = None) -> ImportReport:
    """Import every dataset of ``source`` into the catalog at ``root``.

    ``kind`` is ``ckan``, ``datagouv`` or ``dcat``.  With ``dry_run`` nothing is written:
    the report says what would be.  ``force`` lets an import overwrite a folder holding a
    dataset that did not come from this source.  ``download`` fetches files into the
    dataset folders (sha256 checked when the portal states one, ``max_bytes`` per file);
    otherwise resources keep their URL.  ``infer`` writes a Table Schema for a downloaded
    CSV that declares none.
    """
    root = Path(root)
    config = load_config(root)
    token = os.environ.get(token_env) if token_env else None
    remotes, client = read_source(kind, source, root, organization=organization, token=token,
                                  http=http)
    report = ImportReport(source=source, kind=kind, dry_run=dry_run)
    on_disk = existing_manifests(root)
    taken: set[str] = set()
    wanted_orgs: dict[str, dict[str, str]] = {}
    for count, remote in enumerate(remotes, 1):
        if progress:
            progress(count, remote.remote_name)
        report.items.append(_import_one(remote, root, on_disk, taken, wanted_orgs,
                                        download=download, infer=infer, dry_run=dry_run,
                                        force=force, max_bytes=max_bytes,
                                        default_language=[config.language]))
    report.organizations_added = add_organizations(
        root / "opendata.yaml", wanted_orgs, set(config.organizations), dry_run=dry_run)
    if client is not None:
        report.requests = client.counters.reads + client.counters.writes
    return report


def _import_one(remote: RemoteDataset, root: Path,
                on_disk: dict[str, tuple[Path, dict[str, Any]]], taken: set[str],
                wanted_orgs: dict[str, dict[str, str]], *, download: bool, infer: bool,
                dry_run: bool, force: bool, max_bytes: int,
                default_language: list[str] | None = None) -> ImportItem:
    folder_name, current, reason = choose_folder(remote, on_disk, taken)
    item = ImportItem(remote=remote.remote_name, folder=f"{DATASETS_DIR}/{folder_name}",
                      action="created", warnings=list(remote.warnings) + remote.unmapped)
    if reason and not force:
        item.action, item.reason = "skipped", reason + "; use --force to overwrite it"
        return item
    if reason and force:
        current = None
    taken.add(folder_name)
    manifest = dict(remote.manifest)
    manifest["name"] = folder_name
    merged = merge(manifest, current, default_language=default_language)
    folder = root / DATASETS_DIR / folder_name
    if download and not dry_run:
        from opendata.importers.writer import fetch_file

        folder.mkdir(parents=True, exist_ok=True)
        download_resources(remote, merged, folder,
                           lambda url, dest: fetch_file(url, dest, max_bytes=max_bytes),
                           max_bytes=max_bytes, item=item)
        if infer:
            _infer_schemas(merged, folder, item)
    for key, info in remote.organizations.items():
        wanted_orgs.setdefault(key, info)
    item.changed_fields = changed_fields(current, merged)
    text = dump_manifest(merged)
    file = folder / MANIFEST
    if current is not None:
        old_text = file.read_text(encoding="utf-8") if file.is_file() else ""
        if old_text == text or not item.changed_fields:
            item.action, item.changed_fields = "unchanged", []
            return item
        item.action = "updated"
    if not dry_run:
        folder.mkdir(parents=True, exist_ok=True)
        file.write_text(text, encoding="utf-8")
    on_disk[folder_name] = (file, merged)
    return item


def _infer_schemas(manifest: dict[str, Any], folder: Path, item: ImportItem) -> None:
    from opendata.errors import OpendataError
    from opendata.validation.infer import infer as infer_file

    for res in manifest.get("resources") or []:
        if res.get("format") not in ("csv", "tsv") or "path" not in res or "schema" in res:
            continue
        try:
            inferred = infer_file(folder / res["path"])
        except OpendataError as exc:
            item.warnings.append(f"resource {res['name']}: no schema inferred ({exc.message})")
            continue
        schema_file = f"{res['name']}.schema.json"
        import json

        (folder / schema_file).write_text(json.dumps(inferred.schema, ensure_ascii=False,
                                                     indent=2) + "\n", encoding="utf-8")
        res["schema"] = schema_file
        if inferred.dialect:
            res["dialect"] = inferred.dialect


__all__ = ["KINDS", "ImportItem", "ImportReport", "RemoteDataset", "import_catalog"]
