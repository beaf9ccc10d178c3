"""The website and the read API at scale: N generated datasets (default 10,000).

Usage: ``.venv/bin/python benchmarks/site.py [N] [--queries Q]``.

Prints, for the site step (``opendata.site.build_site``, run in its own process so that
its peak RSS is its own): time, peak RSS, pages written, the search index's size and the
largest page; for the API: the time to write ``dist/api/``, to load it (``App``), and the
median and 95th percentile of ``package_search`` over HTTP (waitress on 127.0.0.1) for
several query shapes, next to the real local CKAN's medians for the same shapes when it
answers (it holds far fewer datasets: a reference, not a race).

Targets (issue "site and read API"): site < 60 s with bounded memory, index < 5 MB,
each page < 100 KB without its preview, ``package_search`` median < 50 ms.

The catalog is generated into a temporary folder: four organisations, 200 keywords, 13
themes, one small CSV with its Table Schema per dataset, a 40-word description drawn
from a 3,000-word vocabulary.  DCAT per-dataset Turtle is written first (as the build
does before the site step), so the site's JSON-LD conversion is measured too.  The
validation report is made valid by construction: validation has its own benchmark.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

ORGS = {"region-a": "Région A", "region-b": "Région B", "dept-c": "Département C",
        "ville-d": "Ville D"}
THEMES = ["AGRI", "ECON", "EDUC", "ENER", "ENVI", "GOVE", "HEAL", "INTR", "JUST", "REGI",
          "SOCI", "TECH", "TRAN"]


def generate(root: Path, n: int) -> None:
    rng = random.Random(16)
    vocab = [f"mot{i}" for i in range(3000)]
    keywords = [f"thème {i}" for i in range(200)]
    orgs = "".join(f"  {k}:\n    title: {t}\n" for k, t in ORGS.items())
    (root / "opendata.yaml").write_text(
        "title: Banc d'essai\nbase_uri: https://example.org/\nlanguage: fr\n"
        "publisher: {name: Banc, uri: 'https://example.org/', email: banc@example.org}\n"
        f"organizations:\n{orgs}", encoding="utf-8")
    schema = json.dumps({"fields": [{"name": "territoire", "type": "string"},
                                    {"name": "nombre", "type": "integer"}]})
    for i in range(n):
        name = f"jeu-{i:05d}"
        folder = root / "datasets" / name
        folder.mkdir(parents=True)
        (folder / "data.csv").write_text(
            "territoire;nombre\n" + "".join(f"T{j};{i + j}\n" for j in range(12)), "utf-8")
        (folder / "data.schema.json").write_text(schema, encoding="utf-8")
        words = " ".join(rng.sample(vocab, 40))
        kws = ", ".join(rng.sample(keywords, 3))
        year = 1990 + i % 35
        (folder / "dataset.yaml").write_text(f"""name: {name}
title: Jeu de données {i}
description: Données générées {i}, {words}.
organization: {list(ORGS)[i % 4]}
licence: {"etalab-2.0" if i % 3 else "odbl-1.0"}
keywords: [{kws}]
themes: [{THEMES[i % 13]}, {THEMES[(i + 5) % 13]}]
frequency: ANNUAL
temporal: {{start: "{year}-01-01", end: "{year}-12-31"}}
version: "1.0.0"
resources:
  - name: donnees
    title: Données
    path: data.csv
    format: csv
    schema: data.schema.json
    dialect: {{delimiter: ";"}}
