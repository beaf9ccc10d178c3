"""Downloading, verifying, extracting and loading packs (``opendata download``, ``load_pack``).

Order matters here, and is the point of the module: a pack is fetched completely (resuming
with HTTP ``Range`` when a connection drops), then *every* zip member is checked against
``pack.lock.json`` — names, types, sizes and sha256 — before a single byte is written
outside the download folder.  Extraction then goes into a temporary folder renamed into
place only when all of it succeeded, so a reader never meets a half-extracted pack.

Zips come from the network, so they are treated as hostile: absolute paths, ``..``,
links and special files are refused, and both the declared and the actual sizes are
capped (zip bombs lie about their sizes; the actual bytes are counted while streaming).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import stat
import struct
import tempfile
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlparse

from opendata.errors import (
    IntegrityError,
    OpendataError,
    PortalError,
    UsageError,
    ValidationFailed,
)
from opendata.packages.packs import LOCK_NAME

if TYPE_CHECKING:
    import pandas as pd

#: ``progress(done_bytes, total_bytes_or_None)``
ByteProgress = Callable[[int, int | None], None]

CHUNK = 1 << 16
#: Largest lock file we agree to parse (a lock lists files; megabytes would be absurd).
MAX_LOCK_BYTES = 16 << 20
_PORTAL_SOURCE = re.compile(r"^(?P<target>[A-Za-z0-9][A-Za-z0-9_.-]*):(?P<pack>[a-z0-9][a-z0-9_.-]*)$")


@dataclass(frozen=True)
class Limits:
    """Caps against zip bombs; generous for open data, fatal for a bomb."""

    max_files: int = 10_000
    max_total_bytes: int = 8 << 30
    max_ratio: int = 1000  # uncompressed/compressed, for members over 1 MiB
    #: the same ratio over the whole zip, once it expands beyond ``ratio_floor``: many
    #: small members each under the per-member threshold add up too
    max_total_ratio: int = 100
    ratio_floor: int = 16 << 20
    #: longest member name and path component (file systems refuse longer ones)
    max_name_bytes: int = 1024
    max_component_bytes: int = 255


@dataclass
class ResourceLocation:
    name: str
    path: Path | str
    dataset: str | None = None
    tabular: bool = False


@dataclass
class DownloadResult:
    """What ``download()`` did: where the zip and its extraction are, what is in them."""

    zip_path: Path | None
    folder: Path | None
    lock: dict[str, Any]
    resources: list[ResourceLocation] = field(default_factory=list)
    #: data errors Frictionless found after extraction (empty when valid or not checked)
    errors: list[str] = field(default_factory=list)
    validated: bool = False
    resumed: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors


# --------------------------------------------------------------------------- fetching


def classify_source(source: str) -> tuple[str, str]:
    """``("url", url)``, ``("path", path)`` or ``("portal", "TARGET:PACK")``."""
    if source.startswith(("http://", "https://")):
        return "url", source
    if Path(source).exists():
        return "path", source
    if _PORTAL_SOURCE.match(source):
        return "portal", source
    if "://" in source:
        raise UsageError(f"unsupported source {source!r}", "Use a path, an http(s) URL or "
                         "TARGET:PACK.")
    raise UsageError(f"{source}: no such file or folder",
                     "SOURCE is a zip, an extracted pack folder, an http(s) URL or "
                     "TARGET:PACK (a collection on a configured portal).")


def _file_name(url: str) -> str:
    name = PurePosixPath(unquote(urlparse(url).path)).name
    name = re.sub(r"[^A-Za-z0-9._-]", "_", name)
    return name if name.endswith(".zip") and name != ".zip" else "pack.zip"


def fetch_url(url: str, folder: Path, *, progress: ByteProgress | None = None,
              attempts: int = 4, timeout: float = 60, session: Any = None,
              deadline: float = 6 * 3600.0,
              notify: Callable[[str], None] | None = None) -> tuple[Path, bool]:
    """Download ``url`` into ``folder``; return (zip path, whether a resume happened).

    ``timeout`` bounds each wait for bytes (a stalled server fails that attempt),
    ``deadline`` the whole download, retries included; ``notify`` gets a line when
    no byte has come for a third of ``timeout`` (default: stderr).

    Bytes go to ``<name>.part``; a broken connection is retried from where it stopped with
    ``Range: bytes=N-`` (a server answering 200 instead of 206 sends the whole file again,
    which is handled).  Only a complete file is renamed to ``<name>``.  When every attempt
    fails the ``.part`` stays, and running the command again resumes it.
    """
    import sys
    import threading
    import time

    import requests
    import urllib3

    if notify is None:
        def notify(message: str) -> None:
            print(f"opendata: {message}", file=sys.stderr, flush=True)

    started = time.monotonic()
    sess = session or requests.Session()
    folder.mkdir(parents=True, exist_ok=True)
    dest = folder / _file_name(url)
    part = dest.with_name(dest.name + ".part")
    total: int | None = None
    resumed = False
    last_error = "no attempt made"
    for _attempt in range(max(1, attempts)):
        remaining = deadline - (time.monotonic() - started)
        if remaining <= 0:
            last_error = f"no complete download within the {deadline:.0f} s deadline"
            break
        have = part.stat().st_size if part.exists() else 0
        headers = {"Range": f"bytes={have}-", "Accept-Encoding": "identity"} if have else \
            {"Accept-Encoding": "identity"}
        try:
            watch = threading.Timer(max(1.0, timeout / 3), notify, args=(
                f"waiting for {url}: no data for {max(1.0, timeout / 3):.0f} s (giving up "
                f"after {timeout:.0f} s without data; what arrived is kept)",))
            watch.daemon = True
            watch.start()
            with sess.get(url, headers=headers, stream=True,
                          timeout=min(timeout, remaining)) as resp:
                if resp.status_code == 416 and have:
                    part.unlink()  # our partial file does not fit the server's file
                    last_error = "server refused the range; starting again"
                    continue
                if resp.status_code >= 400:
                    raise PortalError(f"{url}: HTTP {resp.status_code} {resp.reason}",
                                      "Check the URL.", status=resp.status_code)
                mode = "wb"
                if resp.status_code == 206:
                    match = re.match(r"bytes (\d+)-(\d+)/(\d+|\*)",
                                     resp.headers.get("Content-Range", ""))
                    if not match or int(match.group(1)) != have:
                        part.unlink(missing_ok=True)
                        last_error = "server sent an unexpected range; starting again"
                        continue
                    mode = "ab"
                    resumed = True
                    total = int(match.group(3)) if match.group(3) != "*" else None
                else:
                    have = 0
                    length = resp.headers.get("Content-Length")
                    total = int(length) if length and length.isdigit() else None
                with part.open(mode) as fh:
                    if progress:
                        progress(have, total)
                    # read1 hands over what has arrived: when the connection drops, every
                    # byte received so far is already on disk for the next resume
                    read = getattr(resp.raw, "read1", None) or resp.raw.read
                    while chunk := read(CHUNK):
                        fh.write(chunk)
                        fh.flush()
                        have += len(chunk)
                        if progress:
                            progress(have, total)
                        if time.monotonic() - started > deadline:
                            raise TimeoutError("deadline")
        except (requests.ConnectionError, requests.Timeout, urllib3.exceptions.HTTPError,
                requests.exceptions.ChunkedEncodingError, ConnectionError,
                TimeoutError) as exc:
            last_error = ("stalled: no data for "
                          f"{min(timeout, remaining):.0f} s" if "timed out" in str(exc).lower()
                          or isinstance(exc, requests.Timeout | TimeoutError)
                          else f"connection lost ({type(exc).__name__})")
            continue
        except requests.RequestException as exc:  # invalid URL, too many redirects
            raise PortalError(f"{url}: cannot download ({type(exc).__name__}: "
                              f"{str(exc)[:200]})", "Check the URL.") from None
        finally:
            watch.cancel()
        if total is not None and have < total:
            last_error = f"connection closed at {have} of {total} bytes"
            continue
        if total is not None and have > total:
            part.unlink()
            raise IntegrityError(f"{url}: received {have} bytes, more than the {total} announced",
                                 "Download it again.")
        part.replace(dest)
        return dest, resumed
    size = part.stat().st_size if part.exists() else 0
    raise IntegrityError(
        f"download of {url} incomplete: {last_error}; {size} bytes kept in {part}",
        "Run the same command again: it resumes where it stopped. Nothing was extracted.")


# --------------------------------------------------------------------------- zip checks


def _is_link_or_special(info: zipfile.ZipInfo) -> bool:
    mode = info.external_attr >> 16
    if info.create_system != 3 or mode == 0:  # not Unix: no file type recorded
        return False
    kind = stat.S_IFMT(mode)
    return kind not in (0, stat.S_IFREG, stat.S_IFDIR)


#: what opendata's own zips use; anything else (AES, deflate64, ...) is not ours
SUPPORTED_COMPRESSION = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflate"}


def unsafe_member(info: zipfile.ZipInfo, limits: Limits | None = None) -> str | None:
    """Why a member must not be extracted, or None when it is a plain relative file."""
    limits = limits or Limits()
    name = info.filename
    if info.flag_bits & 0x1:
        return f"{name!r} is encrypted"
    if info.compress_type not in SUPPORTED_COMPRESSION:
        return f"{name!r} uses an unsupported compression method ({info.compress_type})"
    encoded = name.encode("utf-8", "surrogateescape")
    if len(encoded) > limits.max_name_bytes or any(
            len(p.encode("utf-8", "surrogateescape")) > limits.max_component_bytes
            for p in name.split("/")):
        return f"{name[:60]!r}... has an over-long name ({len(encoded)} bytes)"
    if any(ord(c) < 32 for c in name):
        return f"{name!r} has a control character in its name"
    if _is_link_or_special(info):
        kind = "a symbolic link" if stat.S_ISLNK(info.external_attr >> 16) else "a special file"
        return f"{name!r} is {kind}"
    if "\\" in name or "\x00" in name:
        return f"{name!r} has a backslash or NUL in its name"
    path = PurePosixPath(name)
    if name.startswith("/") or path.is_absolute() or re.match(r"^[A-Za-z]:", name):
        return f"{name!r} is an absolute path"
    if ".." in path.parts:
        return f"{name!r} climbs out of the folder ('..')"
    if any(p in ("", ".") for p in name.rstrip("/").split("/")):
        return f"{name!r} has an empty or '.' path component"
    return None


def _open_zip(path: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, struct.error, OverflowError,
            NotImplementedError, RuntimeError, KeyError, IndexError) as exc:
        raise IntegrityError(f"{path}: not a readable zip ({exc})",
                             "The download is damaged: delete it and download again.") from None


def check_members(zf: zipfile.ZipFile, limits: Limits) -> list[zipfile.ZipInfo]:
    """The file members, after refusing unsafe names, links, duplicates and bombs
    (declared sizes; actual sizes are checked while reading)."""
    infos = zf.infolist()
    if len(infos) > limits.max_files:
        raise IntegrityError(f"{zf.filename}: {len(infos)} members, more than the "
                             f"{limits.max_files} allowed", "This is not an opendata pack.")
    problems = [p for p in (unsafe_member(i, limits) for i in infos) if p]
    if problems:
        raise IntegrityError(f"{zf.filename}: refused, nothing extracted: " + "; ".join(problems),
                             "The zip tries to write outside its folder or contains links; "
                             "do not extract it by hand either.")
    files = [i for i in infos if not i.is_dir()]
    names = [i.filename for i in files]
    folded: dict[str, str] = {}
    conflicts: set[str] = set()
    for n in names:  # duplicates, also by case (one file on macOS and Windows)
        key = n.casefold().rstrip("/")
        if key in folded:
            conflicts.add(n if folded[key] == n else f"{folded[key]} / {n}")
        folded[key] = n
    parents = {"/".join(n.split("/")[:i]).casefold() for n in names
               for i in range(1, n.count("/") + 1)}
    conflicts |= {n for n in names if n.casefold() in parents}  # a file where a folder goes
    if conflicts:
        raise IntegrityError(f"{zf.filename}: refused: conflicting member(s) "
                             f"{', '.join(sorted(conflicts)[:10])}",
                             "Two members would be written to the same place; this is not a "
                             "pack opendata built.")
    declared = sum(i.file_size for i in files)
    if declared > limits.max_total_bytes:
        raise IntegrityError(f"{zf.filename}: would extract {declared} bytes, more than the "
                             f"{limits.max_total_bytes} allowed",
                             "Raise the limit only if you trust this pack.")
    packed = sum(i.compress_size for i in files)
    if declared > limits.ratio_floor and declared > limits.max_total_ratio * max(1, packed):
        raise IntegrityError(f"{zf.filename}: {len(files)} members expand {declared} bytes "
                             f"from {packed}: refused as a zip bomb",
                             "Open data compresses far less than this.")
    for i in files:
        if i.file_size > (1 << 20) and i.file_size > limits.max_ratio * max(1, i.compress_size):
            raise IntegrityError(f"{zf.filename}: {i.filename!r} expands {i.file_size} bytes "
                                 f"from {i.compress_size}: refused as a zip bomb")
    return files


def _read_lock(zf: zipfile.ZipFile) -> dict[str, Any]:
    try:
        info = zf.getinfo(LOCK_NAME)
    except KeyError:
        raise IntegrityError(f"{zf.filename}: no {LOCK_NAME}: not an opendata pack, or damaged",
                             "Packs built by `opendata pack` carry one.") from None
    data = _read_member(zf, info, MAX_LOCK_BYTES)[0]
    try:
        lock = json.loads(data)
    except ValueError as exc:
        raise IntegrityError(f"{zf.filename}: {LOCK_NAME} is not valid JSON ({exc})") from None
    if not isinstance(lock, dict) or not isinstance(lock.get("files"), dict):
        raise IntegrityError(f"{zf.filename}: {LOCK_NAME} has no `files` table")
    return lock


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int,
                 sink: Any = None) -> tuple[bytes, str, int]:
    """Stream one member: (content when no sink, sha256, size).  Stops as soon as the
    actual bytes exceed what the header declared or ``cap``."""
    digest = hashlib.sha256()
    size = 0
    buf = bytearray()
    limit = min(cap, info.file_size)
    try:
        with zf.open(info) as src:
            while chunk := src.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise IntegrityError(
                        f"{zf.filename}: {info.filename!r} holds more bytes than declared "
                        f"({info.file_size}) or allowed: refused as a zip bomb")
                digest.update(chunk)
                if sink is None:
                    buf += chunk
                else:
                    sink.write(chunk)
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error, ValueError, struct.error,
            OverflowError) as exc:  # CRC, truncated, a local header that lies about its name
        raise IntegrityError(f"{zf.filename}: {info.filename!r} is damaged ({exc})",
                             "Download the pack again.") from None
    except (NotImplementedError, RuntimeError) as exc:  # compression, encryption, version
        raise IntegrityError(f"{zf.filename}: {info.filename!r} cannot be read ({exc})",
                             "This is not a pack opendata built.") from None
    return bytes(buf), digest.hexdigest(), size


def _compare(files: dict[str, Any], name: str, sha: str, size: int, problems: list[str]) -> None:
    want = files.get(name)
    if not isinstance(want, dict):
        problems.append(f"{name}: not listed in {LOCK_NAME}")
    elif want.get("sha256") != sha or want.get("bytes") != size:
        problems.append(f"{name}: checksum mismatch (sha256 {sha[:12]}…, {size} bytes; "
                        f"lock says {str(want.get('sha256'))[:12]}…, {want.get('bytes')} bytes)")


def verify_zip(path: Path, limits: Limits | None = None) -> dict[str, Any]:
    """Check every member of the zip at ``path`` against its lock; return the lock.

    Raises :class:`IntegrityError` naming every file that is missing, unexpected or
    different.  Reads the zip only: nothing is written.
    """
    limits = limits or Limits()
    with _open_zip(path) as zf:
        files = check_members(zf, limits)
        lock = _read_lock(zf)
        problems: list[str] = []
        total = 0
        seen = set()
        for info in files:
            if info.filename == LOCK_NAME:
                continue
            seen.add(info.filename)
            _, sha, size = _read_member(zf, info, limits.max_total_bytes - total,
                                        sink=_NullSink())
            total += size
            _compare(lock["files"], info.filename, sha, size, problems)
        problems += [f"{name}: listed in {LOCK_NAME} but missing from the zip"
                     for name in sorted(set(lock["files"]) - seen)]
    if problems:
        raise IntegrityError(f"{path.name}: {len(problems)} file(s) fail verification, "
                             "nothing extracted:\n  " + "\n  ".join(problems),
                             "The pack was altered or damaged: download it again from the "
                             "publisher.")
    return lock


class _NullSink:
    def write(self, _data: bytes) -> None:
        pass


def check_zip_sha256(path: Path, expected: str | None) -> None:
    """Compare the zip with the checksum the publisher gave (``--sha256``, or the
    ``<zip>.sha256`` file beside it)."""
    from opendata.checksums import sha256_file

    sidecar = path.with_name(path.name + ".sha256")
    if expected is None and sidecar.is_file():
        expected = sidecar.read_text(encoding="utf-8").split()[0] if sidecar.read_text(
            encoding="utf-8").strip() else None
    if expected is None:
        return
    actual = sha256_file(path)
    if actual != expected.lower():
        raise IntegrityError(f"{path.name}: sha256 {actual} differs from the published "
                             f"{expected.lower()}", "Download the pack again.")


def extract_pack(path: Path, dest: Path, limits: Limits | None = None) -> Path:
    """Verify then extract the zip into ``dest`` atomically; return the folder.

    Members are hashed again while written (the zip could change between the two reads);
    any problem removes the temporary folder, so ``dest`` gets all of it or nothing.  An
    earlier extraction of a pack at ``dest`` is replaced; any other existing folder is not
    touched.
    """
    limits = limits or Limits()
    lock = verify_zip(path, limits)
    if dest.exists() and not (dest / LOCK_NAME).is_file():
        raise UsageError(f"{dest} exists and is not an extracted pack: not overwriting it",
                         "Choose another folder with --to.")
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
    tmp.chmod(0o755)  # mkdtemp makes it private; the extraction is an ordinary folder
    try:
        with _open_zip(path) as zf:
            files = check_members(zf, limits)
            problems: list[str] = []
            total = 0
            for info in files:
                target = tmp.joinpath(*PurePosixPath(info.filename).parts)
                if not target.resolve().is_relative_to(tmp.resolve()):
                    raise IntegrityError(f"{info.filename!r} resolves outside the folder")
                target.parent.mkdir(parents=True, exist_ok=True)
                with target.open("xb") as out:
                    _, sha, size = _read_member(zf, info, limits.max_total_bytes - total,
                                                sink=out)
                total += size
                if info.filename != LOCK_NAME:
                    _compare(lock["files"], info.filename, sha, size, problems)
            if problems:
                raise IntegrityError(f"{path.name}: changed while extracting:\n  "
                                     + "\n  ".join(problems))
        if dest.exists():
            old = dest.with_name(f".{dest.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            dest.rename(old)
            tmp.rename(dest)
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(dest)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return dest


def verify_folder(folder: Path) -> dict[str, Any]:
    """Check an extracted pack against its lock: every listed file present and identical.
    Files added next to them (the user's own) are allowed."""
    from opendata.checksums import sha256_file

    lock_file = folder / LOCK_NAME
    if not lock_file.is_file():
        raise IntegrityError(f"{folder}: no {LOCK_NAME}: not an extracted opendata pack")
    try:
        lock = json.loads(lock_file.read_text(encoding="utf-8"))
        files = lock["files"]
    except (ValueError, KeyError, TypeError) as exc:
        raise IntegrityError(f"{lock_file}: unreadable lock ({exc})") from None
    problems: list[str] = []
    for name in sorted(files):
        if unsafe_member(zipfile.ZipInfo(name)):
            problems.append(f"{name}: unsafe path in the lock")
            continue
        file = folder.joinpath(*PurePosixPath(name).parts)
        if not file.is_file() or file.is_symlink():
            problems.append(f"{name}: missing")
            continue
        _compare(files, name, sha256_file(file), file.stat().st_size, problems)
    if problems:
        raise IntegrityError(f"{folder}: {len(problems)} file(s) fail verification:\n  "
                             + "\n  ".join(problems),
                             "Files were edited or removed after extraction: extract the "
                             "pack again.")
    return lock


# --------------------------------------------------------------------------- data


def _local_descriptor(folder: Path) -> dict[str, Any]:
    """``datapackage.json`` of an extracted pack, its resource paths checked like a
    manifest's: relative, inside the folder after following links, never a special file."""
    try:
        desc = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError) as exc:
        raise IntegrityError(f"{folder}: unreadable datapackage.json ({exc})") from None
    if not isinstance(desc, dict) or not isinstance(desc.get("resources", []), list) or not all(
            isinstance(r, dict) for r in desc.get("resources", [])):
        raise IntegrityError(f"{folder}/datapackage.json: not a Data Package (`resources` must "
                             "be a list of objects)", "Download the pack again.")
    for res in desc.get("resources", []):
        if not _is_remote(res):
            res_path(folder, res)
    return desc


