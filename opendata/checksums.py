"""sha256 of files, computed once per file version.

Validation, the Data Package descriptors, the packs, DCAT and the harvesters all need the
sha256 of the same catalog files; without a memo a 1 GB file is read four or five times per
build.  The memo is keyed by (path, size, mtime): a file that changes gets a new entry.
It is for the catalog's own sources only; anything to be *verified* (a downloaded pack)
goes through :func:`sha256_file`, which always reads the bytes.
"""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

_memo: dict[tuple[str, int, int], str] = {}
_lock = threading.Lock()


def sha256_file(path: Path) -> str:
    """sha256 of ``path``'s bytes, read in 1 MiB chunks (no memo)."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _key(path: Path, stat: os.stat_result) -> tuple[str, int, int]:
    return (os.path.abspath(path), stat.st_size, stat.st_mtime_ns)


def source_sha256(path: Path) -> str:
    """sha256 of a catalog file, read once per version of the file."""
    key = _key(path, path.stat())
    with _lock:
        known = _memo.get(key)
    if known is None:
        known = sha256_file(path)
        with _lock:
            _memo[key] = known
    return known


def remember(path: Path, stat: os.stat_result, sha256: str) -> None:
    """Record a sha256 computed elsewhere (validation hashes while it decodes), valid for
    the file as it was when ``stat`` was taken."""
    with _lock:
        _memo[_key(path, stat)] = sha256
