"""Reading a DCAT / DCAT-AP catalog back into manifest dicts: ``read_catalog()``.

The mapping is the inverse of :mod:`opendata.dcat.build` for everything DCAT carries
(title, description, keywords, themes, frequency, temporal, spatial, contact, source,
version, language, landing page, licence, organisation, resources with their URL, format,
media type and schema).  What DCAT cannot carry (dialects, local paths, extras) is absent:
a local resource comes back as its public ``url``.  Harvesting other portals builds on this.
"""

from __future__ import annotations

import json
import re
import xml.sax
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import FOAF, RDF

from opendata.catalog.config import LicenceRegistry
from opendata.catalog.schemas import reference_of_url
from opendata.catalog.vocab import (
    FILE_TYPE_SCHEME,
    FORMATS,
    FREQUENCY_SCHEME,
    LANGUAGE_SCHEME,
    LANGUAGES,
    SPATIAL_LEVELS,
    THEME_SCHEME,
)
from opendata.dcat.build import DCAT_VERSION
from opendata.dcat.ns import DCAT, DCT, HYDRA, IANA, PROV, VCARD
from opendata.errors import OpendataError

_COG = re.compile(r"/geo/cog(\d{4})/([a-z]+)/([0-9AB]{2,5})$")
_GUESS = {".ttl": "turtle", ".jsonld": "json-ld", ".json": "json-ld", ".rdf": "xml",
          ".xml": "xml", ".nt": "nt", ".n3": "n3"}
_MEDIA = {"text/turtle": "turtle", "application/ld+json": "json-ld", "application/json": "json-ld",
          "application/rdf+xml": "xml", "application/xml": "xml", "text/xml": "xml",
          "application/n-triples": "nt"}
_FORMAT_BY_EU = {code: fmt for fmt, (code, _mt) in FORMATS.items()}
_LANG_BY_EU = {eu: iso for iso, (eu, _label) in LANGUAGES.items()}
_SLUG = re.compile(r"[^a-z0-9_-]+")


class DcatParseError(OpendataError):
    """A DCAT document that does not parse: the parser's line and message."""


def _fetch(source: str) -> tuple[str, str | None]:
    import requests

    try:
        resp = requests.get(source, timeout=60, headers={
            "Accept": "text/turtle, application/ld+json, application/rdf+xml;q=0.9"})
        resp.raise_for_status()
    except requests.HTTPError as exc:
        raise DcatParseError(f"cannot download {source}: HTTP {exc.response.status_code}",
                             "The server failed on this page; try again later, or download "
                             "the pages and pass the first one's path.") from None
    except requests.RequestException as exc:
        raise OpendataError(f"cannot download {source}: {exc}",
                            "Check the URL, or download the file and pass its path.") from None
    media = resp.headers.get("Content-Type", "").split(";")[0].strip().lower()
    # Turtle is UTF-8 by definition, whatever charset (or none) the server announced
    text = resp.content.decode("utf-8", errors="replace")
    if media in ("text/html", "application/xhtml+xml") or (
            not media.endswith(("xml", "json")) and text.lstrip()[:15].lower().startswith(
                ("<!doctype html", "<html"))):
        raise DcatParseError(
            f"{source} returned a web page (Content-Type {media or 'none'}), not DCAT",
            "The server answers with HTML (an error or login page?): check the URL, and that "
            "the catalog files are served as text/turtle, application/ld+json or "
            "application/rdf+xml.")
    return text, _MEDIA.get(media)


def parse_dcat(source: str | Path, fmt: str | None = None) -> Graph:
    """Parse a DCAT document (file path or http(s) URL) into a graph.

    Syntax errors raise :class:`DcatParseError` with the file, line and parser message.
    """
    name = str(source)
    if name.startswith(("http://", "https://")):
        text, media_fmt = _fetch(name)
        fmt = fmt or media_fmt or _GUESS.get(Path(name.split("?")[0]).suffix.lower(), "turtle")
    else:
        path = Path(source)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise OpendataError(f"cannot read {path}: {exc.strerror}") from None
        fmt = fmt or _GUESS.get(path.suffix.lower()) or "turtle"
    graph = Graph()
    try:
        graph.parse(data=text, format=fmt, publicID=name if "://" in name else None)
    except xml.sax.SAXParseException as exc:
        raise DcatParseError(f"{name}:{exc.getLineNumber()}:{exc.getColumnNumber()}: "
                             f"RDF/XML syntax error: {exc.getMessage()}") from None
    except json.JSONDecodeError as exc:
        raise DcatParseError(f"{name}:{exc.lineno}:{exc.colno}: JSON-LD syntax error: "
                             f"{exc.msg}") from None
    except Exception as exc:  # rdflib's parsers raise many types; all are syntax errors
        line = getattr(exc, "lines", None)
        msg = getattr(exc, "message", None) or str(exc)
        where = f"{name}:{line + 1}" if isinstance(line, int) else name
        raise DcatParseError(f"{where}: {_FORMAT_NAMES.get(fmt, fmt)} syntax error: "
                             f"{msg.strip()}", "Fix the document at that line.") from None
    return graph


