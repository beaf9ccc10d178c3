"""Writing DCAT: whole catalog (Turtle, JSON-LD, RDF/XML, N-Triples), one file per dataset,
Hydra pages.

Every format goes through the piece writers of :mod:`opendata.dcat.formats` (linear time;
JSON-LD with an inline context, so nothing ever fetches a remote one).
:func:`stream_dcat` builds and writes one dataset at a time, so its memory does not grow
with the catalog; :func:`write_dcat` writes a graph that is already built.
"""

from __future__ import annotations

import io
import math
import shutil
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, TextIO

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD

from opendata.catalog.manifests import Catalog
from opendata.dcat.build import DcatBuilder, catalog_uri
from opendata.dcat.datagouv import DATAGOUV_CATALOG, DATAGOUV_PAGE, DatagouvVariant
from opendata.dcat.formats import JSONLD_CONTEXT, piece_writer
from opendata.dcat.ns import DCAT, DCT, HYDRA, BoundedNamespaceManager, bounded, piece_graph
from opendata.dcat.turtle import to_turtle
from opendata.errors import UsageError

#: format name -> (file extension, rdflib parser name, media type)
FORMATS: dict[str, tuple[str, str, str]] = {
    "ttl": ("ttl", "turtle", "text/turtle; charset=utf-8"),
    "jsonld": ("jsonld", "json-ld", "application/ld+json"),
    "rdf": ("rdf", "xml", "application/rdf+xml"),
    "nt": ("nt", "nt", "application/n-triples"),
}
#: file name template of the pages
PAGE = "catalog-page-{n}.ttl"
__all__ = ["FORMATS", "JSONLD_CONTEXT", "closure", "dataset_graph", "dcat_build_step",
           "page_graphs", "serialize", "stream_dcat", "write_dcat"]


def _check_formats(formats: Iterable[str]) -> list[str]:
    formats = list(formats)
    for fmt in formats:
        if fmt not in FORMATS:
            raise UsageError(f"unknown DCAT format {fmt!r}", f"Use one of {', '.join(FORMATS)}.")
    return formats


def write_graph(graph: Graph, fmt: str, out: TextIO) -> None:
    """Write a whole ``graph`` in format ``fmt`` to the text stream ``out``."""
    graph = bounded(graph)
    names = graph.namespace_manager
    assert isinstance(names, BoundedNamespaceManager)
    writer = piece_writer(fmt, out, names)
    writer.header()
    writer.write(graph)
    writer.footer()


def serialize(graph: Graph, fmt: str) -> str:
    """``graph`` in one of :data:`FORMATS` (``ttl``, ``jsonld``, ``rdf``, ``nt``)."""
    _check_formats([fmt])
    buf = io.StringIO()
    write_graph(graph, fmt, buf)
    return buf.getvalue()


def closure(graph: Graph | Sequence[Graph], start: URIRef, stop: Iterable[URIRef] = ()) -> Graph:
    """``start`` and everything reachable from it, without entering other datasets/catalogs.

    Shared nodes (concepts, publishers, licences) are included, so each per-dataset file
    or page is self-contained and passes the shapes on its own.  ``graph`` may be several
    graphs read as their union (a streamed dataset piece and the shared descriptions).
    """
    graphs = [graph] if isinstance(graph, Graph) else list(graph)
    out = piece_graph()
    barrier = {DCAT.Dataset, DCAT.Catalog}
    stopped = set(stop)
    seen = {start}
    todo = [start]
    while todo:
        node = todo.pop()
        for g in graphs:
            for p, o in g.predicate_objects(node):
                out.add((node, p, o))
                if o in seen or o in stopped or isinstance(o, Literal):
                    continue
                seen.add(o)
                if any(t in barrier for h in graphs for t in h.objects(o, RDF.type)):
                    continue
                todo.append(o)
    return out


#: a triple, as :class:`SharedClosure` collects them
Triple = tuple[Any, Any, Any]


