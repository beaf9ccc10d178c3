"""Reproducible zips: fixed timestamps and member order, so the same catalog commit gives
byte-identical archives (and the same sha256) on any machine."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import subprocess
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from opendata.checksums import sha256_file, source_sha256
from opendata.errors import UsageError

#: Zip timestamps cannot go before 1980; also the default when SOURCE_DATE_EPOCH is unset.
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)

Member = bytes | Path

def zip_timestamp() -> tuple[int, int, int, int, int, int]:
    """Timestamp of every member: ``SOURCE_DATE_EPOCH`` when set (the reproducible-builds
    convention), else 1980-01-01, so that the build date never changes the bytes."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if not epoch:
        return ZIP_EPOCH
    try:
        when = dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC)
    except (ValueError, OverflowError, OSError):
        raise UsageError(f"SOURCE_DATE_EPOCH={epoch!r} is not a Unix timestamp") from None
    stamp = (when.year, when.month, when.day, when.hour, when.minute, when.second - when.second % 2)
    return max(stamp, ZIP_EPOCH)

def write_zip(path: Path, members: dict[str, Member]) -> tuple[str, int]:
    """Write ``members`` (zip name -> bytes or file) reproducibly; return (sha256, size).

    Sorted names, one timestamp, mode 0644, deflate at a fixed level, no extra fields and
    no directory entries.  Written to a temporary file then renamed, so a reader never
    sees half a zip.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    stamp = zip_timestamp()
    with zipfile.ZipFile(tmp, "w") as zf:
        for name in sorted(members):
            content = members[name]
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, so that external_attr means permissions
            info.external_attr = (0o100644 & 0xFFFF) << 16
            # the level is an attribute of ZipInfo (private before Python 3.13)
            setattr(info, "compress_level" if hasattr(info, "compress_level")
                    else "_compresslevel", 9)
            if isinstance(content, bytes):
                zf.writestr(info, content)
            else:
                info.file_size = content.stat().st_size
                with content.open("rb") as src, zf.open(info, "w", force_zip64=info.file_size
                                                        > 0x7FFFFFFF) as dst:
                    while chunk := src.read(1 << 20):
                        dst.write(chunk)
    tmp.replace(path)
    return sha256_file(path), path.stat().st_size

def _digest(content: Member) -> tuple[str, int]:
    if isinstance(content, bytes):
        return hashlib.sha256(content).hexdigest(), len(content)
    return source_sha256(content), content.stat().st_size

def _json_bytes(data: Any) -> bytes:
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")

def catalog_commit(root: Path, paths: Iterable[Path] = ()) -> tuple[str | None, bool | None]:
    """The catalog commit that last changed ``paths`` (or the shared inputs they depend
    on), and whether the work tree differs from it.

    Not ``HEAD``: a pack records the commit its content comes from, so an unrelated merge
    leaves the zip byte-identical and harvesters see an unchanged checksum (no re-upload).
    (None, None) outside git: a pack built from a tarball is still a valid pack.
    """
    rels = [str(p) for p in paths]
    shared = [s for s in ("opendata.yaml", "licences", "validation") if (root / s).exists()]
    try:
        head = subprocess.run(["git", "log", "-1", "--format=%H", "--", *rels, *shared],
                              cwd=root, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None, None
    if head.returncode != 0 or not head.stdout.strip():
        return None, None
    status = subprocess.run(["git", "status", "--porcelain", "--", *rels], cwd=root,
                            capture_output=True, text=True, timeout=60)
    dirty = bool(status.stdout.strip()) if status.returncode == 0 else None
    return head.stdout.strip(), dirty
