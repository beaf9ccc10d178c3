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

_memo: dict[tuple[str, str, int, int], str] = {}
_lock = threading.Lock()


def sha256_file(path: Path) -> str:
    """sha256 of ``path``'s bytes, read in 1 MiB chunks (no memo)."""
    return file_digest(path, "sha256")


def file_digest(path: Path, algorithm: str) -> str:
    """``algorithm`` (a hashlib name) of ``path``'s bytes, read in 1 MiB chunks (no memo)."""
    digest = hashlib.new(algorithm, usedforsecurity=False)
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _key(path: Path, stat: os.stat_result, algorithm: str) -> tuple[str, str, int, int]:
    return (algorithm, os.path.abspath(path), stat.st_size, stat.st_mtime_ns)


def source_digest(path: Path, algorithm: str = "sha256") -> str:
    """Digest of a catalog file, read once per version of the file (udata also needs the
    sha1 it computes for hosted files)."""
    key = _key(path, path.stat(), algorithm)
    with _lock:
        known = _memo.get(key)
    if known is None:
        known = sha256_file(path) if algorithm == "sha256" else file_digest(path, algorithm)
        with _lock:
            _memo[key] = known
    return known


def source_sha256(path: Path) -> str:
    """sha256 of a catalog file, read once per version of the file."""
    return source_digest(path, "sha256")


def remember(path: Path, stat: os.stat_result, sha256: str) -> None:
    """Record a sha256 computed elsewhere (validation hashes while it decodes), valid for
    the file as it was when ``stat`` was taken."""
    with _lock:
        _memo[_key(path, stat, "sha256")] = sha256