class _Reach:
    """What a walk from one node met: every node reached, and each subject's triples."""

    def __init__(self) -> None:
        self.reached: set[Any] = set()
        self.triples: dict[Any, list[Triple]] = {}


class SharedClosure:
    """:func:`closure` over a dataset's piece and a shared graph, for one dataset after
    another, with the same triples, faster at 10,000 datasets.

    The shared nodes (concepts, agents, licences) a dataset reaches are the same few
    hundred for every dataset, so the part of the walk that stays inside the shared graph
    is remembered per node instead of being walked again, and triples are collected in
    lists instead of a new rdflib graph per dataset.
    """

    def __init__(self, shared: Graph):
        self.shared = shared
        self._memo: dict[Any, _Reach] = {}

    def triples(self, piece: Graph, start: URIRef) -> list[Triple]:
        own = set(piece.subjects())
        # A piece that describes a shared node (the first to meet it) also adds it to the
        # shared graph: a remembered walk may now lack it, so forget them all.  (len() of
        # an rdflib graph counts its triples one by one: this looks up ~20 subjects.)
        if any(next(self.shared.predicate_objects(s), None) is not None for s in own):
            self._memo.clear()
        reach = _Reach()
        reach.reached.add(start)
        self._walk([piece, self.shared], start, reach, memo=True, own=own)
        return [t for items in reach.triples.values() for t in items]

    def _walk(self, graphs: list[Graph], start: Any, reach: _Reach,
              memo: bool, own: set[Any]) -> None:
        """:func:`closure`'s walk from ``start``, into ``reach``.  With ``memo``, a node the
        dataset's piece says nothing about is taken whole from the remembered walk of the
        shared graph (when nothing it reaches is described by the piece either)."""
        barrier = (DCAT.Dataset, DCAT.Catalog)
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
                if any(t in barrier for g in graphs for t in g.objects(o, RDF.type)):
                    continue
                todo.append(o)

    def _shared_reach(self, node: Any) -> _Reach:
        found = self._memo.get(node)
        if found is None:
            found = _Reach()
            found.reached.add(node)
            self._walk([self.shared], node, found, memo=False, own=set())
            self._memo[node] = found
        return found


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
        page = piece_graph()
        page += head
        for ds in datasets[i * page_size:(i + 1) * page_size]:
            page.add((cat, DCAT.dataset, ds))
            page += closure(graph, ds)
        _hydra(page, cat, total, i + 1, n_pages, page_url)
        pages.append(page)
    return pages