def res_path(folder: Path, res: dict[str, Any]) -> Path:
    """The file of a local resource of a pack, or :class:`IntegrityError` when its path is
    absolute, climbs out (``..``, a symbolic link), or is not a regular file."""
    from opendata.catalog.manifests import locate

    path = res.get("path")
    if not isinstance(path, str):
        raise IntegrityError(f"{folder}/datapackage.json: resource {res.get('name')!r} has no "
                             "path (or not a text one)", "Download the pack again.")
    file, problem = locate(folder, path)
    if problem is not None and problem.code != "missing-file":
        raise IntegrityError(f"{folder}/datapackage.json: resource {res.get('name')!r}: "
                             f"{problem.message}", "The pack was altered; do not use it.")
    assert file is not None
    return file


def _is_remote(res: dict[str, Any]) -> bool:
    path = res.get("path")
    return isinstance(path, str) and path.startswith(("http://", "https://"))


def revalidate(folder: Path) -> list[str]:
    """Validate the extracted data with Frictionless; return its errors as text.

    Remote resources are left out: checking them would need the network, and they are
    not part of what was downloaded.
    """
    from frictionless import Package

    desc = _local_descriptor(folder)
    desc["resources"] = [r for r in desc.get("resources", []) if not _is_remote(r)]
    if not desc["resources"]:
        return []
    from frictionless import FrictionlessException

    try:
        report = Package(desc, basepath=str(folder)).validate()
    except FrictionlessException as exc:
        return [f"datapackage.json: {exc}"]
    errors = []
    for task in report.tasks:
        for err in task.errors[:20]:
            row = getattr(err, "row_number", None)
            where = f"{task.name}" + (f" row {row}" if row else "")
            errors.append(f"{where}: {err.message}")
    errors += [e.message for e in report.errors]
    return errors