_FORMAT_NAMES = {"turtle": "Turtle", "xml": "RDF/XML", "json-ld": "JSON-LD", "nt": "N-Triples"}


def _text(graph: Graph, node: Any, pred: URIRef, lang: str | None = None) -> str | None:
    values = [o for o in graph.objects(node, pred) if isinstance(o, Literal)]
    if not values:
        return None
    for v in values:
        if lang and v.language == lang:
            return str(v)
    return str(sorted(values, key=lambda v: (v.language or "", str(v)))[0])


def _uri(graph: Graph, node: Any, pred: URIRef) -> str | None:
    value = graph.value(node, pred)
    return str(value) if value is not None else None


def _code(uri: str, scheme: str) -> str | None:
    prefix = scheme + "/"
    return uri[len(prefix):] if uri.startswith(prefix) else None


def _last(uri: str) -> str:
    return uri.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1]


def _slug(text: str) -> str:
    return _SLUG.sub("-", text.lower()).strip("-")[:100] or "item"


def _number(text: str) -> float | int:
    value = float(text)
    return int(value) if value.is_integer() and "." not in text else value


def _bbox(wkt: str) -> list[float | int] | None:
    nums = [_number(n) for n in re.findall(r"-?\d+(?:\.\d+)?(?:[eE]-?\d+)?", wkt)]
    if len(nums) < 4:
        return None
    xs, ys = nums[0::2], nums[1::2]
    return [min(xs), min(ys), max(xs), max(ys)]


def _schema(url: str, download: str | None) -> Any:
    national = reference_of_url(url)
    if national:
        return national
    m = re.search(r"/validation/schemas/([A-Za-z0-9._-]+)\.json$", url)
    if m:
        return {"shared": m.group(1)}
    if download and "/" in download:
        folder = download.rsplit("/", 1)[0] + "/"
        if url.startswith(folder) and "/" not in url[len(folder):]:
            return url[len(folder):]
    return None


def _resource(graph: Graph, node: Any, index: int, lang: str | None) -> dict[str, Any]:
    res: dict[str, Any] = {}
    ident = _text(graph, node, DCT.identifier) or (str(node) if isinstance(node, URIRef) else "")
    title = _text(graph, node, DCT.title, lang)
    res["name"] = _slug(_last(ident)) if ident else _slug(title or f"resource-{index}")
    if title:
        res["title"] = title
    if desc := _text(graph, node, DCT.description, lang):
        res["description"] = desc
    url = _uri(graph, node, DCAT.downloadURL) or _uri(graph, node, DCAT.accessURL)
    if url:
        res["url"] = url
    fmt_node = graph.value(node, DCT.format)
    if fmt_node is not None:
        code = _code(str(fmt_node), FILE_TYPE_SCHEME)
        res["format"] = _FORMAT_BY_EU.get(code or "", (code or _last(str(fmt_node))).lower())
    mt = graph.value(node, DCAT.mediaType)
    if mt is not None:
        res["mediatype"] = str(mt)[len(IANA):] if str(mt).startswith(IANA) else str(mt)
    if "format" not in res and res.get("mediatype"):
        res["format"] = res["mediatype"].rsplit("/", 1)[-1].lower()
    conforms = graph.value(node, DCT.conformsTo)
    if conforms is not None and (schema := _schema(str(conforms), url)) is not None:
        res["schema"] = schema
    return res