def _hydra(page: Graph, cat: URIRef, total: int, n: int, n_pages: int, page_url: str) -> None:
    """Page ``n`` of ``n_pages``: the ``hydra:PartialCollectionView`` udata follows."""
    view = URIRef(page_url.format(n=n))
    page.add((cat, RDF.type, HYDRA.Collection))
    page.add((cat, HYDRA.totalItems, Literal(total, datatype=XSD.integer)))
    page.add((cat, HYDRA.view, view))
    page.add((view, RDF.type, HYDRA.PartialCollectionView))
    page.add((view, HYDRA.first, URIRef(page_url.format(n=1))))
    page.add((view, HYDRA.last, URIRef(page_url.format(n=n_pages))))
    if n < n_pages:
        page.add((view, HYDRA.next, URIRef(page_url.format(n=n + 1))))
    if n > 1:
        page.add((view, HYDRA.previous, URIRef(page_url.format(n=n - 1))))


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def write_dcat(graph: Graph, catalog: Catalog, out: Path,
               formats: Iterable[str] = ("ttl", "jsonld", "rdf"), *, per_dataset: bool = True,
               page_size: int | None = None, page_base: str | None = None,
               datagouv: bool = True) -> list[Path]:
    """Write ``catalog.<ext>`` per format, ``dcat/<name>.ttl`` per dataset, and pages.

    Pages are ``catalog-page-<n>.ttl``; their Hydra links point at ``page_base`` (the URL
    where ``out`` is published; default: the catalog's base URI).  With ``datagouv`` and
    Turtle, also ``catalog-datagouv.ttl`` (and ``catalog-datagouv-page-<n>.ttl``), the
    variant udata's harvester takes (:mod:`opendata.dcat.datagouv`).  ``graph`` is already
    in memory; to build and write a large catalog without holding it, use
    :func:`stream_dcat`.
    """
    formats = _check_formats(formats)
    datagouv = datagouv and "ttl" in formats
    written = []
    for fmt in formats:
        target = out / f"catalog.{FORMATS[fmt][0]}"
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("w", encoding="utf-8") as fh:  # straight to the file: no big string
            write_graph(graph, fmt, fh)
        written.append(target)
    variant = DatagouvVariant(catalog.licences)
    if datagouv:
        written.append(_write(out / DATAGOUV_CATALOG, to_turtle(variant(graph))))
    cat = catalog_uri(catalog)
    if per_dataset:
        folder = out / "dcat"
        for ds in sorted(graph.objects(cat, DCAT.dataset), key=str):
            name = str(ds).rstrip("/").rsplit("/", 1)[-1]
            written.append(_write(folder / f"{name}.ttl", to_turtle(dataset_graph(graph, ds))))
    if page_size:
        _remove_pages(out)
        base = (page_base or catalog.config.base_uri).rstrip("/")
        for name, transform in _page_sets(datagouv, variant):
            for i, page in enumerate(page_graphs(graph, page_size, f"{base}/{name}"), 1):
                written.append(_write(out / name.format(n=i), to_turtle(transform(page))))
    return written


def _same(graph: Graph) -> Graph:
    return graph


def _page_sets(datagouv: bool, variant: Callable[[Graph], Graph]
               ) -> list[tuple[str, Callable[[Graph], Graph]]]:
    """(file name template, what to apply to each page) of every set of pages written."""
    sets: list[tuple[str, Callable[[Graph], Graph]]] = [(PAGE, _same)]
    if datagouv:
        sets.append((DATAGOUV_PAGE, variant))
    return sets


def _remove_pages(out: Path) -> None:
    """Pages of an earlier run: a smaller catalog now must not leave stale pages behind."""
    for pattern in (PAGE, DATAGOUV_PAGE):
        for old in out.glob(pattern.format(n="*")):
            old.unlink()


