"""Each dataset's DCAT as JSON-LD, beside the Turtle the DCAT step wrote for it.

The dataset's graph is rebuilt with the DCAT stage's own builder, one dataset at a time
(the same closure the DCAT step writes as Turtle: the two files hold the same triples,
walked by :class:`opendata.dcat.write.SharedClosure`, which remembers the shared part of
the walk from one dataset to the next), and written with its JSON-LD writer (inline
context: a reader fetches nothing).  Parsing the Turtle back instead costs ten times more
at 10,000 datasets.
"""

from __future__ import annotations

import io
from typing import cast

from rdflib import Graph

from opendata.catalog.manifests import Catalog, Dataset
from opendata.dcat.build import DcatBuilder
from opendata.dcat.formats import piece_writer
from opendata.dcat.ns import BoundedNamespaceManager, piece_graph
from opendata.dcat.write import SharedClosure


class JsonLdWriter:
    def __init__(self, catalog: Catalog, names: list[str]):
        self.builder = DcatBuilder(catalog, names)
        self.builder.head(links=False)  # first, as the DCAT step does (shared nodes)
        manager = piece_graph().namespace_manager
        assert isinstance(manager, BoundedNamespaceManager)
        self.names = manager
        self.closure = SharedClosure(self.builder.shared)

    def dataset(self, ds: Dataset) -> str:
        piece = self.builder.dataset(ds)
        triples = self.closure.triples(piece, self.builder.dataset_uri(ds))
        buf = io.StringIO()
        writer = piece_writer("jsonld", buf, self.names)
        writer.header()
        writer.write(cast(Graph, triples))  # the writer only iterates over the triples
        writer.footer()
        return buf.getvalue()
