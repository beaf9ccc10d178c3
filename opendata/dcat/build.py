"""The catalog as a DCAT-AP 3.0.1 graph: ``build_dcat()``.

Manifests stay short; everything a computer can derive is derived here: identifiers and
URIs from the base URI, download URLs from the repository's raw-file template, sizes and
sha256 checksums from the files, dates from git, licence URIs from the registry, EU
vocabulary URIs from the short codes.  Every controlled-vocabulary term is described in
the graph itself (``a skos:Concept``, ``skos:inScheme``, ``skos:prefLabel``) so that the
official class-range shapes pass without fetching remote ontologies.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import FOAF, OWL, RDF, SKOS, XSD

from opendata.catalog.config import Licence, Organization
from opendata.catalog.manifests import Catalog, Dataset, Resource, load_catalog
from opendata.catalog.schemas import SchemaRefError, resolve_schema
from opendata.catalog.vocab import (
    EU,
    FILE_TYPE_SCHEME,
    FORMATS,
    FREQUENCIES,
    FREQUENCY_SCHEME,
    LANGUAGE_SCHEME,
    LANGUAGES,
    SPATIAL_LEVELS,
    THEME_SCHEME,
    THEMES,
)
from opendata.checksums import source_sha256
from opendata.dcat.ns import (
    DCAT,
    DCATAP,
    DCT,
    GSP,
    IANA,
    LOCN,
    PROV,
    SPDX,
    VCARD,
    new_graph,
    piece_graph,
)
from opendata.errors import ValidationFailed
from opendata.gitinfo import FileDates
from opendata.validation.normalise import published_file, published_format, published_path

AVAILABILITY_SCHEME = EU + "planned-availability"
LICENCE_TYPE_SCHEME = "http://purl.org/adms/licencetype/1.1"
LICENCE_TYPE = "http://purl.org/adms/licencetype/"
WKT = GSP.wktLiteral
#: DCAT 3 term missing from rdflib's closed DCAT namespace
DCAT_VERSION = URIRef(str(DCAT) + "version")

_SCHEME_TITLES = {
    THEME_SCHEME: "Data theme",
    FREQUENCY_SCHEME: "Frequency",
    LANGUAGE_SCHEME: "Language",
    FILE_TYPE_SCHEME: "File type",
    AVAILABILITY_SCHEME: "Planned availability",
    LICENCE_TYPE_SCHEME: "ADMS licence type",
}


def catalog_uri(catalog: Catalog) -> URIRef:
    return URIRef(f"{catalog.config.base_uri}catalog")


def organization_uri(catalog: Catalog, org: Organization) -> URIRef:
    return URIRef(org.uri or f"{catalog.config.base_uri}organization/{org.key}")


def distribution_uri(catalog: Catalog, ds: Dataset, res: Resource) -> URIRef:
    return URIRef(f"{catalog.config.dataset_uri(ds.name)}/resource/{res.name}")


def public_url(catalog: Catalog, file: Path) -> str:
    """Public URL of a file of the catalog: the repository's raw-file URL template.

    Without ``repository.raw_url`` in opendata.yaml nothing serves the files, so no file
    URL is made up: the file's dataset page (``<base_uri>dataset/<name>``, the dataset's
    own URI) stands in, with the file's name as fragment so that each file keeps an IRI of
    its own, and validation says so once (``no-download-url``).
    """
    rel = quote(catalog.rel(file))  # a space or accent in a file name must not break the IRI
    repo = catalog.config.repository
    template = repo.get("raw_url")
    if template:
        return template.replace("{ref}", repo.get("ref", "main")).replace("{path}", rel)
    parts = rel.split("/")
    if len(parts) > 2 and parts[0] == "datasets":
        return f"{catalog.config.dataset_uri(parts[1])}#{'/'.join(parts[2:])}"
    return f"{catalog.config.base_uri}catalog#{rel}"


#: where the static site (``opendata site``) hosts the data files, under its public base
SITE_FILES_DIR = "files"
#: the folder, beside a dataset's files on the site, that holds their published copies
SITE_COPY_DIR = "normalised"


def site_base(catalog: Catalog) -> str:
    """The public base of the static site, with a final ``/``.

    The site is served at the catalog's ``homepage`` (its sitemap and feed say so too);
    without one, ``base_uri`` stands in, which may not be served at all: validation then
    warns once (``no-site-url``) when a resource publishes a copy linked from there.
    """
    return (catalog.config.homepage or catalog.config.base_uri).rstrip("/") + "/"


def copy_site_path(ds: Dataset, res: Resource) -> str:
    """The site path of ``res``'s published copy: ``files/<dataset>/normalised/<name>``,
    named as packs and portals name it (a sheet's copy is ``NAME.csv``) and kept apart
    from the original, which may have that very name (a normalised CSV)."""
    return f"{SITE_FILES_DIR}/{ds.name}/{SITE_COPY_DIR}/{published_path(res)}"


def published_copy(catalog: Catalog, res: Resource) -> Path | None:
    """The copy opendata publishes instead of ``res``'s file (``normalise: true``: the
    normalised CSV, or a spreadsheet's CSV), None when the file itself is published."""
    if res.file is None:
        return None
    copy = published_file(catalog.root, res)
    return copy if copy is not None and copy != res.file and copy.is_file() else None


@dataclass
class _Ctx:
    """What the builders share: the graph being filled and the shared nodes seen so far.

    ``graph`` is swapped for a fresh one per dataset when streaming.  Nodes that several
    datasets point at (vocabulary concepts, agents, licences, media types, administrative
    units, shared schemas) are described once, in whichever piece meets them first, and
    their triples are also kept in ``shared`` (a few hundred triples at most) so that a
    self-contained per-dataset file or page can still include their description.
    """

    catalog: Catalog
    graph: Graph
    dates: FileDates | None
    lang: str
    described: set[URIRef]
    shared: Graph

    def text(self, value: str) -> Literal:
        return Literal(value, lang=self.lang)

    def add_shared(self, triple: tuple[URIRef, URIRef, object]) -> None:
        self.graph.add(triple)  # type: ignore[arg-type]
        self.shared.add(triple)  # type: ignore[arg-type]

    def first_time(self, node: URIRef) -> bool:
        """True the first time a shared node is met: describe it now, and only now."""
        if node in self.described:
            return False
        self.described.add(node)
        return True


def _concept(ctx: _Ctx, uri: str, scheme: str, labels: dict[str, str], *types: URIRef) -> URIRef:
    """A controlled-vocabulary term, described once per graph."""
    node = URIRef(uri)
    if not ctx.first_time(node):
        return node
    add = ctx.add_shared
    add((node, RDF.type, SKOS.Concept))
    for t in types:
        add((node, RDF.type, t))
    add((node, SKOS.inScheme, URIRef(scheme)))
    for lang, label in labels.items():
        add((node, SKOS.prefLabel, Literal(label, lang=lang)))
    scheme_node = URIRef(scheme)
    if ctx.first_time(scheme_node):
        add((scheme_node, RDF.type, SKOS.ConceptScheme))
        add((scheme_node, DCT.title, Literal(_SCHEME_TITLES.get(scheme, scheme), lang="en")))
    return node


def _theme(ctx: _Ctx, code: str) -> URIRef | None:
    if code not in THEMES:
        return None
    en, fr = THEMES[code]
    return _concept(ctx, f"{THEME_SCHEME}/{code}", THEME_SCHEME, {"en": en, "fr": fr})


def _frequency(ctx: _Ctx, code: str) -> URIRef | None:
    if code not in FREQUENCIES:
        return None
    return _concept(ctx, f"{FREQUENCY_SCHEME}/{code}", FREQUENCY_SCHEME,
                    {"en": FREQUENCIES[code][0]}, DCT.Frequency)


def _language(ctx: _Ctx, iso: str) -> URIRef | None:
    if iso not in LANGUAGES:
        return None
    eu, label = LANGUAGES[iso]
    return _concept(ctx, f"{LANGUAGE_SCHEME}/{eu}", LANGUAGE_SCHEME, {"en": label},
                    DCT.LinguisticSystem)


def _agent(ctx: _Ctx, uri: URIRef, name: str, key: str | None = None, email: str | None = None,
           homepage: str | None = None) -> URIRef:
    if not ctx.first_time(uri):
        return uri
    add = ctx.add_shared
    add((uri, RDF.type, FOAF.Agent))
    add((uri, RDF.type, FOAF.Organization))
    add((uri, FOAF.name, ctx.text(name)))
    if key:
        add((uri, DCT.identifier, Literal(key)))
    if email:
        add((uri, FOAF.mbox, URIRef(f"mailto:{email}")))
    if homepage:
        add((uri, FOAF.homepage, URIRef(homepage)))
    return uri


def _licence(ctx: _Ctx, lic: Licence) -> URIRef:
    """The licence's own URL (the one data.gouv.fr and CKAN match on), EU URI as alias."""
    node = URIRef(lic.url)
    if not ctx.first_time(node):
        return node
    add = ctx.add_shared
    add((node, RDF.type, DCT.LicenseDocument))
    add((node, DCT.title, Literal(lic.title)))
    add((node, DCT.identifier, Literal(lic.spdx)))
    if lic.eu_uri:
        add((node, OWL.sameAs, URIRef(lic.eu_uri)))
    if lic.text_url:
        add((node, FOAF.page, URIRef(lic.text_url)))
    kinds = []
    if not lic.attribution:
        kinds.append(("PublicDomain", "Public domain"))
    else:
        kinds.append(("Attribution", "Attribution"))
    if lic.share_alike:
        kinds.append(("ShareAlike", "Share alike"))
    for code, label in kinds:
        add((node, DCT.type, _concept(ctx, LICENCE_TYPE + code, LICENCE_TYPE_SCHEME,
                                        {"en": label})))
    return node


def _bnode(owner: URIRef, role: str) -> BNode:
    """A blank node whose label derives from the node it hangs off and its role.

    Why: rdflib's random labels made two builds of one commit differ byte for byte in
    JSON-LD and RDF/XML (Turtle writes these nodes inline, unlabelled).  The label is a
    hash of the owner's IRI, so it is the same at every build and unique in the catalog.
    """
    return BNode("b" + hashlib.sha1(f"{owner} {role}".encode()).hexdigest()[:20])


def _checksum(g: Graph, owner: URIRef, value: str) -> BNode:
    node = _bnode(owner, "checksum")
    g.add((node, RDF.type, SPDX.Checksum))
    g.add((node, SPDX.algorithm, SPDX.checksumAlgorithm_sha256))
    g.add((node, SPDX.checksumValue, Literal(value, datatype=XSD.hexBinary)))
    return node


def schema_uri(catalog: Catalog, ds: Dataset, res: Resource) -> tuple[str, list[Path]] | None:
    """``dct:conformsTo`` of a resource and the schema files it depends on.

    A schema.data.gouv.fr schema is named by its public URL; a schema file of the catalog
    by its public raw URL; an inline schema has no URI of its own (None).
    """
    if res.schema is None:
        return None
    try:
        resolved = resolve_schema(res.schema, ds.dir, catalog.root)
    except SchemaRefError:
        return None
    files = [resolved.file] if resolved.file else []
    if resolved.url:
        return resolved.url, files
    if resolved.file:
        return public_url(catalog, resolved.file), files
    return None


def _distribution(ctx: _Ctx, ds: Dataset, res: Resource, lic: URIRef | None,
                  files: list[Path]) -> URIRef:
    catalog, g = ctx.catalog, ctx.graph
    node = distribution_uri(catalog, ds, res)
    g.add((node, RDF.type, DCAT.Distribution))
    g.add((node, DCT.identifier, Literal(str(node))))
    g.add((node, DCT.title, ctx.text(res.title)))
    if res.description:
        g.add((node, DCT.description, ctx.text(res.description)))
    file = res.file
    copy = published_copy(catalog, res)
    fmt, mediatype = published_format(res) if copy else (res.format, res.mediatype)
    if file is not None:
        # the copy is what packs and portals get, and has no place in git: the site hosts it
        url = URIRef(site_base(catalog) + quote(copy_site_path(ds, res)) if copy
                     else public_url(catalog, file))
        files.append(file)
        if copy is not None:
            file = copy
        if file.is_file():
            g.add((node, DCAT.byteSize, Literal(file.stat().st_size,
                                               datatype=XSD.nonNegativeInteger)))
            g.add((node, SPDX.checksum, _checksum(g, node, source_sha256(file))))
        availability = "STABLE"
    else:
        url = URIRef(str(res.url))
        availability = "AVAILABLE"
    g.add((node, DCAT.downloadURL, url))
    g.add((node, DCAT.accessURL, url))
    g.add((node, DCATAP.availability, _concept(
        ctx, f"{AVAILABILITY_SCHEME}/{availability}", AVAILABILITY_SCHEME,
        {"en": availability.lower()})))
    if fmt in FORMATS:
        code, _mt = FORMATS[fmt]
        g.add((node, DCT.format, _concept(ctx, f"{FILE_TYPE_SCHEME}/{code}", FILE_TYPE_SCHEME,
                                          {"en": code}, DCT.MediaTypeOrExtent)))
    if mediatype:
        mt = URIRef(IANA + mediatype)
        g.add((node, DCAT.mediaType, mt))
        if ctx.first_time(mt):
            ctx.add_shared((mt, RDF.type, DCT.MediaType))
    if lic is not None:
        g.add((node, DCT.license, lic))
    conforms = schema_uri(catalog, ds, res)
    if conforms:
        std = URIRef(conforms[0])
        g.add((node, DCT.conformsTo, std))
        if any(f.is_relative_to(ds.dir) for f in conforms[1]):  # the dataset's own schema
            g.add((std, RDF.type, DCT.Standard))
        elif ctx.first_time(std):  # shared or schema.data.gouv.fr: one description
            ctx.add_shared((std, RDF.type, DCT.Standard))
        files.extend(conforms[1])
    return node


def _wkt_box(bbox: list[float]) -> tuple[str, str]:
    w, s, e, n = (float(v) for v in bbox)
    poly = f"POLYGON(({w} {s},{e} {s},{e} {n},{w} {n},{w} {s}))"
    return poly, f"POINT({(w + e) / 2} {(s + n) / 2})"


def spatial_unit_uri(catalog: Catalog, spatial: dict) -> URIRef:
    """IRI of the administrative unit of a manifest's ``spatial``.

    Without ``cog``, INSEE's IRI (``http://id.insee.fr/geo/region/75``), which names the unit
    of the current code set.  With ``cog``, an IRI of the catalog naming the code in that
    vintage (``<base>geo/cog2015/region/82``), in a ``skos:ConceptScheme`` for the vintage:
    INSEE's IRI would let a harvester read Rhône-Alpes ``82`` (gone in 2016) against today's
    regions.
    """
    level, code, cog = spatial.get("level"), spatial.get("code"), spatial.get("cog")
    if isinstance(cog, int):
        kind = SPATIAL_LEVELS[str(level)].rstrip("/").rsplit("/", 1)[-1]
        return URIRef(f"{catalog.config.base_uri}geo/cog{cog}/{kind}/{code}")
    return URIRef(f"{SPATIAL_LEVELS[str(level)]}{code}")


def _spatial(ctx: _Ctx, owner: URIRef, spatial: dict) -> list[URIRef | BNode]:
    g = ctx.graph
    out: list[URIRef | BNode] = []
    level, code = spatial.get("level"), spatial.get("code")
    if level in SPATIAL_LEVELS and code:
        node = spatial_unit_uri(ctx.catalog, spatial)
        if ctx.first_time(node):
            ctx.add_shared((node, RDF.type, DCT.Location))
            ctx.add_shared((node, SKOS.notation, Literal(str(code))))
            cog = spatial.get("cog")
            if isinstance(cog, int):
                scheme = URIRef(f"{ctx.catalog.config.base_uri}geo/cog{cog}")
                ctx.add_shared((node, SKOS.inScheme, scheme))
                if ctx.first_time(scheme):
                    ctx.add_shared((scheme, RDF.type, SKOS.ConceptScheme))
                    ctx.add_shared((scheme, DCT.title, Literal(
                        f"Code officiel géographique {cog} (INSEE)", lang="fr")))
                    ctx.add_shared((scheme, DCT.issued, Literal(str(cog),
                                                                datatype=XSD.gYear)))
        out.append(node)
    bbox = spatial.get("bbox")
    if isinstance(bbox, list) and len(bbox) == 4:
        poly, centre = _wkt_box(bbox)
        loc = _bnode(owner, "bbox")
        g.add((loc, RDF.type, DCT.Location))
        g.add((loc, LOCN.geometry, Literal(poly, datatype=WKT)))
        g.add((loc, DCAT.bbox, Literal(poly, datatype=WKT)))
        g.add((loc, DCAT.centroid, Literal(centre, datatype=WKT)))
        out.append(loc)
    return out


def _contact(ctx: _Ctx, owner: URIRef, name: str | None, email: str | None,
             url: str | None) -> BNode:
    g = ctx.graph
    node = _bnode(owner, "contact")
    g.add((node, RDF.type, VCARD.Kind))
    g.add((node, RDF.type, VCARD.Organization))
    if name:
        g.add((node, VCARD.fn, Literal(name)))
    if email:
        g.add((node, VCARD.hasEmail, URIRef(f"mailto:{email}")))
    if url:
        g.add((node, VCARD.hasURL, URIRef(url)))
    return node


def _date(value: datetime) -> Literal:
    return Literal(value.replace(microsecond=0).isoformat(), datatype=XSD.dateTime)


def _dataset(ctx: _Ctx, ds: Dataset) -> tuple[URIRef, tuple[datetime, datetime] | None]:
    catalog, g, cfg = ctx.catalog, ctx.graph, ctx.catalog.config
    node = URIRef(cfg.dataset_uri(ds.name))
    g.add((node, RDF.type, DCAT.Dataset))
    g.add((node, DCT.identifier, Literal(str(node))))
    g.add((node, DCT.title, ctx.text(ds.title)))
    g.add((node, DCT.description, ctx.text(ds.description)))
    for kw in ds.keywords:
        g.add((node, DCAT.keyword, ctx.text(kw)))
    for code in ds.themes:
        if (theme := _theme(ctx, code)) is not None:
            g.add((node, DCAT.theme, theme))
    if isinstance(ds.get("frequency"), str) and (f := _frequency(ctx, ds.get("frequency"))):
        g.add((node, DCT.accrualPeriodicity, f))
    languages = ds.get("language") or [cfg.language]
    for iso in languages:
        if (lang := _language(ctx, str(iso))) is not None:
            g.add((node, DCT.language, lang))
    if ds.get("version"):
        g.add((node, DCAT_VERSION, Literal(str(ds.get("version")))))
    # default documented in the manifest schema: the catalog homepage + the dataset name
    landing = ds.get("landing_page") or (f"{cfg.homepage.rstrip('/')}/{ds.name}"
                                        if cfg.homepage else None)
    if landing:
        g.add((node, DCAT.landingPage, URIRef(landing)))
        g.add((URIRef(landing), RDF.type, FOAF.Document))
    temporal = ds.get("temporal")
    if isinstance(temporal, dict) and (temporal.get("start") or temporal.get("end")):
        pot = _bnode(node, "temporal")
        g.add((pot, RDF.type, DCT.PeriodOfTime))
        if temporal.get("start"):
            g.add((pot, DCAT.startDate, Literal(str(temporal["start"]), datatype=XSD.date)))
        if temporal.get("end"):
            g.add((pot, DCAT.endDate, Literal(str(temporal["end"]), datatype=XSD.date)))
        g.add((node, DCT.temporal, pot))
    if isinstance(ds.get("spatial"), dict):
        for loc in _spatial(ctx, node, ds.get("spatial")):
            g.add((node, DCT.spatial, loc))
    org = cfg.organizations.get(ds.organization or "")
    if org is not None:
        g.add((node, DCT.publisher, _agent(ctx, organization_uri(catalog, org), org.title,
                                          org.key, org.email, org.homepage)))
    contact = ds.get("contact")
    if isinstance(contact, dict) and contact.get("email"):
        g.add((node, DCAT.contactPoint, _contact(ctx, node, contact.get("name"), contact["email"],
                                                contact.get("url"))))
    elif org is not None and org.email:
        g.add((node, DCAT.contactPoint, _contact(ctx, node, org.title, org.email, org.homepage)))
    elif cfg.publisher.get("email"):
        g.add((node, DCAT.contactPoint, _contact(ctx, node, cfg.publisher.get("name"),
                                                cfg.publisher["email"], cfg.homepage)))
    source = ds.get("source")
    if isinstance(source, dict) and source.get("title"):
        src = _bnode(node, "source")
        g.add((src, RDF.type, FOAF.Document))
        g.add((src, DCT.title, Literal(str(source["title"]))))
        if source.get("section"):
            g.add((src, DCT.description, Literal(str(source["section"]))))
        if source.get("url"):
            g.add((src, FOAF.page, URIRef(str(source["url"]))))
        if source.get("date"):
            g.add((src, DCT.date, Literal(str(source["date"]), datatype=XSD.date)))
        if source.get("seed"):
            g.add((src, DCT.identifier, Literal(str(source["seed"]))))
        g.add((node, PROV.wasDerivedFrom, src))
    lic = None
    if isinstance(ds.licence, str) and ds.licence in catalog.licences:
        lic = _licence(ctx, catalog.licences.get(ds.licence))
    files: list[Path] = [ds.manifest]
    for res in ds.resources:
        g.add((node, DCAT.distribution, _distribution(ctx, ds, res, lic, files)))
    span = ctx.dates.span(files) if ctx.dates else None
    if span:
        g.add((node, DCT.issued, _date(span[0])))
        g.add((node, DCT.modified, _date(span[1])))
    return node, span


def _check_identifiers(catalog: Catalog, datasets: list[Dataset]) -> None:
    seen: dict[str, Dataset] = {}
    for ds in datasets:
        uri = catalog.config.dataset_uri(ds.name)
        if uri in seen:
            raise ValidationFailed(
                f"datasets {catalog.rel(seen[uri].manifest)} and {catalog.rel(ds.manifest)} "
                f"share the identifier {uri}",
                "An identifier names one dataset: rename one of them (`name:`).")
        seen[uri] = ds


class DcatBuilder:
    """The catalog's DCAT graph built one piece at a time: head, each dataset, tail.

    Why: a 10,000-dataset catalog is 610,000 triples, ~570 MB as one rdflib graph.  The
    writers only ever need one dataset at a time, so :meth:`dataset` returns that
    dataset's own subgraph (plus the description of any shared node met for the first
    time) and the caller can write it and drop it.  The union of :meth:`head`, every
    :meth:`dataset` and :meth:`tail` is exactly :func:`build_dcat`'s graph.

    ``into``: add every piece to that one graph instead of a fresh graph per piece.
    """

    def __init__(self, catalog: Catalog, datasets: Iterable[str] | None = None, *,
                 git: bool = True, into: Graph | None = None):
        self.catalog = catalog
        cfg = catalog.config
        pool = catalog.datasets if datasets is None else [catalog.dataset(n) for n in datasets]
        selected = [d for d in pool if not d.get("private")]
        _check_identifiers(catalog, selected)
        #: public datasets in the order of their URIs (the order of pages and files)
        self.datasets: list[Dataset] = sorted(selected, key=lambda d: cfg.dataset_uri(d.name))
        self.uri = catalog_uri(catalog)
        self._into = into
        self.ctx = _Ctx(catalog, self._fresh(), FileDates(catalog.root, use_git=git),
                        cfg.language, set(), piece_graph())
        self._first: datetime | None = None
        self._last: datetime | None = None
        self._units: set[URIRef] = set()

    def _fresh(self) -> Graph:
        return self._into if self._into is not None else piece_graph()

    def dataset_uri(self, ds: Dataset) -> URIRef:
        return URIRef(self.catalog.config.dataset_uri(ds.name))

    @property
    def shared(self) -> Graph:
        """Descriptions of every shared node met so far (concepts, agents, licences...)."""
        return self.ctx.shared

    def head(self, links: bool = True) -> Graph:
        """The catalog's own description (and ``dcat:dataset`` links when ``links``).

        Call it first: the shared nodes it describes (publisher, language) are then not
        described again in the dataset pieces.
        """
        ctx, cfg, cat = self.ctx, self.catalog.config, self.uri
        graph = ctx.graph = self._fresh()
        graph.add((cat, RDF.type, DCAT.Catalog))
        graph.add((cat, DCT.identifier, Literal(str(cat))))
        graph.add((cat, DCT.title, ctx.text(cfg.title)))
        graph.add((cat, DCT.description, ctx.text(cfg.description or cfg.title)))
        pub = cfg.publisher
        graph.add((cat, DCT.publisher, _agent(
            ctx, URIRef(pub.get("uri") or f"{cfg.base_uri}#publisher"), pub["name"], None,
            pub.get("email"), pub.get("homepage"))))
        if cfg.homepage:
            graph.add((cat, FOAF.homepage, URIRef(cfg.homepage)))
            # shared: the homepage is often the publisher's IRI too
            ctx.add_shared((URIRef(cfg.homepage), RDF.type, FOAF.Document))
        if (lang := _language(ctx, cfg.language)) is not None:
            graph.add((cat, DCT.language, lang))
        theme_scheme = URIRef(THEME_SCHEME)
        graph.add((cat, DCAT.themeTaxonomy, theme_scheme))
        if ctx.first_time(theme_scheme):
            ctx.add_shared((theme_scheme, RDF.type, SKOS.ConceptScheme))
            ctx.add_shared((theme_scheme, DCT.title,
                            Literal(_SCHEME_TITLES[THEME_SCHEME], lang="en")))
        if links:
            for ds in self.datasets:
                graph.add((cat, DCAT.dataset, self.dataset_uri(ds)))
        return graph

    def dataset(self, ds: Dataset) -> Graph:
        """``ds``'s subgraph: the dataset, its distributions and blank nodes, and the
        shared nodes no earlier piece described.  Also gathers what :meth:`tail` needs."""
        self.ctx.graph = self._fresh()
        node, span = _dataset(self.ctx, ds)
        if span:
            self._first = span[0] if self._first is None else min(self._first, span[0])
            self._last = span[1] if self._last is None else max(self._last, span[1])
        for loc in self.ctx.graph.objects(node, DCT.spatial):
            if isinstance(loc, URIRef):
                self._units.add(loc)
        return self.ctx.graph

    def tail(self) -> Graph:
        """What is only known once every dataset is built: the catalog's dates (first
        issue, last change) and the administrative units its datasets cover."""
        graph = self._fresh()
        for unit in sorted(self._units):
            graph.add((self.uri, DCT.spatial, unit))
        if self._first and self._last:
            graph.add((self.uri, DCT.issued, _date(self._first)))
            graph.add((self.uri, DCT.modified, _date(self._last)))
        return graph

    def pieces(self) -> Iterator[tuple[Dataset | None, Graph]]:
        """(None, head), then (dataset, its piece) for each, then (None, tail)."""
        yield None, self.head()
        for ds in self.datasets:
            yield ds, self.dataset(ds)
        yield None, self.tail()


def build_dcat(source: Catalog | Path | str, datasets: Iterable[str] | None = None, *,
               git: bool = True) -> Graph:
    """The catalog (or the named datasets; None: all) as a DCAT-AP 3.0.1 ``rdflib.Graph``.

    Private datasets are left out: a DCAT catalog is public by nature.  Two datasets
    sharing an identifier raise :class:`~opendata.errors.ValidationFailed`.  ``git=False``
    dates files by their modification time only.  The whole graph is held in memory;
    :func:`opendata.dcat.stream_dcat` writes the files without doing so.
    """
    catalog = source if isinstance(source, Catalog) else load_catalog(source)
    graph = new_graph()
    for _ds, _piece in DcatBuilder(catalog, datasets, git=git, into=graph).pieces():
        pass
    return graph