class _Output:
    """One output file assembled from its head and a body streamed beside it.

    Why two parts: the catalog's description comes first in the file, but its dates
    (first issue, last change) and covered units are known only once every dataset is
    built.  The datasets stream into ``<file>.part``; at the end the file is written as
    header, catalog description, the body copied over in blocks, footer.
    """

    def __init__(self, target: Path, fmt: str, names: BoundedNamespaceManager,
                 transform: Callable[[Graph], Graph] | None = None):
        self.target, self.fmt, self.names = target, fmt, names
        self.transform = transform or _same
        self.part = target.with_name(target.name + ".part")
        target.parent.mkdir(parents=True, exist_ok=True)
        self._fh: TextIO | None = self.part.open("w", encoding="utf-8")
        self.body = piece_writer(fmt, self._fh, names)

    def write(self, graph: Graph) -> None:
        self.body.write(self.transform(graph))

    def close_body(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def finish(self, head: Graph) -> Path:
        self.close_body()
        with self.target.open("w", encoding="utf-8") as fh:
            writer = piece_writer(self.fmt, fh, self.names)
            writer.header()
            writer.write(self.transform(head))
            if self.part.stat().st_size:
                fh.write(writer.separator())
                with self.part.open(encoding="utf-8") as body:
                    shutil.copyfileobj(body, fh, 1 << 20)
            writer.footer()
        self.part.unlink()
        return self.target

    def discard(self) -> None:
        self.close_body()
        self.part.unlink(missing_ok=True)


def stream_dcat(catalog: Catalog, out: Path, formats: Iterable[str] = ("ttl", "jsonld", "rdf"),
                datasets: Iterable[str] | None = None, *, git: bool = True,
                per_dataset: bool = True, page_size: int | None = None,
                page_base: str | None = None, datagouv: bool = True) -> list[Path]:
    """Build the catalog's DCAT and write it like :func:`write_dcat`, one dataset at a time.

    Memory stays bounded whatever the number of datasets: each dataset's subgraph is built,
    written to every requested format (and to its own file and its page) and dropped.
    What is kept is small: the catalog's description, the descriptions of shared nodes,
    and the current page (``page_size`` datasets).  The files parse back to a graph
    isomorphic to :func:`~opendata.dcat.build_dcat`'s.  ``datagouv``: as in
    :func:`write_dcat`.
    """
    formats = _check_formats(formats)
    datagouv = datagouv and "ttl" in formats
    if page_size is not None and page_size < 1:
        raise UsageError("--page-size must be at least 1")
    builder = DcatBuilder(catalog, datasets, git=git)
    names = piece_graph().namespace_manager
    assert isinstance(names, BoundedNamespaceManager)
    head = builder.head(links=False)  # first: shared nodes it describes are not repeated
    cat = builder.uri
    outputs = [_Output(out / f"catalog.{FORMATS[fmt][0]}", fmt, names) for fmt in formats]
    variant = DatagouvVariant(catalog.licences)
    if datagouv:
        outputs.append(_Output(out / DATAGOUV_CATALOG, "ttl", names, variant))
    page_sets = _page_sets(datagouv, variant) if page_size else []
    pages: dict[str, list[_Output]] = {name: [] for name, _t in page_sets}
    if page_size:
        _remove_pages(out)
    page_body = piece_graph()
    written: list[Path] = []
    try:
        for i, ds in enumerate(builder.datasets):
            piece = builder.dataset(ds)
            for output in outputs:
                output.write(piece)
            if not (per_dataset or page_size):
                continue
            own = closure([piece, builder.shared], builder.dataset_uri(ds))
            if per_dataset:
                written.append(_write(out / "dcat" / f"{ds.name}.ttl", to_turtle(own)))
            if page_size:
                page_body += own
                if (i + 1) % page_size == 0 or i + 1 == len(builder.datasets):
                    page_body -= head  # the page's head describes those again
                    for name, transform in page_sets:
                        n = len(pages[name]) + 1
                        page = _Output(out / name.format(n=n), "ttl", names, transform)
                        page.write(page_body)
                        page.close_body()
                        pages[name].append(page)
                    page_body = piece_graph()
        head += builder.tail()
        whole = piece_graph()
        whole += head
        for ds in builder.datasets:
            whole.add((cat, DCAT.dataset, builder.dataset_uri(ds)))
        written[:0] = [output.finish(whole) for output in outputs]
        del whole
        base = (page_base or catalog.config.base_uri).rstrip("/")
        for name, transform in page_sets:
            assert page_size
            done = pages[name]
            if not done:  # no dataset: one page with the catalog alone
                done.append(_Output(out / name.format(n=1), "ttl", names, transform))
            total = len(builder.datasets)
            for n, page in enumerate(done, 1):
                top = piece_graph()
                top += head
                for unit in top.objects(cat, DCT.spatial):  # described where first met
                    top += closure([builder.shared], unit)  # type: ignore[arg-type]
                for ds in builder.datasets[(n - 1) * page_size:n * page_size]:
                    top.add((cat, DCAT.dataset, builder.dataset_uri(ds)))
                _hydra(top, cat, total, n, len(done), f"{base}/{name}")
                written.append(page.finish(top))
    finally:
        for output in outputs + [p for done in pages.values() for p in done]:
            output.discard()
    return written


def dcat_build_step(catalog: Catalog, report, dist: Path) -> list[Path]:
    """Build step: DCAT-AP of the valid datasets into ``dist/``, streamed (bounded memory)."""
    return stream_dcat(catalog, dist, datasets=report.valid_datasets())
