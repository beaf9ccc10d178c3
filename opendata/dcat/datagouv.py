"""The data.gouv.fr-facing variant of the catalog: checksums as plain literals.

Why a second file: DCAT-AP 3.0.1 gives ``spdx:checksumValue`` the range ``xsd:hexBinary``
and its shapes (``split_shapes.ttl``, ``spdx:Checksum`` shape) make that a violation
otherwise.  udata 17.18's DCAT harvester reads the value with rdflib's ``toPython()``,
which turns an ``xsd:hexBinary`` literal into ``bytes``; udata's ``Checksum.value`` is a
string field, so every dataset with a checksum fails to save (``checksum.value.StringField
only accepts string values``) and the harvest brings in nothing.  No lexical form is both
a valid ``xsd:hexBinary`` and a string for rdflib, and a checksum node must be typed
``spdx:Checksum`` (class-range shape), which puts it under that shape.  udata's own DCAT
export writes the value untyped, so that is what this variant does; everything else is
the same graph.  ckanext-dcat reads the value as text either way, so it takes both files.
"""

from __future__ import annotations

from collections.abc import Iterable

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, XSD

from opendata.catalog.config import Licence
from opendata.dcat.ns import DCT, SPDX, new_graph, piece_graph

#: file names of the data.gouv.fr variant (Turtle, the format tested with udata)
DATAGOUV_CATALOG = "catalog-datagouv.ttl"
DATAGOUV_PAGE = "catalog-datagouv-page-{n}.ttl"


class DatagouvVariant:
    """The transform from the standard graph to the data.gouv.fr one, for a catalog's
    licences: checksums untyped, and each licence labelled with its data.gouv.fr id.

    Why the label: udata's harvester finds the licence with ``License.guess()`` on the
    ``dct:license`` node's ``rdfs:label`` if it has one, else its IRI; the registry URL of
    a licence is not always the one data.gouv.fr lists (ODbL: ``.../odbl/1-0/`` against
    ``.../odbl/summary/``), and the harvested dataset then gets ``notspecified``.  The id
    matches exactly.  The standard file keeps no such label (it is not a human label).
    """

    def __init__(self, licences: Iterable[Licence] = ()):
        self.labels = {URIRef(lic.url): lic.datagouv_id for lic in licences if lic.url}

    def __call__(self, graph: Graph) -> Graph:
        return for_datagouv(graph, self.labels)


def for_datagouv(graph: Graph, licence_labels: dict[URIRef, str] | None = None) -> Graph:
    """``graph`` with every ``xsd:hexBinary`` checksum value as a plain literal, and the
    licences of ``licence_labels`` (IRI -> data.gouv.fr id) labelled with their id.

    Returns ``graph`` itself when there is nothing to change, else a copy (the caller's
    graph is also written to the standard files).
    """
    typed = [(s, o) for s, o in graph.subject_objects(SPDX.checksumValue)
             if isinstance(o, Literal) and o.datatype == XSD.hexBinary]
    labels = [(node, label) for node, label in (licence_labels or {}).items()
              if (node, RDF.type, DCT.LicenseDocument) in graph]
    if not typed and not labels:
        return graph
    # same kind of store as the input: pySHACL needs a context-aware one for whole graphs
    out = new_graph() if graph.store.context_aware else piece_graph()
    out += graph
    for s, o in typed:
        out.remove((s, SPDX.checksumValue, o))
        out.add((s, SPDX.checksumValue, Literal(str(o))))
    for node, label in labels:
        out.add((node, RDFS.label, Literal(label)))
    return out
