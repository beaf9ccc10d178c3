"""Streamed DCAT files (bounded memory) say exactly what ``build_dcat()``'s graph says."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from rdflib import Graph
from rdflib.compare import isomorphic

from opendata.catalog.manifests import Catalog, load_catalog
from opendata.dcat import build_dcat, check_shacl, dataset_graph, page_graphs, stream_dcat
from opendata.dcat.build import catalog_uri
from opendata.dcat.ns import DCAT

FIXTURE = Path(__file__).parent / "fixtures" / "catalog"
REPO = Path(__file__).resolve().parent.parent
PARSERS = {"ttl": "turtle", "nt": "nt", "rdf": "xml", "jsonld": "json-ld"}
THEMES = ["TECH", "SOCI", "GOVE", "ECON", "REGI", "TRAN", "ENVI"]


def generated(root: Path, n: int) -> Path:
    """The fixture catalog plus ``n`` varied datasets (licences, themes, units, contacts)."""
    shutil.copytree(FIXTURE, root)
    for i in range(n):
        name = f"gen-{i:04d}"
        d = root / "datasets" / name
        d.mkdir(parents=True)
        (d / "data.csv").write_text(f"a;b\nx;{i}\n", encoding="utf-8")
        (d / "data.schema.json").write_text(
            '{"fields": [{"name": "a", "type": "string"}, {"name": "b", "type": "integer"}]}',
            encoding="utf-8")
        contact = (f"contact: {{name: Équipe {i % 3}, email: e{i % 5}@example.fr}}\n"
                   if i % 4 else "")
        bbox = ", bbox: [-0.5, 45.0, 1.2, 47.2]" if i % 2 else ""
        (d / "dataset.yaml").write_text(f"""name: {name}
title: Jeu « {i} »
description: "Généré ({i}) : guillemets \\" et retour\\nà la ligne."
organization: region-poitou-charentes
licence: {"etalab-2.0" if i % 3 else "odbl-1.0"}
keywords: [essai, mot-{i % 7}]
themes: [{THEMES[i % 7]}, {THEMES[(i + 2) % 7]}]
frequency: {"ANNUAL" if i % 2 else "NEVER"}
temporal: {{start: "2020-01-01"}}
spatial: {{level: department, code: "{86 + i % 4}"{bbox}}}
{contact}resources:
  - name: donnees
    title: Données
    path: data.csv
    format: csv
    schema: data.schema.json
  - name: doc
    title: Documentation
    url: https://example.fr/doc/{name}.pdf
    format: pdf
""", encoding="utf-8")
    return root


def check_stream(catalog: Catalog, out: Path, page_size: int) -> Graph:
    graph = build_dcat(catalog, git=False)
    written = stream_dcat(catalog, out, ("ttl", "nt", "rdf", "jsonld"), git=False,
                          page_size=page_size, page_base="https://data.example.fr/")
    assert not list(out.rglob("*.part")), "leftover body files"
    for fmt, parser in PARSERS.items():
        back = Graph().parse(out / f"catalog.{fmt}", format=parser)
        assert len(back) == len(graph), fmt
        assert isomorphic(back, graph), fmt
    # one self-contained file per dataset, as write_dcat makes it from the whole graph
    datasets = sorted(graph.objects(catalog_uri(catalog), DCAT.dataset), key=str)
    for ds in datasets[:25]:
        name = str(ds).rsplit("/", 1)[-1]
        own = Graph().parse(out / "dcat" / f"{name}.ttl", format="turtle")
        assert isomorphic(own, dataset_graph(graph, ds)), name
    pages = page_graphs(graph, page_size, "https://data.example.fr/catalog-page-{n}.ttl")
    for n, page in enumerate(pages, 1):
        assert isomorphic(Graph().parse(out / f"catalog-page-{n}.ttl", format="turtle"), page), n
    assert len([p for p in written if p.name.startswith("catalog-page-")]) == len(pages)
    return graph


def test_stream_bundled_catalog_is_isomorphic_and_conformant(tmp_path: Path) -> None:
    if not list((REPO / "datasets").glob("*/dataset.yaml")):
        pytest.skip("no bundled dataset yet")
    catalog = load_catalog(REPO)
    check_stream(catalog, tmp_path / "out", page_size=2)
    streamed = Graph().parse(tmp_path / "out" / "catalog.ttl", format="turtle")
    assert check_shacl(streamed).violations == []


def test_stream_generated_catalog_is_isomorphic(tmp_path: Path) -> None:
    catalog = load_catalog(generated(tmp_path / "cat", 120))
    graph = check_stream(catalog, tmp_path / "out", page_size=50)
    assert len(graph) > 120 * 50
    # shared nodes are described once per file, not once per dataset
    text = (tmp_path / "out" / "catalog.ttl").read_text(encoding="utf-8")
    assert text.count("<https://www.etalab.gouv.fr/licence-ouverte-open-licence>\n") == 1
    assert text.count("<http://publications.europa.eu/resource/authority/data-theme/TECH>\n") == 1


def test_stream_empty_selection(tmp_path: Path) -> None:
    root = tmp_path / "cat"
    shutil.copytree(FIXTURE, root)
    catalog = load_catalog(root)
    stream_dcat(catalog, tmp_path / "out", ("ttl", "jsonld", "rdf", "nt"), [], git=False,
                page_size=5)
    graph = build_dcat(catalog, [], git=False)
    for fmt, parser in PARSERS.items():
        assert isomorphic(Graph().parse(tmp_path / "out" / f"catalog.{fmt}", format=parser),
                          graph), fmt
    assert (tmp_path / "out" / "catalog-page-1.ttl").is_file()


def test_shared_closure_gives_each_dataset_the_triples_closure_gives(tmp_path: Path) -> None:
    """The remembered walk the site's JSON-LD uses against the plain one, dataset after
    dataset of one builder (so that shared nodes are met first by different pieces)."""
    from opendata.dcat.build import DcatBuilder
    from opendata.dcat.write import SharedClosure, closure

    catalog = load_catalog(generated(tmp_path / "cat", 60))
    builder = DcatBuilder(catalog, [ds.name for ds in catalog.datasets])
    builder.head(links=False)
    walker = SharedClosure(builder.shared)
    for ds in catalog.datasets:
        piece = builder.dataset(ds)
        uri = builder.dataset_uri(ds)
        fast = walker.triples(piece, uri)
        assert len(fast) == len(set(fast))  # each triple once
        assert set(fast) == set(closure([piece, builder.shared], uri)), ds.name
