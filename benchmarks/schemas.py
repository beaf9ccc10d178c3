"""National schema catalogue: what resolving ``schema: {name, version}`` and the
``opendata schemas``/``infer`` look-ups cost, on the shipped copy (60 Table Schemas, 167
versions).

    .venv/bin/python benchmarks/schemas.py [N]     # N resolutions (default 2,000)

Prints, side by side: resolving one national schema N times (each call reads the merged
index and returns a fresh descriptor; the file is parsed and shape-checked once per file
version) against reading and checking the file every time, as a file-path schema is; building
the merged catalogue; a full-text search; matching a header against every version.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

from opendata.catalog.schemas import (
    _read_json,
    bundled_sdg_dir,
    match_header,
    national_catalogue,
    resolve_schema,
)


def timed(label: str, fn, n: int = 1) -> float:
    start = time.perf_counter()
    for _ in range(n):
        fn()
    spent = time.perf_counter() - start
    per = f" ({spent / n * 1000:.3f} ms each)" if n > 1 else ""
    print(f"{label:<58} {spent:8.3f} s{per}")
    return spent


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    ref = {"name": "etalab/schema-irve-statique", "version": "2.3.1"}
    file = bundled_sdg_dir() / "etalab/schema-irve-statique/2.3.1/schema-statique.json"
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        timed(f"resolve IRVE statique 2.3.1 x{n} (cached parse)",
              lambda: resolve_schema(ref, root, root), n)
        timed(f"read + check the same file x{n} (no cache)", lambda: _read_json(file), n)
        timed("merged catalogue (60 Table Schemas, 167 versions)",
              lambda: national_catalogue(root))
        cat = national_catalogue(root)
        timed("search 'siret' (names, titles, fields)", lambda: cat.search(["siret"]))
        header = [f["name"] for f in json.loads(
            (bundled_sdg_dir() / "scdl/subventions/2.1.1/schema.json").read_text())["fields"]]
        timed("match a 16-column header against every version",
              lambda: match_header(root, header))


if __name__ == "__main__":
    main()
