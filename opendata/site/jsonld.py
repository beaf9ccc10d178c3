"""A dataset's DCAT as JSON-LD, from the Turtle the DCAT step wrote for it.

The DCAT step writes one Turtle file per dataset; the site offers JSON-LD beside it.
Rebuilding the dataset's graph would repeat the DCAT step's work; parsing its small
Turtle file and writing it with the DCAT stage's own JSON-LD writer gives the same
triples with the same inline context (no remote context fetch for a reader).
"""

from __future__ import annotations

import io

from opendata.dcat.formats import piece_writer
from opendata.dcat.ns import BoundedNamespaceManager, piece_graph


def turtle_to_jsonld(turtle: str) -> str:
    graph = piece_graph()
    graph.parse(data=turtle, format="turtle")
    names = graph.namespace_manager
    assert isinstance(names, BoundedNamespaceManager)
    buf = io.StringIO()
    writer = piece_writer("jsonld", buf, names)
    writer.header()
    writer.write(graph)
    writer.footer()
    return buf.getvalue()