def dataset_from_graph(graph: Graph, node: Any, licences: LicenceRegistry | None = None,
                       lang: str | None = "fr") -> dict[str, Any]:
    """One ``dcat:Dataset`` node as a manifest dict."""
    m: dict[str, Any] = {}
    ident = _text(graph, node, DCT.identifier) or str(node)
    m["name"] = _slug(_last(ident))
    m["title"] = _text(graph, node, DCT.title, lang) or m["name"]
    m["description"] = _text(graph, node, DCT.description, lang) or ""
    pub = graph.value(node, DCT.publisher)
    if pub is not None:
        key = _text(graph, pub, DCT.identifier)
        name = _text(graph, pub, FOAF.name, lang)
        m["organization"] = key or (_slug(name) if name else _slug(_last(str(pub))))
    lic_urls = sorted({str(o) for d in graph.objects(node, DCAT.distribution)
                       for o in graph.objects(d, DCT.license)} |
                      {str(o) for o in graph.objects(node, DCT.license)})
    if lic_urls:
        lic = None
        if licences is not None:
            for url in lic_urls:
                candidates = [url, *(str(s) for s in graph.objects(URIRef(url), _SAME_AS))]
                lic = next((f for c in candidates if (f := licences.find(c))), None)
                if lic:
                    break
        m["licence"] = lic.key if lic else lic_urls[0]
    keywords = sorted(str(k) for k in graph.objects(node, DCAT.keyword))
    if keywords:
        m["keywords"] = keywords
    themes = sorted(c for t in graph.objects(node, DCAT.theme)
                    if (c := _code(str(t), THEME_SCHEME)))
    if themes:
        m["themes"] = themes
    freq = graph.value(node, DCT.accrualPeriodicity)
    if freq is not None and (code := _code(str(freq), FREQUENCY_SCHEME)):
        m["frequency"] = code
    pot = graph.value(node, DCT.temporal)
    if pot is not None:
        temporal = {k: str(v) for k, p in (("start", DCAT.startDate), ("end", DCAT.endDate))
                    if (v := graph.value(pot, p)) is not None}
        if temporal:
            m["temporal"] = temporal
    spatial: dict[str, Any] = {}
    for loc in graph.objects(node, DCT.spatial):
        for level, base in SPATIAL_LEVELS.items():
            if isinstance(loc, URIRef) and str(loc).startswith(base):
                spatial.update(level=level, code=str(loc)[len(base):])
        # a code of a stated COG vintage: <base>geo/cog2015/region/82, notation "82"
        if isinstance(loc, URIRef) and (vintage := _COG.search(str(loc))):
            kinds = {b.rstrip("/").rsplit("/", 1)[-1]: lvl for lvl, b in SPATIAL_LEVELS.items()}
            if vintage.group(2) in kinds:
                spatial.update(level=kinds[vintage.group(2)], code=vintage.group(3),
                               cog=int(vintage.group(1)))
        wkt = graph.value(loc, DCAT.bbox) or graph.value(loc, _LOCN_GEOMETRY)
        if wkt is not None and (box := _bbox(str(wkt))):
            spatial["bbox"] = box
    if spatial:
        m["spatial"] = spatial
    cp = graph.value(node, DCAT.contactPoint)
    if cp is not None:
        contact: dict[str, Any] = {}
        if fn := _text(graph, cp, VCARD.fn):
            contact["name"] = fn
        if (email := _uri(graph, cp, VCARD.hasEmail)):
            contact["email"] = email.removeprefix("mailto:")
        if (url := _uri(graph, cp, VCARD.hasURL)):
            contact["url"] = url
        if contact.get("email"):
            m["contact"] = contact
    src = graph.value(node, PROV.wasDerivedFrom)
    if src is not None and (title := _text(graph, src, DCT.title)):
        source: dict[str, Any] = {"title": title}
        for key, pred in (("section", DCT.description), ("url", FOAF.page), ("date", DCT.date),
                          ("seed", DCT.identifier)):
            if (v := graph.value(src, pred)) is not None:
                source[key] = str(v)
        m["source"] = source
    if (version := _text(graph, node, DCAT_VERSION)) is not None:
        m["version"] = version
    langs = sorted(iso for lg in graph.objects(node, DCT.language)
                   if (iso := _LANG_BY_EU.get(_code(str(lg), LANGUAGE_SCHEME) or "")))
    if langs:
        m["language"] = langs
    if (landing := _uri(graph, node, DCAT.landingPage)):
        m["landing_page"] = landing
    dists = sorted(graph.objects(node, DCAT.distribution), key=str)
    m["resources"] = [_resource(graph, d, i, lang) for i, d in enumerate(dists)]
    return m


