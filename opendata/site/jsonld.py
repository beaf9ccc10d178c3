"""Each dataset's DCAT as JSON-LD, beside the Turtle the DCAT step wrote for it.

The dataset's graph is rebuilt with the DCAT stage's own builder, one dataset at a time
(the same closure the DCAT step writes as Turtle: the two files hold the same triples),
and written with its JSON-LD writer (inline context: a reader fetches nothing).
Parsing the Turtle back instead costs ten times more at 10,000 datasets.

The closure (the dataset and everything it reaches) is walked here rather than with
:func:`opendata.dcat.write.closure`, for speed at 10,000 datasets, with the same result:
the shared nodes (concepts, agents, licences) a dataset reaches are the same few hundred
for every dataset, so the part of the walk that stays inside the shared graph is
remembered per node instead of being walked again, and triples are collected in lists
instead of a new rdflib graph per dataset.
"""

from __future__ import annotations

import io
from typing import Any, cast

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCAT, RDF

from opendata.catalog.manifests import Catalog, Dataset
from opendata.dcat.build import DcatBuilder
from opendata.dcat.formats import piece_writer
from opendata.dcat.ns import BoundedNamespaceManager, piece_graph

#: The walk never enters another dataset or a catalog (as ``closure`` does).
BARRIER = frozenset({DCAT.Dataset, DCAT.Catalog})
Triple = tuple[Any, Any, Any]


class _Reach:
    """What a walk from one node met: every node reached, and each subject's triples."""

    def __init__(self) -> None:
        self.reached: set[Any] = set()
        self.triples: dict[Any, list[Triple]] = {}


class JsonLdWriter:
    def __init__(self, catalog: Catalog, names: list[str]):
        self.builder = DcatBuilder(catalog, names)
        self.builder.head(links=False)  # first, as the DCAT step does (shared nodes)
        manager = piece_graph().namespace_manager
        assert isinstance(manager, BoundedNamespaceManager)
        self.names = manager
        self._memo: dict[Any, _Reach] = {}

    def dataset(self, ds: Dataset) -> str:
        piece = self.builder.dataset(ds)
        triples = self._closure(piece, self.builder.dataset_uri(ds))
        buf = io.StringIO()
        writer = piece_writer("jsonld", buf, self.names)
        writer.header()
        writer.write(cast(Graph, triples))  # the writer only iterates over the triples
        writer.footer()
        return buf.getvalue()

    def _walk(self, graphs: list[Graph], start: Any, reach: _Reach,
              memo: bool, own: set[Any]) -> None:
        """``closure``'s walk from ``start``, into ``reach``.  With ``memo``, a node the
        dataset's piece says nothing about is taken whole from the remembered walk of the
        shared graph (when nothing it reaches is described by the piece either)."""
        todo = [start]
        while todo:
            node = todo.pop()
            if memo and node not in own and node is not start:
                sub = self._shared_reach(node)
                if not (sub.reached & own):
                    for subject, items in sub.triples.items():
                        reach.triples.setdefault(subject, items)
                    reach.reached |= sub.reached
                    continue
            pairs = dict.fromkeys(po for g in graphs for po in g.predicate_objects(node))
            reach.triples.setdefault(node, [(node, p, o) for p, o in pairs])
            for _p, o in pairs:
                if o in reach.reached or isinstance(o, Literal):
                    continue
                reach.reached.add(o)
                if any(t in BARRIER for g in graphs for t in g.objects(o, RDF.type)):
                    continue
                todo.append(o)

    def _shared_reach(self, node: Any) -> _Reach:
        found = self._memo.get(node)
        if found is None:
            found = _Reach()
            found.reached.add(node)
            self._walk([self.builder.shared], node, found, memo=False, own=set())
            self._memo[node] = found
        return found

    def _closure(self, piece: Graph, start: URIRef) -> list[Triple]:
        own = set(piece.subjects())
        shared = self.builder.shared
        # A piece that describes a shared node (the first to meet it) also adds it to the
        # shared graph: a remembered walk may now lack it, so forget them all.  (len() of
        # an rdflib graph counts its triples one by one: this looks up ~20 subjects.)
        if any(next(shared.predicate_objects(s), None) is not None for s in own):
            self._memo.clear()
        reach = _Reach()
        reach.reached.add(start)
        self._walk([piece, shared], start, reach, memo=True, own=own)
        return [t for items in reach.triples.values() for t in items]