def resource_locations(folder: Path, descriptor: dict[str, Any] | None = None
                       ) -> list[ResourceLocation]:
    desc = descriptor or _local_descriptor(folder)
    out = []
    for res in desc.get("resources", []):
        path = res.get("path")
        where: Path | str = path if _is_remote(res) else res_path(folder, res)
        out.append(ResourceLocation(name=res.get("name", ""), path=where,
                                    dataset=res.get("dataset"),
                                    tabular=res.get("profile") == "tabular-data-resource"))
    return out


# --------------------------------------------------------------------------- download


def download(source: str, to: Path | str | None = None, *, verify_only: bool = False,
             sha256: str | None = None,
             progress: ByteProgress | None = None, limits: Limits | None = None,
             validate_data: bool = True, session: Any = None,
             resolve_portal: Callable[[str, str], str] | None = None) -> DownloadResult:
    """Fetch (path, URL or ``TARGET:PACK``), verify, extract into ``to`` and re-validate.

    The zip lands in ``to`` (default: the current folder) and is extracted into
    ``to/<zip name without .zip>/``.  With ``verify_only`` nothing is downloaded or
    extracted: SOURCE (a zip or an extracted folder) is checked against its lock, and its
    data re-validated when it is a folder.  Integrity problems raise
    :class:`IntegrityError`; data errors are returned in ``errors``.

    ``TARGET:PACK`` needs ``resolve_portal(target, pack) -> url`` (the CLI passes
    :func:`opendata.harvesters.lookup.resolve_portal_source`): looking a pack up on a portal
    takes a portal client, which this stage does not know about.
    """
    limits = limits or Limits()
    kind, value = classify_source(source)
    dest_dir = (Path(to) if to is not None else Path.cwd()).resolve()
    if kind == "portal":
        target, pack = value.split(":", 1)
        if resolve_portal is None:
            raise UsageError(f"{source!r} names a pack on portal {target!r}, and no portal "
                             "lookup was given",
                             "From Python, pass resolve_portal=functools.partial("
                             "opendata.harvesters.lookup.resolve_portal_source, ROOT); or "
                             "give the pack's URL or zip.")
        value = resolve_portal(target, pack)
        kind = "url"
    resumed = False
    if kind == "url":
        if verify_only:
            raise UsageError("--verify-only checks a download already on disk",
                             "Give the path of the zip or of the extracted folder.")
        zip_path, resumed = fetch_url(value, dest_dir, progress=progress, session=session)
    else:
        zip_path = Path(value)
    if zip_path.is_dir():
        if not verify_only:
            raise UsageError(f"{zip_path} is a folder", "Use --verify-only to check an "
                             "extracted pack, or give the zip.")
        lock = verify_folder(zip_path)
        result = DownloadResult(zip_path=None, folder=zip_path, lock=lock,
                                resources=resource_locations(zip_path))
        if validate_data:
            result.errors, result.validated = revalidate(zip_path), True
        return result
    check_zip_sha256(zip_path, sha256)
    if verify_only:
        lock = verify_zip(zip_path, limits)
        return DownloadResult(zip_path=zip_path, folder=None, lock=lock)
    folder = extract_pack(zip_path, dest_dir / zip_path.name.removesuffix(".zip"), limits)
    try:
        lock = json.loads((folder / LOCK_NAME).read_text(encoding="utf-8"))
        resources = resource_locations(folder)
    except OpendataError:
        # its lock holds, but its descriptor is refused: an extraction left in place would
        # look verified to whoever finds it
        shutil.rmtree(folder, ignore_errors=True)
        raise
    result = DownloadResult(zip_path=zip_path, folder=folder, lock=lock,
                            resources=resources, resumed=resumed)
    if validate_data:
        result.errors, result.validated = revalidate(folder), True
    return result


