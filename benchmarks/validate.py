"""Validation speed and memory on a generated French-style CSV, side by side with Frictionless.

    .venv/bin/python benchmarks/validate.py                  # everything below (~6 min)
    .venv/bin/python benchmarks/validate.py --only memory --sizes 100000,1000000

One generated catalog per case (``opendata.yaml``, one dataset declaring ``;``, cp1252 (or
``--encoding utf-8``), decimal commas; a Table Schema with French dates ``%d/%m/%Y``,
accented strings, a pattern, an enum, bounds and a primary key).  Sections, all measured in
this run:

- ``engines``: polars, DuckDB and pyarrow on our checks (parse, decimal-comma numbers with a
  bound, a pattern, an enum, French dates), and why the engine uses the ones it uses;
- ``speed``: ``opendata validate --no-cache`` (the columnar engine) against ``frictionless
  validate`` on the same file and schema, both as commands (wall and CPU), and the ratio;
- ``errors``: the same with 100,000 errors in the file (Frictionless with ``--limit-errors``
  high enough to read it all), and the engine's exact totals;
- ``memory``: peak RSS of ``validate()`` at each size, with and without the primary key,
  each in its own process (peak RSS is a per-process high-water mark);
- ``help``: ``opendata --help`` wall time (median of 9).

The load average is printed at the start and the end: the machine is often shared.
"""

from __future__ import annotations

import argparse
import contextlib
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
    """This process's RSS high-water mark (VmHWM), KiB.  Not getrusage's ru_maxrss: that
    one survives exec, so a child started by a big parent would report the parent's peak."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def make_catalog(root: Path, rows: int, encoding: str, keys: bool = True,
                 errors: int = 0) -> Path:
    """Write the temp catalog; the CSV is generated in 64k-row batches (streaming).
    ``keys=False`` drops the primary key; ``errors`` spreads that many errors over the
    rows (one a row: a bad number, an out-of-range rate, a bad date, an unknown category,
    a repeated id, in turn)."""
    every = rows // errors if errors else 0
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
                cells = [str(i), commune, f"{rnd.randint(16000, 86999):05d}",
                         CATEGORIES[i % len(CATEGORIES)],
                         f"{rnd.randint(0, 999999)},{rnd.randint(0, 99):02d}",
                         f"{rnd.randint(0, 99)},{rnd.randint(0, 9)}",
                         f"{rnd.randint(1, 28):02d}/{rnd.randint(1, 12):02d}/"
                         f"{rnd.randint(1990, 2024)}",
                         f"\"Créé à {commune}; élément n° {i}\""]
                if every and i % every == 0:
                    kind = (i // every) % 5
                    if kind == 0:
                        cells[4] = "n/a"
                    elif kind == 1:
                        cells[5] = "150,0"
                    elif kind == 2:
                        cells[6] = "31/02/2020"
                    elif kind == 3:
                        cells[3] = "autre"
                    else:
                        cells[0] = str(i - 1)
                batch.append(";".join(cells) + "\r\n")
            fh.write("".join(batch))
    return data


def measure(root: Path, rows: int, use_tracemalloc: bool) -> dict:
    """Validate the generated catalog at ``root`` in this (fresh) process and measure."""
    from opendata.validation.validator import validate

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
    if res.rows != rows:
        raise SystemExit(f"the benchmark file should have {rows} rows: "
                         f"{[i.message for i in report.issues[:5]]}")
    return {"wall_s": wall, "rows_per_s": rows / wall, "rss_before_kib": before_rss,
            "peak_rss_kib": peak, "rss_growth_kib": peak - before_rss,
            "heap_peak_kib": heap_peak, "engine": res.engine, "errors": res.error_count,
            "kept": len(report.issues)}


def run_size(rows: int, encoding: str, use_tracemalloc: bool) -> list[dict]:
    """Generate the catalog here (once: 10M rows take a minute and a half), validate it in
    a child process (its own peak RSS) with the primary key, then without it."""
    results = []
    with tempfile.TemporaryDirectory(prefix="opendata-bench-") as tmp:
        t0 = time.perf_counter()
        data = make_catalog(Path(tmp), rows, encoding)
        generate_s = time.perf_counter() - t0
        for keys in (True, False):
            if not keys:
                schema = {k: v for k, v in SCHEMA.items() if k != "primaryKey"}
                (data.parent / "points.schema.json").write_text(
                    json.dumps(schema, ensure_ascii=False), encoding="utf-8")
            result = child_measure(Path(tmp), rows, use_tracemalloc)
            result.update(rows=rows, bytes=data.stat().st_size, encoding=encoding,
                          generate_s=generate_s, keys=keys)
            result["mib_per_s"] = result["bytes"] / result["wall_s"] / 2**20
            results.append(result)
    return results


def child_measure(root: Path, rows: int, use_tracemalloc: bool = False) -> dict:
    cmd = [sys.executable, __file__, "--measure", str(root), "--rows", str(rows)]
    if use_tracemalloc:
        cmd.append("--tracemalloc")
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def mib(kib: float | None) -> str:
    return "-" if kib is None else f"{kib / 1024:.1f} MiB"


def timed(cmd: list[str], cwd: Path | None = None) -> tuple[float, float, str]:
    """(wall, CPU of the child, stdout) of one command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, proc.stdout