""", encoding="utf-8")


def valid_report(catalog):
    from opendata.validation.report import DatasetResult, ResourceResult, ValidationReport

    report = ValidationReport()
    for ds in catalog.datasets:
        report.datasets[ds.name] = DatasetResult(
            name=ds.name, manifest=str(ds.manifest),
            resources=[ResourceResult(name="donnees", file="data.csv", rows=12)])
    return report


def step_site(root: Path) -> dict:
    """Child process: the site step alone, on a catalog whose DCAT is already written."""
    from opendata.catalog.manifests import load_catalog
    from opendata.site import build_site

    catalog = load_catalog(root)
    report = valid_report(catalog)
    start = time.perf_counter()
    result = build_site(catalog, report, root / "dist")
    elapsed = time.perf_counter() - start
    me, kids = (resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    return {"seconds": elapsed, "pages": result.pages,
            # CPU time (this process and its page writers): what the machine's other
            # load changes least, so the figure to compare between two runs
            "cpu_seconds": me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            # the forked page writers (one per core): each one's own peak
            "worker_peak_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}


def step_dcat(root: Path) -> dict:
    from opendata.catalog.manifests import load_catalog
    from opendata.dcat import stream_dcat

    catalog = load_catalog(root)
    start = time.perf_counter()
    stream_dcat(catalog, root / "dist", formats=["ttl"], git=False)
    return {"seconds": time.perf_counter() - start}


def step_api(root: Path) -> dict:
    from opendata.api.ckan_json import write_api_data
    from opendata.catalog.manifests import load_catalog

    catalog = load_catalog(root)
    start = time.perf_counter()
    write_api_data(catalog, valid_report(catalog), root / "dist")
    return {"seconds": time.perf_counter() - start,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def child(step: str, root: Path) -> dict:
    out = subprocess.run([sys.executable, __file__, "--step", step, "--root", str(root)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


QUERIES = {
    "q=<word>": {"q": "mot1234"},
    "fq=organization": {"fq": "organization:region-b"},
    "fq=tags": {"fq": 'tags:"thème 42"'},
    "fq=res_format + license_id": {"fq": "res_format:CSV license_id:lov2"},
    "fq=extras_<key>": {"fq": 'extras_temporal_start:"2001-01-01"'},
    "q + 4 facets": {"q": "données", "facet.field": json.dumps(
        ["organization", "tags", "res_format", "license_id"])},
    "sort=name asc, start=5000": {"sort": "name asc", "start": 5000},
}


def timed(url: str, params: dict, repeat: int) -> tuple[float, float]:
    times = []
    with requests.Session() as session:
        for _ in range(repeat):
            start = time.perf_counter()
            reply = session.get(url, params=params, timeout=60)
            times.append((time.perf_counter() - start) * 1000)
            reply.raise_for_status()
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1]


def site_figures(root: Path) -> None:
    dcat = child("dcat", root)
    print(f"DCAT per-dataset Turtle (prerequisite, not the site): {dcat['seconds']:.1f} s")
    site = child("site", root)
    out = root / "dist" / "site"
    print(f"site step: {site['seconds']:.1f} s ({site['cpu_seconds']:.1f} s of CPU), "
          f"peak RSS {site['peak_rss_mb']:.0f} MB "
          f"(+ workers: {site['worker_peak_rss_mb']:.0f} MB each at most), "
          f"{site['pages']} pages (target < 60 s)")
    index = (out / "assets" / "search-index.js").stat().st_size
    sizes = sorted((p.stat().st_size, p) for p in out.rglob("*.html"))
    biggest, big_page = sizes[-1]
    print(f"search index: {index / 1e6:.2f} MB (target < 5 MB)")
    print(f"largest page: {biggest / 1024:.1f} KB ({big_page.relative_to(out)}), median "
          f"{sizes[len(sizes) // 2][0] / 1024:.1f} KB (target < 100 KB; the previews "
          "here are 10 rows of 2 columns)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("n", nargs="?", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=40, help="repeats per query shape")
    parser.add_argument("--ckan", default="http://127.0.0.1:5000", help="peer CKAN (reference)")
    parser.add_argument("--api-only", action="store_true", help="skip the site step")
    parser.add_argument("--step", help=argparse.SUPPRESS)
    parser.add_argument("--root", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.step:
        steps = {"site": step_site, "dcat": step_dcat, "api": step_api}
        print(json.dumps(steps[args.step](args.root)))
        return 0

    with tempfile.TemporaryDirectory(prefix="opendata-site-bench-") as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        generate(root, args.n)
        print(f"generated {args.n} datasets in {time.perf_counter() - t0:.1f} s")
        if not args.api_only:
            site_figures(root)
        api = child("api", root)
        print(f"dist/api/ (CKAN package dicts): {api['seconds']:.1f} s, "
              f"peak RSS {api['peak_rss_mb']:.0f} MB")

        from waitress.server import create_server

        from opendata.api.app import App

        t0 = time.perf_counter()
        app = App(root / "dist")
        print(f"serve: loaded {len(app.lib.docs)} packages in {time.perf_counter() - t0:.1f} s")
        server = create_server(app, host="127.0.0.1", port=0, threads=4)
        threading.Thread(target=server.run, daemon=True).start()
        ours = f"http://127.0.0.1:{server.effective_port}/api/3/action/package_search"
        try:
            peer_up = requests.get(f"{args.ckan}/api/3/action/status_show", timeout=5).ok
        except requests.RequestException:
            peer_up = False
        peer_count = requests.get(f"{args.ckan}/api/3/action/package_search?rows=0",
                                  timeout=10).json()["result"]["count"] if peer_up else 0
        print(f"package_search over HTTP, {args.queries} calls per shape, ms median / p95 "
              f"(opendata serve: {len(app.lib.docs)} datasets"
              + (f"; CKAN 2.12 + Solr stand-in: {peer_count} datasets)" if peer_up else ")"))
        medians = []
        for label, params in QUERIES.items():
            med, p95 = timed(ours, params, args.queries)
            medians.append(med)
            line = f"  {label:28} serve {med:6.1f} / {p95:6.1f}"
            if peer_up:
                pmed, pp95 = timed(f"{args.ckan}/api/3/action/package_search", params,
                                   max(5, args.queries // 4))
                line += f"   CKAN {pmed:6.1f} / {pp95:6.1f}"
            print(line)
        print(f"  median of the shapes' medians: {statistics.median(medians):.1f} ms "
              "(target < 50 ms)")
        server.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
