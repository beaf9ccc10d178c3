"""Writing imported datasets as manifests: stable folder names, in-place re-imports,
organisations added to opendata.yaml, optional downloads.

A re-import rewrites only the fields the portal carries and keeps what only the steward
knows (Table Schemas, dialects, local paths), so a remote change reaches git as a small
diff in a pull request, and an unchanged remote leaves every file byte-identical.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from opendata.catalog.manifests import DATASETS_DIR, MANIFEST
from opendata.errors import OpendataError, PortalError, UsageError
from opendata.importers.model import ORIGIN_KEY, ImportItem, RemoteDataset

#: Manifest keys the importers own: replaced by the remote value on every re-import.
REMOTE_FIELDS = ("name", "title", "description", "organization", "licence", "keywords",
                 "themes", "frequency", "temporal", "spatial", "contact", "source", "version",
                 "language", "landing_page", "private", "extras", ORIGIN_KEY)
#: Resource keys only the steward knows: kept from the manifest on disk.
LOCAL_RESOURCE_KEYS = ("path", "schema", "dialect", "sheet")
ORDER = ("name", "title", "description", "organization", "licence", "keywords", "themes",
         "frequency", "temporal", "spatial", "contact", "source", "version", "language",
         "landing_page", "private", "extras", "resources", ORIGIN_KEY)
SAFE_FILE = re.compile(r"[^A-Za-z0-9._-]+")
HEADER = "# Imported by `opendata import`; a re-import updates the fields the portal carries.\n"


#: libyaml when installed: a re-import parses and writes every manifest of the catalog
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def dump_manifest(manifest: dict[str, Any]) -> str:
    ordered = {k: manifest[k] for k in ORDER if k in manifest}
    ordered.update({k: v for k, v in manifest.items() if k not in ordered})
    return HEADER + yaml.dump(ordered, Dumper=_DUMPER, sort_keys=False, allow_unicode=True,
                              width=100)


def existing_manifests(root: Path) -> dict[str, tuple[Path, dict[str, Any]]]:
    """Folder name -> (manifest path, parsed manifest) for every dataset on disk."""
    out: dict[str, tuple[Path, dict[str, Any]]] = {}
    base = root / DATASETS_DIR
    if not base.is_dir():
        return out
    for file in sorted(base.glob(f"*/{MANIFEST}")):
        try:
            data = yaml.load(file.read_text(encoding="utf-8"), Loader=_LOADER)
        except (OSError, yaml.YAMLError, UnicodeDecodeError):
            data = None
        out[file.parent.name] = (file, data if isinstance(data, dict) else {})
    return out


def origin_key(origin: dict[str, Any] | None) -> tuple[str, str] | None:
    if not isinstance(origin, dict) or not origin.get("id") or not origin.get("portal"):
        return None
    return (str(origin["portal"]).rstrip("/"), str(origin["id"]))


def choose_folder(remote: RemoteDataset, on_disk: dict[str, tuple[Path, dict[str, Any]]],
                  taken: set[str]) -> tuple[str, dict[str, Any] | None, str | None]:
    """(folder, manifest already there or None, reason to skip or None).

    The same remote dataset always gives the same folder: first the folder whose
    ``origin`` names it, then its own name, and when that name is taken by another remote
    dataset, the name plus a suffix derived from the remote id (stable across runs)."""
    key = origin_key(remote.manifest.get(ORIGIN_KEY))
    for folder, (_, data) in on_disk.items():
        if key and origin_key(data.get(ORIGIN_KEY)) == key:
            return folder, data, None
    name = remote.manifest["name"]
    if name in on_disk or name in taken:
        suffix = hashlib.sha256(remote.remote_id.encode()).hexdigest()[:6]
        alt = f"{name[:93]}-{suffix}"
        if name not in on_disk or origin_key(on_disk[name][1].get(ORIGIN_KEY)):
            # the name belongs to another imported dataset (or to one of this run): the
            # suffixed name is as stable as the remote id
            if alt in on_disk and origin_key(on_disk[alt][1].get(ORIGIN_KEY)) != key:
                return alt, None, (f"folder {alt} already holds another dataset")
            return alt, on_disk.get(alt, (None, None))[1], None
        return name, on_disk[name][1], (
            f"folder {DATASETS_DIR}/{name} already holds a dataset that was not imported "
            "from this portal")
    return name, None, None


def merge(remote: dict[str, Any], current: dict[str, Any] | None, *,
          default_language: list[str] | None = None) -> dict[str, Any]:
    """The manifest to write: remote fields win, local-only knowledge is kept."""
    if not current:
        return dict(remote)
    out = {k: v for k, v in current.items() if k not in REMOTE_FIELDS and k != "resources"}
    out.update({k: v for k, v in remote.items() if k != "resources"})
    # the origin is where the dataset was first imported from: later reads (which may
    # see the identifier opendata gave it on adoption) do not move it
    first = origin_key(current.get(ORIGIN_KEY))
    if first is not None and first == origin_key(remote.get(ORIGIN_KEY)):
        out[ORIGIN_KEY] = current[ORIGIN_KEY]
    # a remote field that disappeared is removed, except what the portal cannot carry
    # (the importer never writes those keys, so they come from the steward)
    for key in REMOTE_FIELDS:
        if key in current and key not in remote and key in ("contact", "source", "themes",
                                                            "language", "version"):
            out[key] = current[key]
    if default_language and "language" not in current and out.get("language") == default_language:
        del out["language"]  # the catalog default, written by publishing, not by the portal
    old_res = {r.get("name"): r for r in current.get("resources") or [] if isinstance(r, dict)}
    resources = []
    for res in remote.get("resources") or []:
        merged = dict(res)
        old = old_res.get(res.get("name"))
        if old:
            for key in LOCAL_RESOURCE_KEYS:
                if key in old and key not in res:
                    merged[key] = old[key]
            if "path" in merged:
                merged.pop("url", None)
        resources.append(merged)
    out["resources"] = resources
    return out


def changed_fields(old: dict[str, Any] | None, new: dict[str, Any]) -> list[str]:
    if old is None:
        return sorted(new)
    return sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))


def add_organizations(config_file: Path, wanted: dict[str, dict[str, str]],
                      known: set[str], *, dry_run: bool) -> list[str]:
    """Append the organisations opendata.yaml does not know yet, as text (keeping the
    file's comments and layout); returns the keys added."""
    new = {k: v for k, v in sorted(wanted.items()) if k not in known}
    if not new or dry_run:
        return sorted(new)
    text = config_file.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    block = "".join(
        f"  {key}:\n    title: {_yaml_scalar(info.get('title') or key)}\n"
        + (f"    description: {_yaml_scalar(info['description'])}\n"
           if info.get("description") else "")
        for key, info in new.items())
    start = next((i for i, line in enumerate(lines) if re.match(r"organizations:\s*(#.*)?$",
                                                                 line)), None)
    if start is None:
        text = text.rstrip("\n") + "\norganizations:\n" + block
    else:
        end = start + 1
        while end < len(lines) and (not lines[end].strip() or lines[end][0] in " \t#"):
            end += 1
        while end > start + 1 and not lines[end - 1].strip():
            end -= 1
        if lines and not lines[end - 1].endswith("\n"):
            lines[end - 1] += "\n"
        lines.insert(end, block)
        text = "".join(lines)
    config_file.write_text(text, encoding="utf-8")
    return sorted(new)


def _yaml_scalar(text: str) -> str:
    dumped = yaml.safe_dump(text, allow_unicode=True, width=10_000, default_style=None)
    return dumped.removesuffix("\n...\n").rstrip("\n")


Fetch = Callable[[str, Path], Path]


def file_name(url: str, resource: str, fmt: str) -> str:
    """The URL's own file name when it has the resource's format as extension, else
    ``<resource>.<format>``: stable, safe, and never a path."""
    from urllib.parse import unquote, urlparse

    base = SAFE_FILE.sub("-", Path(unquote(urlparse(url).path)).name).strip(".-")
    if base and base.lower().endswith(f".{fmt}"):
        return base
    return f"{resource}.{fmt}"


def fetch_file(url: str, dest: Path, *, max_bytes: int, timeout: float = 60.0,
               attempts: int = 3) -> Path:
    """Download ``url`` to ``dest`` (resumable: bytes go to ``dest.part`` and a broken
    transfer continues with a Range request on the next attempt or the next run); more than
    ``max_bytes`` stops the transfer."""
    import requests

    part = dest.with_name(dest.name + ".part")
    last: Exception | None = None
    for _ in range(attempts):
        have = part.stat().st_size if part.exists() else 0
        headers = {"Range": f"bytes={have}-"} if have else {}
        try:
            with requests.get(url, headers=headers, stream=True, timeout=(10, timeout),
                              allow_redirects=True) as resp:
                if resp.status_code == 416 and have:
                    break  # already complete
                if resp.status_code not in (200, 206):
                    raise PortalError(f"{url}: HTTP {resp.status_code}", status=resp.status_code)
                mode = "ab" if resp.status_code == 206 else "wb"
                size = have if mode == "ab" else 0
                with part.open(mode) as fh:
                    for chunk in resp.iter_content(1 << 16):
                        size += len(chunk)
                        if size > max_bytes:
                            raise UsageError(f"{url}: larger than {max_bytes} bytes")
                        fh.write(chunk)
            break
        except (requests.RequestException, OSError) as exc:
            last = exc
    else:
        raise PortalError(f"{url}: download failed ({type(last).__name__}); the bytes received "
                          f"are kept in {part.name}, run the import again to resume")
    part.replace(dest)
    return dest


def download_resources(remote: RemoteDataset, manifest: dict[str, Any], folder: Path,
                       fetch: Fetch, *, max_bytes: int, item: ImportItem) -> None:
    """Fetch every remote file into the dataset folder; a file that cannot be had keeps
    its ``url`` (with a warning), one whose sha256 differs from the portal's is refused."""
    by_name = {r["name"]: r for r in manifest.get("resources") or []}
    for res in remote.resources:
        entry = by_name.get(res.manifest["name"])
        url = res.download_url
        if entry is None or not url or "path" in entry:
            continue
        if res.size is not None and res.size > max_bytes:
            item.warnings.append(f"resource {entry['name']}: {res.size} bytes is over the "
                                 f"--max-bytes limit ({max_bytes}); kept as a URL")
            continue
        try:
            path = fetch(url, folder / file_name(url, entry["name"], entry["format"]))
        except (OpendataError, OSError) as exc:
            text = getattr(exc, "message", str(exc))
            item.warnings.append(f"resource {entry['name']}: download failed ({text}); kept "
                                 "as a URL")
            continue
        if path.stat().st_size > max_bytes:
            path.unlink()
            item.warnings.append(f"resource {entry['name']}: larger than --max-bytes; kept "
                                 "as a URL")
            continue
        if res.sha256:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            if digest != res.sha256:
                path.unlink()
                item.warnings.append(f"resource {entry['name']}: the file's sha256 {digest} "
                                     f"differs from the portal's {res.sha256}; not kept")
                continue
        entry.pop("url", None)
        entry["path"] = path.name
        item.downloads.append(path.name)