def frictionless_resource(root: Path, encoding: str) -> Path:
    """The same file and schema as a Frictionless resource descriptor (the dialect's
    decimal commas written on the number fields, as opendata applies them)."""
    folder = root / "datasets" / "bench"
    schema = json.loads((folder / "points.schema.json").read_text(encoding="utf-8"))
    for fld in schema["fields"]:
        if fld["type"] == "number":
            fld["decimalChar"] = ","
    (folder / "fl.schema.json").write_text(json.dumps(schema), encoding="utf-8")
    descriptor = {"name": "points", "path": "points.csv", "format": "csv",
                  "encoding": encoding, "dialect": {"csv": {"delimiter": ";"}},
                  "schema": "fl.schema.json"}
    path = folder / "fl.resource.json"
    path.write_text(json.dumps(descriptor), encoding="utf-8")
    return path


def side_by_side(rows: int, encoding: str, errors: int = 0) -> None:
    """opendata validate --no-cache vs frictionless validate, as commands, same file."""
    bindir = Path(sys.executable).parent
    with tempfile.TemporaryDirectory(prefix="opendata-bench-") as tmp:
        root = Path(tmp)
        data = make_catalog(root, rows, encoding, errors=errors)
        res = frictionless_resource(root, encoding)
        fcmd = [str(bindir / "frictionless"), "validate", res.name, "--json"]
        if errors:
            fcmd += ["--limit-errors", str(errors * 2)]
        ocmd = [str(bindir / "opendata"), "--root", str(root), "validate", "--no-cache",
                "--format", "json", "bench"]
        # the engine before and after Frictionless (its median run): the load of a shared
        # machine changes over Frictionless' half minute
        runs = [timed(ocmd)]
        f_wall, f_cpu, f_out = timed(fcmd, cwd=res.parent)
        runs += [timed(ocmd), timed(ocmd)]
        o_wall, o_cpu, o_out = sorted(runs)[1]
        report = json.loads(o_out)
        [r] = report["datasets"][0]["resources"]
        f_errors = None
        with contextlib.suppress(ValueError, KeyError, IndexError):
            f_errors = len(json.loads(f_out)["tasks"][0]["errors"])
        label = f"{rows:,} rows ({data.stat().st_size / 2**20:.0f} MiB)" + (
            f", {errors:,} errors injected" if errors else "")
        print(f"\n{label}: opendata engine={r['engine']} rows={r['rows']:,} "
              f"errors={r['error_count']:,} (kept {len(report['issues'])}); "
              f"frictionless errors={f_errors if f_errors is not None else '?'}")
        print(f"  {'':<34} {'wall':>8} {'CPU':>8}")
        print(f"  {'frictionless validate':<34} {f_wall:>7.1f}s {f_cpu:>7.1f}s")
        print(f"  {'opendata validate --no-cache':<34} {o_wall:>7.2f}s {o_cpu:>7.2f}s "
              f"(median of 3: {', '.join(f'{r[0]:.2f}s' for r in sorted(runs))})")
        print(f"  ratio: {f_wall / o_wall:.1f}x wall, {f_cpu / o_cpu:.1f}x CPU "
              f"(target: 24x)")
        if errors:
            counts = {(c["field"], c["code"]): c["count"] for c in r["error_counts"]}
            print(f"  exact totals: {sum(counts.values()):,} = " + ", ".join(
                f"{f or 'row'}/{c}: {n:,}" for (f, c), n in sorted(counts.items(),
                                                                   key=str)))


