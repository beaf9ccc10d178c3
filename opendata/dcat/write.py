"""Writing DCAT: whole catalog (Turtle, JSON-LD, RDF/XML), one file per dataset, Hydra pages.

Turtle goes through :mod:`opendata.dcat.turtle` (linear time); JSON-LD and RDF/XML through
rdflib's serializers with the bounded namespace manager and an inline JSON-LD context, so
nothing ever fetches a remote context.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD

from opendata.catalog import Catalog
from opendata.dcat.build import build_dcat, catalog_uri
from opendata.dcat.ns import DCAT, HYDRA, PREFIXES, bounded, new_graph
from opendata.dcat.turtle import to_turtle, write_turtle
from opendata.errors import UsageError

#: format name -> (file extension, rdflib serializer or "turtle" for ours, media type)
FORMATS: dict[str, tuple[str, str, str]] = {
    "ttl": ("ttl", "turtle", "text/turtle; charset=utf-8"),
    "jsonld": ("jsonld", "json-ld", "application/ld+json"),
    "rdf": ("rdf", "xml", "application/rdf+xml"),
    "nt": ("nt", "nt", "application/n-triples"),
}
#: the inline JSON-LD context: prefixes only, so compaction never needs the network
JSONLD_CONTEXT: dict[str, str] = dict(PREFIXES)


def serialize(graph: Graph, fmt: str) -> str:
    """``graph`` in one of :data:`FORMATS` (``ttl``, ``jsonld``, ``rdf``, ``nt``)."""
    if fmt not in FORMATS:
        raise UsageError(f"unknown DCAT format {fmt!r}", f"Use one of {', '.join(FORMATS)}.")
    if fmt == "ttl":
        return to_turtle(graph)
    graph = bounded(graph)
    if fmt == "jsonld":
        data = graph.serialize(format="json-ld", context=JSONLD_CONTEXT, auto_compact=True)
        return data if data.endswith("\n") else data + "\n"
    return graph.serialize(format=FORMATS[fmt][1])


def closure(graph: Graph, start: URIRef, stop: Iterable[URIRef] = ()) -> Graph:
    """``start`` and everything reachable from it, without entering other datasets/catalogs.

    Shared nodes (concepts, publishers, licences) are included, so each per-dataset file
    or page is self-contained and passes the shapes on its own.
    """
    out = new_graph()
    barrier = {DCAT.Dataset, DCAT.Catalog}
    stopped = set(stop)
    seen = {start}
    todo = [start]
    while todo:
        node = todo.pop()
        for p, o in graph.predicate_objects(node):
            out.add((node, p, o))
            if o in seen or o in stopped or isinstance(o, Literal):
                continue
            seen.add(o)
            if any(t in barrier for t in graph.objects(o, RDF.type)):
                continue
            todo.append(o)
    return out


def dataset_graph(graph: Graph, dataset: URIRef) -> Graph:
    """The part of the catalog graph that describes one dataset."""
    return closure(graph, dataset)


def page_graphs(graph: Graph, page_size: int, page_url: str) -> list[Graph]:
    """The catalog split in pages of ``page_size`` datasets, linked the Hydra way.

    Each page repeats the catalog's own description, lists its datasets with
    ``dcat:dataset`` and carries a ``hydra:PartialCollectionView`` with first/last/next/
    previous links (what udata's DCAT harvester follows); ``page_url`` holds ``{n}``.
    """
    if page_size < 1:
        raise UsageError("--page-size must be at least 1")
    cat = next(graph.subjects(RDF.type, DCAT.Catalog))
    datasets = sorted(graph.objects(cat, DCAT.dataset), key=str)
    total = len(datasets)
    n_pages = max(1, math.ceil(total / page_size))
    head = closure(graph, cat, stop=datasets)
    head.remove((cat, DCAT.dataset, None))
    pages = []
    for i in range(n_pages):
        page = new_graph()
        page += head
        for ds in datasets[i * page_size:(i + 1) * page_size]:
            page.add((cat, DCAT.dataset, ds))
            page += closure(graph, ds)
        view = URIRef(page_url.format(n=i + 1))
        page.add((cat, RDF.type, HYDRA.Collection))
        page.add((cat, HYDRA.totalItems, Literal(total, datatype=XSD.integer)))
        page.add((cat, HYDRA.view, view))
        page.add((view, RDF.type, HYDRA.PartialCollectionView))
        page.add((view, HYDRA.first, URIRef(page_url.format(n=1))))
        page.add((view, HYDRA.last, URIRef(page_url.format(n=n_pages))))
        if i + 1 < n_pages:
            page.add((view, HYDRA.next, URIRef(page_url.format(n=i + 2))))
        if i > 0:
            page.add((view, HYDRA.previous, URIRef(page_url.format(n=i))))
        pages.append(page)
    return pages


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def write_dcat(graph: Graph, catalog: Catalog, out: Path,
               formats: Iterable[str] = ("ttl", "jsonld", "rdf"), *, per_dataset: bool = True,
               page_size: int | None = None, page_base: str | None = None) -> list[Path]:
    """Write ``catalog.<ext>`` per format, ``dcat/<name>.ttl`` per dataset, and pages.

    Pages are ``catalog-page-<n>.ttl``; their Hydra links point at ``page_base`` (the URL
    where ``out`` is published; default: the catalog's base URI).
    """
    formats = list(formats)
    for fmt in formats:
        if fmt not in FORMATS:
            raise UsageError(f"unknown DCAT format {fmt!r}", f"Use one of {', '.join(FORMATS)}.")
    written = []
    for fmt in formats:
        target = out / f"catalog.{FORMATS[fmt][0]}"
        if fmt == "ttl":  # streamed: no 100 MB string for a large catalog
            target.parent.mkdir(parents=True, exist_ok=True)
            with target.open("w", encoding="utf-8") as fh:
                write_turtle(graph, fh)
            written.append(target)
        else:
            written.append(_write(target, serialize(graph, fmt)))
    cat = catalog_uri(catalog)
    if per_dataset:
        folder = out / "dcat"
        for ds in sorted(graph.objects(cat, DCAT.dataset), key=str):
            name = str(ds).rstrip("/").rsplit("/", 1)[-1]
            written.append(_write(folder / f"{name}.ttl", to_turtle(dataset_graph(graph, ds))))
    if page_size:
        for old in out.glob("catalog-page-*.ttl"):
            old.unlink()
        base = page_base or catalog.config.base_uri
        url = base.rstrip("/") + "/catalog-page-{n}.ttl"
        for i, page in enumerate(page_graphs(graph, page_size, url), 1):
            written.append(_write(out / f"catalog-page-{i}.ttl", to_turtle(page)))
    return written


def dcat_build_step(catalog: Catalog, report, dist: Path) -> list[Path]:
    """Build step: DCAT-AP of the valid datasets into ``dist/``."""
    graph = build_dcat(catalog, report.valid_datasets())
    return write_dcat(graph, catalog, dist)
