"""Writers that take a catalog graph piece by piece: Turtle, N-Triples, RDF/XML, JSON-LD.

Why: rdflib's serializers need the whole graph at once (610,000 triples, ~570 MB for
10,000 datasets) and its JSON-LD one peaks at 1.4 GB.  Each writer here has the same three
steps, ``header()``, ``write(graph)`` as many times as there are pieces, ``footer()``, and
renders terms with rdflib (IRI and literal escaping stay rdflib's, or the standard
library's for XML and JSON).  A piece's blank nodes must not be shared with another piece
(the builder's never are).  Tests parse every output back and compare it, isomorphic, with
:func:`~opendata.dcat.build_dcat`'s graph.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import defaultdict
from typing import Protocol, TextIO
from xml.sax.saxutils import escape, quoteattr

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD

from opendata.dcat.ns import PREFIXES, BoundedNamespaceManager
from opendata.dcat.turtle import TurtleWriter


class PieceWriter(Protocol):
    """What every format writer offers (see the module docstring)."""

    def header(self) -> None: ...
    def write(self, graph: Graph) -> None: ...
    def footer(self) -> None: ...
    def separator(self) -> str:
        """Text to put between what this writer wrote and a body written by another."""
        ...


class _TurtlePieces:
    def __init__(self, out: TextIO, names: BoundedNamespaceManager):
        self._writer = TurtleWriter(out, names)

    def header(self) -> None:
        self._writer.header()

    def write(self, graph: Graph) -> None:
        self._writer.write(graph)

    def footer(self) -> None:
        pass

    def separator(self) -> str:
        return ""


class _NTriplesPieces:
    """N-Triples: one line per triple, rdflib's own row format; nothing to group."""

    def __init__(self, out: TextIO, names: BoundedNamespaceManager):
        self.out = out

    def header(self) -> None:
        pass

    def write(self, graph: Graph) -> None:
        if len(graph):
            self.out.write(graph.serialize(format="nt"))

    def footer(self) -> None:
        pass

    def separator(self) -> str:
        return ""


_NCNAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")


def _node_id(node: BNode) -> str:
    """A blank node label that is an XML NCName (rdflib's ``N<hex>`` ones already are)."""
    text = str(node)
    return text if _NCNAME.match(text) else "b" + hashlib.sha1(text.encode()).hexdigest()


class _RdfXmlPieces:
    """RDF/XML: the ``rdf:RDF`` envelope with every prefix declared once, then one
    ``rdf:Description`` per subject (``rdf:about`` or ``rdf:nodeID``), one property
    element per triple (``rdf:resource``, ``rdf:nodeID``, or text with ``xml:lang`` /
    ``rdf:datatype``)."""

    def __init__(self, out: TextIO, names: BoundedNamespaceManager):
        self.out = out
        self.nm = names
        self.tags: dict[URIRef, str] = {}

    def header(self) -> None:
        self.out.write('<?xml version="1.0" encoding="utf-8"?>\n<rdf:RDF')
        for prefix, ns in sorted(self.nm.namespaces()):
            self.out.write(f"\n   xmlns:{prefix}={quoteattr(str(ns))}")
        self.out.write(">\n")

    def tag(self, predicate: URIRef) -> tuple[str, str]:
        """(element name, extra ``xmlns`` attribute) for a property IRI."""
        qname = self.nm.qname_or_none(predicate)
        if qname:
            return qname, ""
        text = str(predicate)
        cut = max(text.rfind("#"), text.rfind("/"))
        local = text[cut + 1:]
        if cut < 0 or not _NCNAME.match(local):
            raise ValueError(f"RDF/XML cannot name the property <{text}>")
        return f"ns0:{local}", f" xmlns:ns0={quoteattr(text[:cut + 1])}"

    def write(self, graph: Graph) -> None:
        po: dict[object, list[tuple[object, object]]] = defaultdict(list)
        for s, p, o in graph:
            po[s].append((p, o))
        out = self.out
        for s in sorted(po, key=lambda n: (isinstance(n, BNode), str(n))):
            ref = (f"rdf:nodeID={quoteattr(_node_id(s))}" if isinstance(s, BNode)
                   else f"rdf:about={quoteattr(str(s))}")
            out.write(f"  <rdf:Description {ref}>\n")
            for p, o in sorted(po[s], key=lambda item: (str(item[0]), str(item[1]))):
                assert isinstance(p, URIRef)
                name, xmlns = self.tag(p)
                if isinstance(o, URIRef):
                    out.write(f"    <{name}{xmlns} rdf:resource={quoteattr(str(o))}/>\n")
                elif isinstance(o, BNode):
                    out.write(f"    <{name}{xmlns} rdf:nodeID={quoteattr(_node_id(o))}/>\n")
                else:
                    assert isinstance(o, Literal)
                    attr = ""
                    if o.language:
                        attr = f" xml:lang={quoteattr(o.language)}"
                    elif o.datatype is not None:
                        attr = f" rdf:datatype={quoteattr(str(o.datatype))}"
                    out.write(f"    <{name}{xmlns}{attr}>{escape(str(o))}</{name}>\n")
            out.write("  </rdf:Description>\n")

    def footer(self) -> None:
        self.out.write("</rdf:RDF>\n")

    def separator(self) -> str:
        return ""