def engines(rows: int) -> None:
    """polars, DuckDB and pyarrow on the same checks of the same (UTF-8) file."""
    import duckdb
    import polars as pl
    import pyarrow as pa
    import pyarrow.compute as pc
    from pyarrow import csv as pacsv

    with tempfile.TemporaryDirectory(prefix="opendata-bench-") as tmp:
        data = make_catalog(Path(tmp), rows, "utf-8")
        names = [f["name"] for f in SCHEMA["fields"]]
        results = {}

        t0 = time.perf_counter()
        df = pl.read_csv(data, separator=";", infer_schema=False)
        out = df.select(
            (pl.col("montant_eur").str.replace(",", ".", literal=True)
             .cast(pl.Float64, strict=False) < 0).sum(),
            (~pl.col("code_insee").str.contains("^[0-9]{5}$")).sum(),
            (~pl.col("categorie").is_in(CATEGORIES)).sum(),
            pl.col("date_ouverture").str.strptime(pl.Date, "%d/%m/%Y", strict=False)
            .is_null().sum(),
            pl.col("id").is_duplicated().sum())
        results["polars"] = (time.perf_counter() - t0, out.row(0))

        enum = ", ".join("'" + c.replace("'", "''") + "'" for c in CATEGORIES)
        t0 = time.perf_counter()
        out = duckdb.sql(f"""
            SELECT sum((TRY_CAST(replace(montant_eur, ',', '.') AS DOUBLE) < 0)::INT),
                   sum((NOT regexp_full_match(code_insee, '[0-9]{{5}}'))::INT),
                   sum((categorie NOT IN ({enum}))::INT),
                   sum((try_strptime(date_ouverture, '%d/%m/%Y') IS NULL)::INT),
                   count(*) - count(DISTINCT id)
            FROM read_csv('{data}', delim=';', header=true, all_varchar=true)""").fetchall()[0]
        results["duckdb"] = (time.perf_counter() - t0, out)

        t0 = time.perf_counter()
        table = pacsv.read_csv(data, parse_options=pacsv.ParseOptions(delimiter=";"),
                               convert_options=pacsv.ConvertOptions(
                                   column_types={n: pa.string() for n in names}))
        amount = pc.cast(pc.replace_substring(table["montant_eur"], ",", "."), pa.float64(),
                         safe=False)
        dates = pc.strptime(table["date_ouverture"], format="%d/%m/%Y", unit="s",
                            error_is_null=True)
        out = (pc.sum(pc.less(amount, 0)).as_py(),
               pc.sum(pc.invert(pc.match_substring_regex(table["code_insee"],
                                                         "^[0-9]{5}$"))).as_py(),
               pc.sum(pc.invert(pc.is_in(table["categorie"],
                                         value_set=pa.array(CATEGORIES)))).as_py(),
               pc.sum(pc.is_null(dates)).as_py(),
               len(table) - pc.count_distinct(table["id"]).as_py())
        results["pyarrow"] = (time.perf_counter() - t0, out)

        print(f"\nour checks on {rows:,} rows, one library each (parse + 5 checks):")
        for name, (wall, found) in results.items():
            print(f"  {name:<8} {wall:>6.2f}s  findings {found}")
        print("  chosen: pyarrow parses (strict row shape: a row with extra or missing cells "
              "is reported, not padded or truncated as polars and DuckDB do; empty and "
              "missing cells stay apart), polars checks (the richest and fastest column "
              "expressions, regexes and strptime included), DuckDB keeps the keys (the only "
              "one that spills to disk: a database file with a 32 MB memory limit keeps the "
              "peak flat whatever the number of keys).")