# --------------------------------------------------------------------------- load_pack


@dataclass
class LoadedPack:
    """A verified pack in memory: its descriptor, and a DataFrame per tabular resource."""

    path: Path
    descriptor: dict[str, Any]
    lock: dict[str, Any]
    frames: dict[str, pd.DataFrame]

    @property
    def name(self) -> str:
        return str(self.descriptor.get("name", ""))

    @property
    def resources(self) -> list[ResourceLocation]:
        return resource_locations(self.path, self.descriptor)

    def tables(self) -> dict[str, str]:
        """``<dataset>/<resource>`` -> frame key, for every table. A pack names its
        resources ``<dataset>.<resource>`` (slugs hold no dot); a dataset's own package
        names them ``<resource>``, the package being named after the dataset."""
        out = {}
        for key in self.frames:
            dataset, dot, resource = key.partition(".")
            out[f"{dataset}/{resource}" if dot else f"{self.name}/{key}"] = key
        return out

    def __getitem__(self, name: str) -> pd.DataFrame:
        """A table by ``<dataset>/<resource>`` (always works), by ``<dataset>`` when that
        dataset has one table, by its frame key (``<dataset>.<resource>``), or by its
        resource name alone when no other dataset has a resource of that name.

        An unknown or ambiguous name raises :class:`KeyError` listing the names to use.
        """
        if name in self.frames:
            return self.frames[name]
        tables = self.tables()
        if name in tables:
            return self.frames[tables[name]]
        of_dataset = [t for t in tables if t.split("/", 1)[0] == name]
        if len(of_dataset) == 1:
            return self.frames[tables[of_dataset[0]]]
        by_resource = [t for t in tables if t.split("/", 1)[1] == name]
        if not of_dataset and len(by_resource) == 1:
            return self.frames[tables[by_resource[0]]]
        several = of_dataset or by_resource
        hint = (f"{name!r} has several tables: use one of {', '.join(several)}." if several
                else f"Tables: {', '.join(tables) or 'none'} (pack[\"<dataset>/<resource>\"], "
                     "or pack[\"<dataset>\"] for a dataset with one table).")
        raise KeyError(f"no table {name!r} in pack {self.name!r}. {hint}")

    def __iter__(self):
        return iter(self.frames)

    def __len__(self) -> int:
        return len(self.frames)


