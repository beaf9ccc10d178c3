"""Validation speed and memory on a generated French-style CSV.

    .venv/bin/python benchmarks/validate.py                 # 100,000 and 1,000,000 rows
    .venv/bin/python benchmarks/validate.py --rows 5000000  # 100,000 and 5,000,000 rows
    .venv/bin/python benchmarks/validate.py --rows 1000000 --only

Each size runs in its own process (peak RSS is a per-process high-water mark) on a temp
catalog: ``opendata.yaml``, the licence registry, one dataset whose manifest declares
``;``, cp1252 (or ``--encoding utf-8``), decimal commas, and a Table Schema with French
dates (``%d/%m/%Y``), accented strings, constraints and a primary key.  It times
``validate(..., use_cache=False)`` and reports rows/s, wall time and memory:

- ``peak RSS``: the process's high-water mark (``resource.getrusage``), what matters for
  "memory stays bounded";
- ``RSS growth``: peak RSS during validation minus RSS before it (Python, frictionless and
  the catalog already loaded), i.e. what validating this file cost;
- ``--tracemalloc`` adds the Python-heap peak (slows validation down ~2x).

Memory must not grow with the file size: compare the 100,000-row and the large run.  It
does not, except for one cost: a primary key (or ``unique`` constraint) makes Frictionless
remember every key seen (~150 bytes per row here); ``--no-keys`` shows the flat streaming
cost without it.  A
~1 GB file is about 14 million rows (``--rows 14000000``); it works, it just takes a while
(the rows/s figure gives the time), so the default is 1,000,000 and the output
extrapolates.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
COMMUNES = ["Angoulême", "Châtellerault", "Poitiers", "La Rochelle", "Niort", "Cognac",
            "Saint-Jean-d'Angély", "Rochefort", "Saintes", "Thouars", "Loudun", "Ruffec",
            "Île-d'Aix", "Bressuire", "Montmorillon", "Jonzac", "Confolens", "Melle"]
CATEGORIES = ["espace public numérique", "point d'accès", "médiathèque", "mairie", "école"]

SCHEMA = {
    "fields": [
        {"name": "id", "type": "integer", "constraints": {"required": True, "minimum": 1}},
        {"name": "commune", "type": "string", "constraints": {"required": True}},
        {"name": "code_insee", "type": "string", "constraints": {"pattern": "[0-9]{5}"}},
        {"name": "categorie", "type": "string", "constraints": {"enum": CATEGORIES}},
        {"name": "montant_eur", "type": "number", "constraints": {"minimum": 0}},
        {"name": "taux", "type": "number", "constraints": {"minimum": 0, "maximum": 100}},
        {"name": "date_ouverture", "type": "date", "format": "%d/%m/%Y"},
        {"name": "commentaire", "type": "string"},
    ],
    "primaryKey": ["id"],
    "missingValues": [""],
}

MANIFEST = """\
name: bench
title: Banc d'essai de validation
description: Fichier généré pour mesurer la vitesse et la mémoire de la validation.
organization: region-poitou-charentes
licence: etalab-2.0
resources:
  - name: points
    path: points.csv
    format: csv
    schema: points.schema.json
    dialect: {{delimiter: ";", encoding: {encoding}, decimalChar: ","}}
"""


def rss_now_kib() -> int:
    """Current resident set size (Linux /proc), KiB."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


def peak_rss_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


def make_catalog(root: Path, rows: int, encoding: str, keys: bool = True) -> Path:
    """Write the temp catalog; the CSV is generated in 64k-row batches (streaming).
    ``keys=False`` drops the primary key (whose check remembers every key seen)."""
    shutil.copy(REPO / "tests" / "fixtures" / "catalog" / "opendata.yaml", root)
    shutil.copytree(REPO / "tests" / "fixtures" / "catalog" / "licences", root / "licences")
    folder = root / "datasets" / "bench"
    folder.mkdir(parents=True)
    (folder / "dataset.yaml").write_text(MANIFEST.format(encoding=encoding), encoding="utf-8")
    schema = dict(SCHEMA) if keys else {k: v for k, v in SCHEMA.items() if k != "primaryKey"}
    (folder / "points.schema.json").write_text(json.dumps(schema, ensure_ascii=False),
                                               encoding="utf-8")
    rnd = random.Random(42)
    data = folder / "points.csv"
    with data.open("w", encoding=encoding, newline="") as fh:
        fh.write(";".join(f["name"] for f in SCHEMA["fields"]) + "\r\n")
        i = 0
        while i < rows:
            batch = []
            for i in range(i + 1, min(i + 65536, rows) + 1):  # noqa: B020
                commune = COMMUNES[i % len(COMMUNES)]
                batch.append(
                    f"{i};{commune};{rnd.randint(16000, 86999):05d};"
                    f"{CATEGORIES[i % len(CATEGORIES)]};"
                    f"{rnd.randint(0, 999999)},{rnd.randint(0, 99):02d};"
                    f"{rnd.randint(0, 99)},{rnd.randint(0, 9)};"
                    f"{rnd.randint(1, 28):02d}/{rnd.randint(1, 12):02d}/{rnd.randint(1990, 2024)};"
                    f"\"Créé à {commune}; élément n° {i}\"\r\n")
            fh.write("".join(batch))
    return data