def help_time(runs: int = 9) -> None:
    bindir = Path(sys.executable).parent
    walls = sorted(timed([str(bindir / "opendata"), "--help"])[0] for _ in range(runs))
    print(f"\nopendata --help: {walls[runs // 2]:.3f}s (median of {runs}, "
          f"min {walls[0]:.3f}s, max {walls[-1]:.3f}s; target 0.15 s)")


def load() -> str:
    """The machine's load: other processes slow the engine (two threads) more than
    Frictionless (one), so a ratio means little without it."""
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min), {os.cpu_count()} CPUs"


def memory(sizes: list[int], encoding: str, use_tracemalloc: bool) -> None:
    print(f"\npeak RSS of validate() (own process each), {encoding}:")
    print(f"{'rows':>12} {'keys':>5} {'size':>10} {'wall':>8} {'rows/s':>10} "
          f"{'RSS before':>11} {'peak RSS':>10} {'engine':>10}")
    for rows in sizes:
        for r in run_size(rows, encoding, use_tracemalloc):
            print(f"{rows:>12,} {'pk' if r['keys'] else '-':>5} {r['bytes'] / 2**20:>6.0f} MiB "
                  f"{r['wall_s']:>7.1f}s {r['rows_per_s']:>10,.0f} "
                  f"{mib(r['rss_before_kib']):>11} {mib(r['peak_rss_kib']):>10} "
                  f"{r['engine']:>10}", flush=True)
    print("target: peak RSS at most 250 MiB at every size")


def compile_bytecode() -> None:
    """Compile opendata's modules as installing a wheel does.  An editable install run
    under PYTHONDONTWRITEBYTECODE (set on some CI machines and containers) recompiles
    every module of opendata on every run, ~0.1 s per command that a user's install does
    not pay; Frictionless, installed from its wheel, is already compiled."""
    import compileall

    ok = compileall.compile_dir(str(REPO / "opendata"), quiet=2)
    print(f"bytecode: opendata's modules compiled ({'ok' if ok else 'with errors'}), as a "
          f"wheel install compiles them")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000,
                        help="rows of the side-by-side runs (default 1,000,000)")
    parser.add_argument("--sizes", default="100000,1000000,10000000",
                        help="row counts of the memory runs (comma-separated; each file is "
                             "generated on the fly, 10M rows is ~1 GB in the temp folder)")
    parser.add_argument("--big", type=int, default=0,
                        help="add this size to the memory runs")
    parser.add_argument("--errors", type=int, default=100_000,
                        help="errors injected in the error run (default 100,000)")
    parser.add_argument("--encoding", choices=["cp1252", "utf-8"], default="cp1252")
    parser.add_argument("--only", choices=["engines", "speed", "errors", "memory", "help"],
                        action="append", help="run only these sections")
    parser.add_argument("--tracemalloc", action="store_true",
                        help="also report the Python heap peak (slower)")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)  # child process
    args = parser.parse_args(argv)
    if args.measure:
        print(json.dumps(measure(args.measure, args.rows, args.tracemalloc)))
        return 0
    only = set(args.only or ["engines", "speed", "errors", "memory", "help"])
    print(f"start: {load()}")
    compile_bytecode()
    if "help" in only:
        help_time()
    if "engines" in only:
        engines(args.rows)
    if "speed" in only:
        side_by_side(args.rows, args.encoding)
    if "errors" in only:
        side_by_side(args.rows, args.encoding, errors=args.errors)
    if "memory" in only:
        sizes = [int(s) for s in args.sizes.split(",") if s] + ([args.big] if args.big else [])
        memory(sizes, args.encoding, args.tracemalloc)
    print(f"\nend: {load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