def default_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "opendata" / "packs"


def load_pack(path_or_url: str | os.PathLike[str], *, to: Path | str | None = None,
              sha256: str | None = None) -> LoadedPack:
    """Load a pack (zip path, extracted folder, or URL) as pandas DataFrames.

    Zips and URLs are verified and extracted into ``to`` (default
    ``~/.cache/opendata/packs``, never next to your files); folders are verified in place.
    Columns get the types the Table Schema declares: numbers with decimal commas become
    floats, integers nullable ``Int64``, French dates ``datetime64``; delimiter, encoding
    and missing values come from the descriptor.
    """
    source = os.fspath(path_or_url)
    cache = Path(to) if to is not None else default_cache()
    kind, _ = classify_source(source)
    if kind == "path" and Path(source).is_dir():
        folder = Path(source)
        lock = verify_folder(folder)
        extracted = False
    else:
        result = download(source, cache, sha256=sha256, validate_data=False)
        assert result.folder is not None
        folder, lock = result.folder, result.lock
        extracted = True
    try:
        descriptor = _local_descriptor(folder)
        frames = {}
        for res in descriptor.get("resources", []):
            if res.get("profile") == "tabular-data-resource" and not _is_remote(res):
                frames[res["name"]] = read_table(folder, res)
    except OpendataError:
        if extracted:
            # this call extracted it: a pack refused on its contents must not stay in the
            # cache looking like a verified extraction
            shutil.rmtree(folder, ignore_errors=True)
        raise
    return LoadedPack(path=folder, descriptor=descriptor, lock=lock, frames=frames)