def measure(root: Path, rows: int, use_tracemalloc: bool) -> dict:
    """Validate the generated catalog at ``root`` in this (fresh) process and measure."""
    from opendata.validation.validator import validate

    # warm-up on the small test catalog: imports frictionless and its plugins, so that the
    # baseline below holds everything but the cost of validating the big file
    with tempfile.TemporaryDirectory() as small:
        shutil.copytree(REPO / "tests" / "fixtures" / "catalog", Path(small) / "c",
                        ignore=shutil.ignore_patterns(".opendata", "dist"))
        assert validate(Path(small) / "c", use_cache=False).valid
    before_rss = rss_now_kib()
    if use_tracemalloc:
        import tracemalloc

        tracemalloc.start()
    t0 = time.perf_counter()
    report = validate(root, ["bench"], use_cache=False)
    wall = time.perf_counter() - t0
    heap_peak = None
    if use_tracemalloc:
        heap_peak = tracemalloc.get_traced_memory()[1] // 1024
        tracemalloc.stop()
    peak = peak_rss_kib()
    [res] = report.datasets["bench"].resources
    if not report.valid or res.rows != rows:
        raise SystemExit(f"the benchmark file should be valid with {rows} rows: "
                         f"{[i.message for i in report.issues[:5]]}")
    return {"wall_s": wall, "rows_per_s": rows / wall, "rss_before_kib": before_rss,
            "peak_rss_kib": peak, "rss_growth_kib": peak - before_rss,
            "heap_peak_kib": heap_peak}


def run_size(rows: int, encoding: str, use_tracemalloc: bool, keys: bool = True) -> dict:
    """Generate the catalog here, validate it in a child process (its own peak RSS)."""
    with tempfile.TemporaryDirectory(prefix="opendata-bench-") as tmp:
        t0 = time.perf_counter()
        data = make_catalog(Path(tmp), rows, encoding, keys)
        generate_s = time.perf_counter() - t0
        cmd = [sys.executable, __file__, "--measure", tmp, "--rows", str(rows)]
        if use_tracemalloc:
            cmd.append("--tracemalloc")
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        result = json.loads(out.strip().splitlines()[-1])
        result.update(rows=rows, bytes=data.stat().st_size, encoding=encoding,
                      generate_s=generate_s)
        result["mib_per_s"] = result["bytes"] / result["wall_s"] / 2**20
        return result


def mib(kib: float | None) -> str:
    return "-" if kib is None else f"{kib / 1024:.1f} MiB"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000,
                        help="rows of the large run (default 1,000,000)")
    parser.add_argument("--encoding", choices=["cp1252", "utf-8"], default="cp1252")
    parser.add_argument("--only", action="store_true",
                        help="run only --rows (skip the 100,000-row comparison run)")
    parser.add_argument("--no-keys", action="store_true",
                        help="drop the schema's primary key: Frictionless remembers every key "
                             "to check uniqueness, the one cost that grows with the rows")
    parser.add_argument("--tracemalloc", action="store_true",
                        help="also report the Python heap peak (slower)")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)  # child process
    args = parser.parse_args(argv)
    if args.measure:
        print(json.dumps(measure(args.measure, args.rows, args.tracemalloc)))
        return 0
    sizes = [args.rows] if args.only or args.rows <= 100_000 else [100_000, args.rows]
    results = []
    keys = not args.no_keys
    print(f"validate(..., use_cache=False) on a generated French CSV (';', {args.encoding}, "
          "decimal commas, dd/mm/yyyy dates, accents, quoted ';'), 8 fields, "
          + ("primary key on id" if keys else "no primary key (--no-keys)"))
    print(f"{'rows':>12} {'size':>10} {'wall':>9} {'rows/s':>10} {'MiB/s':>7} "
          f"{'RSS before':>11} {'peak RSS':>10} {'RSS growth':>11} {'heap peak':>10}")
    for rows in sizes:
        r = run_size(rows, args.encoding, args.tracemalloc, keys)
        results.append(r)
        print(f"{rows:>12,} {r['bytes'] / 2**20:>6.1f} MiB {r['wall_s']:>8.1f}s "
              f"{r['rows_per_s']:>10,.0f} {r['mib_per_s']:>7.2f} {mib(r['rss_before_kib']):>11} "
              f"{mib(r['peak_rss_kib']):>10} {mib(r['rss_growth_kib']):>11} "
              f"{mib(r['heap_peak_kib']):>10}", flush=True)
    big = results[-1]
    if len(results) == 2:
        small = results[0]
        ratio = big["rows"] / small["rows"]
        grew = big["peak_rss_kib"] - small["peak_rss_kib"]
        per_row = grew * 1024 / (big["rows"] - small["rows"])
        print(f"\n{ratio:g}x the rows: peak RSS {mib(small['peak_rss_kib'])} -> "
              f"{mib(big['peak_rss_kib'])} ({grew / 1024:+.1f} MiB, {per_row:.0f} bytes/row).")
        if grew < 32 * 1024:
            print("Memory is bounded: the file is streamed, RSS does not grow with its size.")
        elif keys:
            print("The growth is the primary-key check: Frictionless remembers every key seen "
                  "to detect duplicates (O(distinct keys), not the file content). Run with "
                  "--no-keys to see the streaming cost alone.")
        else:
            print("MEMORY GROWS with the file size although no key is checked: something "
                  "holds rows in memory.")
    gib_rows = 2**30 / (big["bytes"] / big["rows"])
    print(f"1 GiB ≈ {gib_rows / 1e6:.1f} million rows of this file: about "
          f"{gib_rows / big['rows_per_s'] / 60:.0f} min at {big['rows_per_s']:,.0f} rows/s "
          f"(run it with --rows {int(gib_rows)} --only).")
    if len(results) == 2 and keys:
        extra = (gib_rows - big["rows"]) * per_row / 2**20
        print(f"Extrapolated peak RSS for 1 GiB with the primary key: "
              f"~{(big['peak_rss_kib'] / 1024 + extra):,.0f} MiB (keys), without: flat.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
