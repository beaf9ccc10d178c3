"""Build and serialise DCAT-AP for N generated datasets; print time and peak memory.

Usage: ``.venv/bin/python benchmarks/dcat.py [N] [--no-trace]`` (default 10,000).  The
datasets are written to a temporary catalog (config and licences of
``tests/fixtures/catalog``), each with one small CSV and its Table Schema, so checksums,
sizes and dates are computed for real.  Target: Turtle for 10,000 datasets in under 10 s
and 500 MB.

Every step runs in a fresh process, so its peak RSS (``ru_maxrss``) is its own: loading
the manifests; ``build_dcat()`` (the whole graph, for library users); then
``stream_dcat()`` once per format (what ``opendata build`` / ``opendata dcat`` write, one
dataset at a time); then the build step's default (Turtle + JSON-LD + RDF/XML + one file
per dataset).  Peak RSS includes the loaded manifests; "traced" is the writer's own
tracemalloc peak, taken in a second, slower pass (tracemalloc slows Python code
five- to tenfold, so the times come from the untraced pass).

Measured on 2 shared cores, 10,000 datasets (610,117 triples), peak RSS including the
~184 MB of loaded manifests::

    load              4.8 s   peak RSS  184 MB
    build            18.3 s   peak RSS  754 MB   (build_dcat: the whole graph)
    stream ttl       14.7 s   peak RSS  213 MB   traced 27 MB (build + write, one at a time)
    stream nt        13.4 s   peak RSS  203 MB   traced 16 MB
    stream rdf       12.9 s   peak RSS  206 MB   traced 16 MB
    stream jsonld    13.8 s   peak RSS  206 MB   traced 16 MB
    build-step       46.0 s   peak RSS  219 MB   (ttl + jsonld + rdf + 10,000 dcat/*.ttl)

Building the 10,000 pieces alone takes 11.0 s, so writing Turtle takes ~3.7 s.

Before streaming (whole graph first, rdflib for JSON-LD/RDF/XML), Turtle peaked at
~880 MB and JSON-LD at 1.4 GB.
"""

from __future__ import annotations

import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from opendata.catalog.manifests import load_catalog
from opendata.dcat import build_dcat, stream_dcat

FIXTURE = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "catalog"
THEMES = ["TECH", "SOCI", "GOVE", "ECON", "REGI", "TRAN", "ENVI"]
STEPS = ["build", "ttl", "nt", "rdf", "jsonld", "build-step"]


def generate(root: Path, n: int) -> None:
    shutil.copy(FIXTURE / "opendata.yaml", root / "opendata.yaml")
    shutil.copytree(FIXTURE / "licences", root / "licences")
    schema = json.dumps({"fields": [{"name": "territoire", "type": "string"},
                                    {"name": "nombre", "type": "integer"}]})
    for i in range(n):
        name = f"jeu-{i:05d}"
        folder = root / "datasets" / name
        folder.mkdir(parents=True)
        (folder / "data.csv").write_text(f"territoire;nombre\nA;{i}\nB;{i * 2}\n", encoding="utf-8")
        (folder / "data.schema.json").write_text(schema, encoding="utf-8")
        (folder / "dataset.yaml").write_text(f"""name: {name}
title: Jeu de données numéro {i}
description: Données générées pour le banc d'essai DCAT ({i}).
organization: region-poitou-charentes
licence: {"etalab-2.0" if i % 3 else "odbl-1.0"}
keywords: [banc, essai, mot-{i % 50}]
themes: [{THEMES[i % 7]}, {THEMES[(i + 3) % 7]}]
frequency: {"ANNUAL" if i % 2 else "NEVER"}
temporal: {{start: "2020-01-01", end: "2020-12-31"}}
spatial: {{level: department, code: "{86 + i % 4}", bbox: [-0.5, 45.0, 1.2, 47.2]}}
contact: {{name: Service données, email: data{i % 10}@example.fr}}
version: "1.{i % 7}.0"
resources:
  - name: donnees
    title: Données
    description: Le fichier de données.
    path: data.csv
    format: csv
    schema: data.schema.json
    dialect: {{delimiter: ";"}}
  - name: documentation
    title: Documentation
    url: https://example.fr/doc/{name}.pdf
    format: pdf
""", encoding="utf-8")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def step(root: Path, name: str, trace: bool) -> None:
    """One step, in this (fresh) process: prints time, peak RSS and the traced peak."""
    t0 = time.perf_counter()
    catalog = load_catalog(root)
    load_s = time.perf_counter() - t0
    out = root / f"out-{name}"

    def run() -> str:
        if name == "build":
            return f"{len(build_dcat(catalog)):,} triples"
        if name == "build-step":
            files = stream_dcat(catalog, out)  # ttl, jsonld, rdf + dcat/<name>.ttl
            return f"{len(files):,} files"
        stream_dcat(catalog, out, [name], per_dataset=False)
        file = out / f"catalog.{name}"
        size = f"{file.stat().st_size / 1e6:5.1f} MB out"
        if name == "nt":
            with file.open("rb") as fh:
                size += f", {sum(1 for _ in fh):,} triples"
        return size

    t0 = time.perf_counter()
    what = run()
    elapsed = time.perf_counter() - t0
    peak = peak_rss_mb()
    traced = ""
    if trace:
        tracemalloc.start()
        run()
        traced = f"traced {tracemalloc.get_traced_memory()[1] / 1e6:6.1f} MB"
        tracemalloc.stop()
    label = name if name in ("build", "build-step") else f"stream {name}"
    print(f"{label:<12} {elapsed:7.2f} s   peak RSS {peak:7.1f} MB   {traced}   {what}"
          f"   (load {load_s:.1f} s)", flush=True)


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    trace = "--no-trace" not in sys.argv
    if len(args) == 3 and args[0] == "step":  # a child process: one step
        step(Path(args[1]), args[2], trace)
        return
    n = int(args[0]) if args else 10_000
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        generate(root, n)
        print(f"generated {n} datasets in {time.perf_counter() - t0:.1f} s")
        t0 = time.perf_counter()
        load_catalog(root)
        print(f"{'load':<12} {time.perf_counter() - t0:7.2f} s   peak RSS {peak_rss_mb():7.1f} MB"
              "   (manifests only)", flush=True)
        for name in STEPS:
            cmd = [sys.executable, __file__, "step", str(root), name]
            subprocess.run(cmd + ([] if trace else ["--no-trace"]), check=True)


if __name__ == "__main__":
    main()