_TRUE = ["true", "True", "TRUE", "1"]
_FALSE = ["false", "False", "FALSE", "0"]


def read_table(folder: Path, res: dict[str, Any]) -> pd.DataFrame:
    """One CSV resource as a DataFrame typed by its Table Schema."""
    import pandas as pd

    from opendata.catalog.schemas import SchemaRefError, check_table_schema

    schema = res.get("schema") or {"fields": []}
    try:
        check_table_schema(schema, f"the schema of {res.get('name')!r} in datapackage.json")
    except SchemaRefError as exc:
        raise IntegrityError(exc.message, "The pack was altered or damaged.") from None
    fields = schema.get("fields", [])
    dialect = res.get("dialect") or {}
    if not isinstance(dialect, dict):
        raise IntegrityError(f"{res.get('name')}: its dialect in datapackage.json is not an "
                             "object", "The pack was altered or damaged.")
    encoding = str(res.get("encoding") or "utf-8").lower()
    if encoding in ("utf-8", "utf8"):
        encoding = "utf-8-sig"  # a BOM is not part of the first column's name
    missing = schema.get("missingValues", [""])
    header = dialect.get("header", True)
    file = res_path(folder, res)
    try:
        df = pd.read_csv(
            file, sep=dialect.get("delimiter", "\t" if res.get("format") == "tsv" else ","),
            quotechar=dialect.get("quoteChar", '"'), encoding=encoding, dtype=str,
            keep_default_na=False, na_values=missing,
            skipinitialspace=bool(dialect.get("skipInitialSpace", False)),
            comment=dialect.get("commentChar"), header=0 if header else None,
            names=None if header else [f["name"] for f in fields])
    except (OSError, ValueError, UnicodeDecodeError, TypeError, LookupError) as exc:
        raise ValidationFailed(f"{res.get('name')}: cannot read {file.name} ({exc})") from None
    for fld in fields:
        name = fld.get("name")
        if name not in df.columns:
            continue
        try:
            df[name] = _convert(df[name], fld)
        except (ValueError, TypeError) as exc:
            raise ValidationFailed(
                f"{res.get('name')}: field {name!r} does not parse as {fld.get('type')}: {exc}",
                "Run `opendata download --verify-only` on the folder to see the data "
                "errors.") from None
    return df


