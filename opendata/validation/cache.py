"""Validation results cached by content, under ``.opendata/`` (git-ignored).

The key is everything that can change a result: the file's sha256, the schema's hash, the
dialect, the format and opendata's version.  A hit means "this exact file was already
checked against this exact schema", so skipping it is safe.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

CACHE_DIR = ".opendata/cache/validation"


class Cache:
    """One JSON file per entry: concurrent runs never corrupt each other's entries."""

    def __init__(self, root: Path):
        self.dir = root / CACHE_DIR

    def _file(self, key: str) -> Path:
        return self.dir / (hashlib.sha256(key.encode()).hexdigest() + ".json")

    def get(self, key: str) -> dict[str, Any] | None:
        try:
            return json.loads(self._file(key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def put(self, key: str, value: dict[str, Any]) -> None:
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            tmp = self._file(key).with_suffix(f".{os.getpid()}.tmp")
            try:
                tmp.write_text(json.dumps(value, ensure_ascii=False), encoding="utf-8")
                tmp.replace(self._file(key))
            finally:  # interrupted (Ctrl-C) between the two: leave no *.tmp behind
                tmp.unlink(missing_ok=True)
        except OSError:
            pass  # a cache that cannot be written only costs time