#: the inline JSON-LD context: prefixes only, so reading it never needs the network
JSONLD_CONTEXT: dict[str, str] = dict(PREFIXES)
_TYPE = RDF.type


class _JsonLdPieces:
    """JSON-LD: ``{"@context": <prefixes>, "@graph": [...]}``, one node object per subject.

    Node objects are flat (blank nodes referenced by ``"_:id"``), values are explicit
    (``@id``, or ``@value`` with ``@language``/``@type``) so every literal keeps its
    exact lexical form.  Property names and types are compacted with the fixed prefixes.
    """

    def __init__(self, out: TextIO, names: BoundedNamespaceManager):
        self.out = out
        self.nm = names
        self.count = 0

    def header(self) -> None:
        context = json.dumps(JSONLD_CONTEXT, indent=2, sort_keys=True).replace("\n", "\n  ")
        self.out.write('{\n  "@context": ' + context + ',\n  "@graph": [\n')

    def iri(self, node: URIRef) -> str:
        """An absolute IRI that no prefix of the context would rewrite."""
        text = str(node)
        scheme, _, rest = text.partition(":")
        if scheme in JSONLD_CONTEXT and not rest.startswith("//"):
            raise ValueError(f"the IRI <{text}> reads as a compact IRI in JSON-LD")
        return text

    def key(self, node: URIRef) -> str:
        return self.nm.qname_or_none(node) or self.iri(node)

    def value(self, node: object) -> object:
        if isinstance(node, URIRef):
            return {"@id": self.iri(node)}
        if isinstance(node, BNode):
            return {"@id": f"_:{node}"}
        assert isinstance(node, Literal)
        if node.language:
            return {"@value": str(node), "@language": node.language}
        if node.datatype is not None and node.datatype != XSD.string:
            return {"@value": str(node), "@type": self.key(node.datatype)}
        return {"@value": str(node)}

    def write(self, graph: Graph) -> None:
        nodes: dict[object, dict[str, list[object]]] = defaultdict(lambda: defaultdict(list))
        for s, p, o in graph:
            assert isinstance(p, URIRef)
            if p == _TYPE and isinstance(o, URIRef):
                nodes[s]["@type"].append(self.key(o))
            else:
                nodes[s][self.key(p)].append(self.value(o))
        for s in sorted(nodes, key=lambda n: (isinstance(n, BNode), str(n))):
            obj: dict[str, object] = {
                "@id": f"_:{s}" if isinstance(s, BNode) else self.iri(s)}  # type: ignore[arg-type]
            for k in sorted(nodes[s]):
                vals = nodes[s][k]
                if k == "@type":
                    vals = sorted(vals)  # type: ignore[type-var]
                obj[k] = vals
            if self.count:
                self.out.write(",\n")
            self.out.write("    " + json.dumps(obj, ensure_ascii=False, sort_keys=False))
            self.count += 1

    def footer(self) -> None:
        self.out.write("\n  ]\n}\n")

    def separator(self) -> str:
        return ",\n" if self.count else ""


WRITERS: dict[str, type] = {
    "ttl": _TurtlePieces,
    "nt": _NTriplesPieces,
    "rdf": _RdfXmlPieces,
    "jsonld": _JsonLdPieces,
}


def piece_writer(fmt: str, out: TextIO, names: BoundedNamespaceManager) -> PieceWriter:
    """The writer of format ``fmt`` (a key of :data:`WRITERS`) into the text stream ``out``."""
    return WRITERS[fmt](out, names)