def _convert(col: pd.Series, fld: dict[str, Any]) -> pd.Series:
    import pandas as pd

    kind = fld.get("type", "string")
    fmt = fld.get("format", "default")
    if kind in ("integer", "year"):
        text = col
        if fld.get("groupChar"):
            text = text.str.replace(fld["groupChar"], "", regex=False)
        return pd.to_numeric(text, errors="raise").astype("Int64")
    if kind == "number":
        text = col
        if fld.get("groupChar"):
            text = text.str.replace(fld["groupChar"], "", regex=False)
        if fld.get("decimalChar", ".") != ".":
            text = text.str.replace(fld["decimalChar"], ".", regex=False)
        return pd.to_numeric(text, errors="raise").astype("float64")
    if kind == "boolean":
        true = set(fld.get("trueValues", _TRUE))
        false = set(fld.get("falseValues", _FALSE))
        bad = col.dropna()[~col.dropna().isin(true | false)]
        if len(bad):
            raise ValueError(f"{bad.iloc[0]!r} is neither true nor false")
        return col.map(lambda v: None if pd.isna(v) else v in true).astype("boolean")
    if kind in ("date", "datetime"):
        if fmt in ("default", None):
            return pd.to_datetime(col, format="ISO8601")
        if fmt == "any":
            return pd.to_datetime(col, format="mixed", dayfirst=True)
        return pd.to_datetime(col, format=fmt.removeprefix("fmt:"))
    return col

