"""Build and serialise DCAT-AP for N generated datasets; print time and peak memory.

Usage: ``.venv/bin/python benchmarks/dcat.py [N]`` (default 10,000).  The datasets are
written to a temporary catalog (config and licences of ``tests/fixtures/catalog``), each
with one small CSV and its Table Schema, so checksums, sizes and dates are computed for
real.  Target: Turtle for 10,000 datasets in under 10 s and 500 MB.
"""

from __future__ import annotations

import json
import resource
import shutil
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

from opendata.catalog import load_catalog
from opendata.dcat import build_dcat, serialize
from opendata.dcat.ns import new_graph
from opendata.dcat.turtle import to_turtle, write_turtle

FIXTURE = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "catalog"
THEMES = ["TECH", "SOCI", "GOVE", "ECON", "REGI", "TRAN", "ENVI"]


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


def measure(label: str, fn: Callable[[], Any]) -> Any:
    """Time ``fn`` (no tracing, so the time is real), then print the process's peak RSS.

    tracemalloc slows Python code five- to tenfold, so memory is read from the kernel's
    high-water mark instead: it is cumulative (the peak so far, graph included).
    """
    t0 = time.perf_counter()
    result = fn()
    elapsed = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    size = f"{len(result) / 1e6:6.1f} MB out" if isinstance(result, str) else ""
    print(f"{label:<28} {elapsed:7.2f} s   peak RSS {peak:7.1f} MB   {size}", flush=True)
    return result


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        generate(root, n)
        print(f"generated {n} datasets in {time.perf_counter() - t0:.1f} s")
        catalog = measure("load manifests", lambda: load_catalog(root))
        graph = measure("build graph (build_dcat)", lambda: build_dcat(catalog))
        print(f"{len(graph)} triples")
        ttl_file = root / "catalog.ttl"

        def turtle_to_file() -> str:
            with ttl_file.open("w", encoding="utf-8") as fh:
                write_turtle(graph, fh)
            return ttl_file.read_text(encoding="utf-8")

        ttl = measure("turtle (opendata writer)", turtle_to_file)
        # tracemalloc slows the run, so the Turtle step's own peak is measured in a second pass
        tracemalloc.start()
        with ttl_file.open("w", encoding="utf-8") as fh:
            write_turtle(graph, fh)
        _cur, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"{'turtle: own peak (traced)':<28} {peak / 1e6:7.1f} MB allocated by the writer "
              "(the graph itself is in the RSS above)", flush=True)
        measure("n-triples (rdflib)", lambda: serialize(graph, "nt"))
        measure("rdf/xml (rdflib)", lambda: serialize(graph, "rdf"))
        measure("json-ld (rdflib)", lambda: serialize(graph, "jsonld"))
        reparsed = measure("parse turtle back", lambda: new_graph().parse(data=ttl,
                                                                          format="turtle"))
        assert len(reparsed) == len(graph), (len(reparsed), len(graph))
        measure("turtle again (reparsed)", lambda: to_turtle(reparsed))


if __name__ == "__main__":
    main()
