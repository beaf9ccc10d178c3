"""Reading a DCAT catalog (Turtle, RDF/XML or JSON-LD, one file or Hydra pages) back into
manifests, through :mod:`opendata.dcat.read`'s mapping."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from rdflib import URIRef
from rdflib.namespace import RDF

from opendata.catalog.config import LicenceRegistry
from opendata.dcat.ns import DCAT, DCT, HYDRA
from opendata.dcat.read import dataset_from_graph, parse_dcat
from opendata.errors import UsageError
from opendata.importers.model import ORIGIN_KEY, RemoteDataset, RemoteResource

#: a catalog paged beyond this is refused rather than read for ever
MAX_PAGES = 10_000


def pages(url: str) -> Iterator[Any]:
    """Each page's graph, following ``hydra:next`` until there is none; a page seen twice
    (a ``next`` that loops back) is an error, not an endless read."""
    seen: set[str] = set()
    current: str | None = url
    while current:
        if current in seen:
            raise UsageError(f"DCAT paging loops back to {current}",
                             "The catalog's hydra:next links form a cycle; report it to its "
                             "publisher.")
        if len(seen) >= MAX_PAGES:
            raise UsageError(f"DCAT catalog {url} has more than {MAX_PAGES} pages")
        seen.add(current)
        graph = parse_dcat(current)
        yield graph
        nxt = next((str(o) for o in graph.objects(None, HYDRA.next)
                    if isinstance(o, URIRef)), None)
        current = nxt


def read_dcat(url: str, licences: LicenceRegistry) -> Iterator[RemoteDataset]:
    for graph in pages(url):
        for node in sorted(graph.subjects(RDF.type, DCAT.Dataset), key=str):
            manifest = dataset_from_graph(graph, node, licences)
            identifier = str(graph.value(node, DCT.identifier) or node)
            manifest[ORIGIN_KEY] = {"kind": "dcat", "portal": url, "id": identifier,
                                    "identifier": identifier}
            resources = [RemoteResource(manifest=r, download_url=r.get("url"))
                         for r in manifest.get("resources") or []]
            yield RemoteDataset(remote_id=identifier, remote_name=manifest["name"],
                                manifest=manifest, resources=resources)