_SAME_AS = URIRef("http://www.w3.org/2002/07/owl#sameAs")
_LOCN_GEOMETRY = URIRef("http://www.w3.org/ns/locn#geometry")


def read_catalog(source: str | Path | Graph, licences: LicenceRegistry | None = None, *,
                 fmt: str | None = None, lang: str | None = "fr") -> list[dict[str, Any]]:
    """Every dataset of a DCAT catalog as a manifest dict, sorted by name.

    ``source`` is a file path, an http(s) URL or an already parsed graph; ``licences``
    (a catalog's registry) turns licence URLs back into registry keys.  ``lang`` picks
    the language of titles and descriptions when several are given.  A file or URL that is
    the first page of a Hydra-paged catalog is read with all its pages
    (:func:`catalog_pages`); a dataset without ``dct:identifier`` is an error.
    """
    graphs = [("graph", source)] if isinstance(source, Graph) else \
        list(catalog_pages(source, fmt))
    out = []
    for where, graph in graphs:
        for n in set(graph.subjects(RDF.type, DCAT.Dataset)):
            if not _text(graph, n, DCT.identifier):
                title = _text(graph, n, DCT.title, lang)
                raise DcatParseError(
                    f"{where}: dataset "
                    f"{n.n3() if isinstance(n, URIRef) else repr(title or str(n))} has no "
                    "dct:identifier",
                    "Every dcat:Dataset needs a dct:identifier (its stable id: harvesters "
                    "match datasets on it between runs, udata skips a dataset without one).")
            out.append(dataset_from_graph(graph, n, licences, lang))
    return sorted(out, key=lambda m: m["name"])


#: pages followed at most (a catalog of a million datasets in pages of 100)
MAX_PAGES = 10_000


def next_page(graph: Graph) -> str | None:
    """The ``hydra:next`` (or deprecated ``hydra:nextPage``) link of a catalog page."""
    for view in graph.subjects(RDF.type, HYDRA.PartialCollectionView):
        if (nxt := graph.value(view, HYDRA.next)) is not None:
            return str(nxt)
    for view in graph.subjects(RDF.type, HYDRA.PagedCollection):
        if (nxt := graph.value(view, HYDRA.nextPage)) is not None:
            return str(nxt)
    return None


def catalog_pages(source: str | Path, fmt: str | None = None,
                  max_pages: int = MAX_PAGES) -> Iterator[tuple[str, Graph]]:
    """(location, graph) of the first page and of every page ``hydra:next`` leads to.

    Why: udata's and ckanext-dcat's harvesters follow Hydra paging, and so must a reader of
    the catalogs they read.  A page that fails (HTTP error, an HTML page, a syntax error)
    stops the read with an error naming the page and which page linked to it; a
    ``hydra:next`` pointing back at a page already read is an error too (it would loop
    forever).  When the first page is a local file, a next page whose file name exists
    beside it is read from there (a downloaded or freshly built catalog), else fetched.
    """
    seen: dict[str, int] = {}
    current: str | Path | None = source
    previous: str | None = None
    while current is not None:
        name = str(current)
        if name in seen:
            raise DcatParseError(
                f"{previous}: hydra:next points back at {name} (page {seen[name]}): the pages "
                "loop", "Fix the catalog's paging: each page's hydra:next must lead to a page "
                "not read yet, and the last page must have none.")
        if len(seen) >= max_pages:
            raise DcatParseError(f"{name}: more than {max_pages} pages",
                                 "Pass a larger max_pages if the catalog is really that big.")
        seen[name] = len(seen) + 1
        try:
            graph = parse_dcat(current, fmt)
        except OpendataError as exc:
            if previous is None:
                raise
            raise type(exc)(f"page {seen[name]} of the catalog ({name}, linked from "
                            f"{previous}): {exc.message}", exc.hint) from None
        yield name, graph
        nxt = next_page(graph)
        previous = name
        current = _local_sibling(source, nxt) if nxt else None


def _local_sibling(first: str | Path, url: str) -> str | Path:
    """``url`` itself, or the file of that name beside a local first page."""
    if str(first).startswith(("http://", "https://")):
        return url
    sibling = Path(first).parent / url.rstrip("/").rsplit("/", 1)[-1].split("?")[0]
    return sibling if sibling.is_file() else url
