"""Namespaces of DCAT-AP 3 and a namespace manager whose prefix lookup stays cheap.

rdflib's own :class:`~rdflib.namespace.NamespaceManager` files every namespace it meets
(``https://host/dataset/<name>/`` is a new one for each dataset) into a trie whose sibling
scan makes the Turtle serializer quadratic in the number of datasets (rdflib issue
#1752: 10,000 datasets took minutes).  :class:`BoundedNamespaceManager` only ever
abbreviates with the prefixes bound up front, so a lookup costs a few string
comparisons; any other IRI is written in full, which is equally valid Turtle.
"""

from __future__ import annotations

import re

from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, OWL, RDF, RDFS, SKOS, XSD, NamespaceManager

DCT = DCTERMS
DCATAP = Namespace("http://data.europa.eu/r5r/")
ADMS = Namespace("http://www.w3.org/ns/adms#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
LOCN = Namespace("http://www.w3.org/ns/locn#")
GSP = Namespace("http://www.opengis.net/ont/geosparql#")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
PROV = Namespace("http://www.w3.org/ns/prov#")
IANA = "https://www.iana.org/assignments/media-types/"

#: Prefixes written in every output (Turtle header, JSON-LD context, RDF/XML).
PREFIXES: dict[str, str] = {
    "adms": str(ADMS),
    "dcat": str(DCAT),
    "dcatap": str(DCATAP),
    "dct": str(DCT),
    "foaf": str(FOAF),
    "gsp": str(GSP),
    "hydra": str(HYDRA),
    "locn": str(LOCN),
    "owl": str(OWL),
    "prov": str(PROV),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "skos": str(SKOS),
    "spdx": str(SPDX),
    "vcard": str(VCARD),
    "xsd": str(XSD),
}

#: qname cache entries kept before starting afresh (a streaming writer sees every IRI once)
_CACHE_MAX = 50_000
# Turtle PN_LOCAL, restricted to what we can write without escapes.
_MISSING = object()
_LOCAL = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+)*$")


class BoundedNamespaceManager(NamespaceManager):
    """Abbreviates IRIs with the bound prefixes only; never invents ``ns1:`` prefixes.

    The search is over the handful of bound namespaces, longest first, and results are
    cached per IRI, so serialising N datasets costs O(N).
    """

    def __init__(self, graph: Graph, prefixes: dict[str, str] | None = None):
        super().__init__(graph, bind_namespaces="none")
        self._qnames: dict[str, tuple[str, URIRef, str] | None] = {}
        for prefix, ns in (prefixes or PREFIXES).items():
            self.bind(prefix, URIRef(ns), override=True, replace=True)
        self._ordered = sorted(((str(ns), p) for p, ns in self.namespaces()),
                               key=lambda item: -len(item[0]))

    def bind(self, prefix, namespace, override=True, replace=False) -> None:  # type: ignore[override]
        super().bind(prefix, namespace, override=override, replace=replace)
        if hasattr(self, "_ordered"):
            self._ordered = sorted(((str(ns), p) for p, ns in self.namespaces()),
                                   key=lambda item: -len(item[0]))
            self._qnames.clear()

    def compute_qname(self, uri: str, generate: bool = True) -> tuple[str, URIRef, str]:
        """(prefix, namespace, local name) of ``uri``; KeyError when no bound prefix fits."""
        hit = self._qnames.get(uri, _MISSING)
        if hit is _MISSING:
            if len(self._qnames) >= _CACHE_MAX:  # most IRIs are per dataset: keep it bounded
                self._qnames.clear()
            hit = None
            text = str(uri)
            for ns, prefix in self._ordered:
                if text.startswith(ns):
                    local = text[len(ns):]
                    if local == "" or _LOCAL.match(local):
                        hit = (prefix, URIRef(ns), local)
                        break
            self._qnames[uri] = hit
        if hit is None:
            raise KeyError(f"no bound prefix for {uri}")
        return hit

    def qname_or_none(self, uri: str) -> str | None:
        """``prefix:local`` for ``uri``, or None: the writers' fast path."""
        try:
            prefix, _ns, local = self.compute_qname(uri)
        except KeyError:
            return None
        return f"{prefix}:{local}"

    def compute_qname_strict(self, uri: str, generate: bool = True) -> tuple[str, str, str]:
        prefix, ns, local = self.compute_qname(uri, generate)
        return prefix, str(ns), local


#: rdflib store of the streamed pieces: ``SimpleMemory`` keeps three plain dict indexes and
#: fires no events, so adding a triple costs noticeably less than in the default
#: context-aware ``Memory`` store.  Graphs handed to library users (:func:`new_graph`) keep
#: the default store: pySHACL and rdflib's ``Dataset`` insist on a context-aware one.
PIECE_STORE = "SimpleMemory"


def new_graph() -> Graph:
    """An empty graph with the DCAT-AP prefixes and the bounded namespace manager."""
    graph = Graph(bind_namespaces="none")
    graph.namespace_manager = BoundedNamespaceManager(graph)
    return graph


_PIECE_NAMES: BoundedNamespaceManager | None = None


def piece_graph() -> Graph:
    """An empty graph for one piece of a streamed catalog (a dataset, the catalog head).

    Like :func:`new_graph`, but all pieces share one namespace manager: building a
    manager binds and sorts every prefix, which is wasted work 10,000 times over.
    """
    global _PIECE_NAMES
    if _PIECE_NAMES is None:
        _PIECE_NAMES = BoundedNamespaceManager(Graph(store=PIECE_STORE, bind_namespaces="none"))
    return Graph(store=PIECE_STORE, bind_namespaces="none", namespace_manager=_PIECE_NAMES)


def bounded(graph: Graph) -> Graph:
    """``graph`` itself if it already has a bounded manager, else a copy that has one.

    Used by the writers so that any graph (e.g. one parsed from elsewhere) serialises in
    linear time.
    """
    if isinstance(graph.namespace_manager, BoundedNamespaceManager):
        return graph
    out = new_graph()
    for prefix, ns in graph.namespaces():
        if prefix and prefix not in PREFIXES and str(ns) not in PREFIXES.values():
            out.namespace_manager.bind(prefix, ns)
    out += graph
    return out
