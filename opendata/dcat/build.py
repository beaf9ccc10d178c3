"""The catalog as a DCAT-AP 3.0.1 graph: ``build_dcat()``.

Manifests stay short; everything a computer can derive is derived here: identifiers and
URIs from the base URI, download URLs from the repository's raw-file template, sizes and
sha256 checksums from the files, dates from git, licence URIs from the registry, EU
vocabulary URIs from the short codes.  Every controlled-vocabulary term is described in
the graph itself (``a skos:Concept``, ``skos:inScheme``, ``skos:prefLabel``) so that the
official class-range shapes pass without fetching remote ontologies.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import FOAF, OWL, RDF, SKOS, XSD

from opendata.catalog import Catalog, Dataset, Resource, load_catalog
from opendata.config import Licence, Organization
from opendata.datapackage import sha256_file
from opendata.dcat.ns import DCAT, DCATAP, DCT, GSP, IANA, LOCN, PROV, SPDX, VCARD, new_graph
from opendata.errors import ValidationFailed
from opendata.gitinfo import FileDates
from opendata.schemas import SchemaRefError, resolve_schema
from opendata.vocab import (
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

    Without ``repository.raw_url`` in opendata.yaml, files are assumed to be served under
    the base URI with the repository layout.
    """
    rel = quote(catalog.rel(file))  # a space or accent in a file name must not break the IRI
    repo = catalog.config.repository
    template = repo.get("raw_url")
    if template:
        return template.replace("{ref}", repo.get("ref", "main")).replace("{path}", rel)
    return f"{catalog.config.base_uri}{rel}"


@dataclass
class _Ctx:
    catalog: Catalog
    graph: Graph
    dates: FileDates | None
    lang: str
    described: set[URIRef]

    def text(self, value: str) -> Literal:
        return Literal(value, lang=self.lang)


def _concept(ctx: _Ctx, uri: str, scheme: str, labels: dict[str, str], *types: URIRef) -> URIRef:
    """A controlled-vocabulary term, described once per graph."""
    node = URIRef(uri)
    if node in ctx.described:
        return node
    ctx.described.add(node)
    g = ctx.graph
    g.add((node, RDF.type, SKOS.Concept))
    for t in types:
        g.add((node, RDF.type, t))
    g.add((node, SKOS.inScheme, URIRef(scheme)))
    for lang, label in labels.items():
        g.add((node, SKOS.prefLabel, Literal(label, lang=lang)))
    scheme_node = URIRef(scheme)
    if scheme_node not in ctx.described:
        ctx.described.add(scheme_node)
        g.add((scheme_node, RDF.type, SKOS.ConceptScheme))
        g.add((scheme_node, DCT.title, Literal(_SCHEME_TITLES.get(scheme, scheme), lang="en")))
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
    if uri in ctx.described:
        return uri
    ctx.described.add(uri)
    g = ctx.graph
    g.add((uri, RDF.type, FOAF.Agent))
    g.add((uri, RDF.type, FOAF.Organization))
    g.add((uri, FOAF.name, ctx.text(name)))
    if key:
        g.add((uri, DCT.identifier, Literal(key)))
    if email:
        g.add((uri, FOAF.mbox, URIRef(f"mailto:{email}")))
    if homepage:
        g.add((uri, FOAF.homepage, URIRef(homepage)))
    return uri


def _licence(ctx: _Ctx, lic: Licence) -> URIRef:
    """The licence's own URL (the one data.gouv.fr and CKAN match on), EU URI as alias."""
    node = URIRef(lic.url)
    if node in ctx.described:
        return node
    ctx.described.add(node)
    g = ctx.graph
    g.add((node, RDF.type, DCT.LicenseDocument))
    g.add((node, DCT.title, Literal(lic.title)))
    g.add((node, DCT.identifier, Literal(lic.spdx)))
    if lic.eu_uri:
        g.add((node, OWL.sameAs, URIRef(lic.eu_uri)))
    if lic.text_url:
        g.add((node, FOAF.page, URIRef(lic.text_url)))
    kinds = []
    if not lic.attribution:
        kinds.append(("PublicDomain", "Public domain"))
    else:
        kinds.append(("Attribution", "Attribution"))
    if lic.share_alike:
        kinds.append(("ShareAlike", "Share alike"))
    for code, label in kinds:
        g.add((node, DCT.type, _concept(ctx, LICENCE_TYPE + code, LICENCE_TYPE_SCHEME,
                                        {"en": label})))
    return node


def _checksum(g: Graph, value: str) -> BNode:
    node = BNode()
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
    if file is not None:
        url = URIRef(public_url(catalog, file))
        files.append(file)
        if file.is_file():
            g.add((node, DCAT.byteSize, Literal(file.stat().st_size,
                                               datatype=XSD.nonNegativeInteger)))
            g.add((node, SPDX.checksum, _checksum(g, sha256_file(file))))
        availability = "STABLE"
    else:
        url = URIRef(str(res.url))
        availability = "AVAILABLE"
    g.add((node, DCAT.downloadURL, url))
    g.add((node, DCAT.accessURL, url))
    g.add((node, DCATAP.availability, _concept(
        ctx, f"{AVAILABILITY_SCHEME}/{availability}", AVAILABILITY_SCHEME,
        {"en": availability.lower()})))
    if res.format in FORMATS:
        code, _mt = FORMATS[res.format]
        g.add((node, DCT.format, _concept(ctx, f"{FILE_TYPE_SCHEME}/{code}", FILE_TYPE_SCHEME,
                                          {"en": code}, DCT.MediaTypeOrExtent)))
    if res.mediatype:
        mt = URIRef(IANA + res.mediatype)
        g.add((node, DCAT.mediaType, mt))
        g.add((mt, RDF.type, DCT.MediaType))
    if lic is not None:
        g.add((node, DCT.license, lic))
    conforms = schema_uri(catalog, ds, res)
    if conforms:
        std = URIRef(conforms[0])
        g.add((node, DCT.conformsTo, std))
        g.add((std, RDF.type, DCT.Standard))
        files.extend(conforms[1])
    return node


def _wkt_box(bbox: list[float]) -> tuple[str, str]:
    w, s, e, n = (float(v) for v in bbox)
    poly = f"POLYGON(({w} {s},{e} {s},{e} {n},{w} {n},{w} {s}))"
    return poly, f"POINT({(w + e) / 2} {(s + n) / 2})"


def _spatial(ctx: _Ctx, spatial: dict) -> list[URIRef | BNode]:
    g = ctx.graph
    out: list[URIRef | BNode] = []
    level, code = spatial.get("level"), spatial.get("code")
    if level in SPATIAL_LEVELS and code:
        node = URIRef(f"{SPATIAL_LEVELS[level]}{code}")
        g.add((node, RDF.type, DCT.Location))
        g.add((node, SKOS.notation, Literal(str(code))))
        out.append(node)
    bbox = spatial.get("bbox")
    if isinstance(bbox, list) and len(bbox) == 4:
        poly, centre = _wkt_box(bbox)
        loc = BNode()
        g.add((loc, RDF.type, DCT.Location))
        g.add((loc, LOCN.geometry, Literal(poly, datatype=WKT)))
        g.add((loc, DCAT.bbox, Literal(poly, datatype=WKT)))
        g.add((loc, DCAT.centroid, Literal(centre, datatype=WKT)))
        out.append(loc)
    return out


def _contact(ctx: _Ctx, name: str | None, email: str | None, url: str | None) -> BNode:
    g = ctx.graph
    node = BNode()
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
        pot = BNode()
        g.add((pot, RDF.type, DCT.PeriodOfTime))
        if temporal.get("start"):
            g.add((pot, DCAT.startDate, Literal(str(temporal["start"]), datatype=XSD.date)))
        if temporal.get("end"):
            g.add((pot, DCAT.endDate, Literal(str(temporal["end"]), datatype=XSD.date)))
        g.add((node, DCT.temporal, pot))
    if isinstance(ds.get("spatial"), dict):
        for loc in _spatial(ctx, ds.get("spatial")):
            g.add((node, DCT.spatial, loc))
    org = cfg.organizations.get(ds.organization or "")
    if org is not None:
        g.add((node, DCT.publisher, _agent(ctx, organization_uri(catalog, org), org.title,
                                          org.key, org.email, org.homepage)))
    contact = ds.get("contact")
    if isinstance(contact, dict) and contact.get("email"):
        g.add((node, DCAT.contactPoint, _contact(ctx, contact.get("name"), contact["email"],
                                                contact.get("url"))))
    elif org is not None and org.email:
        g.add((node, DCAT.contactPoint, _contact(ctx, org.title, org.email, org.homepage)))
    elif cfg.publisher.get("email"):
        g.add((node, DCAT.contactPoint, _contact(ctx, cfg.publisher.get("name"),
                                                cfg.publisher["email"], cfg.homepage)))
    source = ds.get("source")
    if isinstance(source, dict) and source.get("title"):
        src = BNode()
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


def build_dcat(source: Catalog | Path | str, datasets: Iterable[str] | None = None, *,
               git: bool = True) -> Graph:
    """The catalog (or the named datasets; None: all) as a DCAT-AP 3.0.1 ``rdflib.Graph``.

    Private datasets are left out: a DCAT catalog is public by nature.  Two datasets
    sharing an identifier raise :class:`~opendata.errors.ValidationFailed`.  ``git=False``
    dates files by their modification time only.
    """
    catalog = source if isinstance(source, Catalog) else load_catalog(source)
    cfg = catalog.config
    pool = catalog.datasets if datasets is None else [catalog.dataset(n) for n in datasets]
    selected = [d for d in pool if not d.get("private")]
    _check_identifiers(catalog, selected)
    graph = new_graph()
    ctx = _Ctx(catalog, graph, FileDates(catalog.root, use_git=git), cfg.language, set())
    cat = catalog_uri(catalog)
    graph.add((cat, RDF.type, DCAT.Catalog))
    graph.add((cat, DCT.identifier, Literal(str(cat))))
    graph.add((cat, DCT.title, ctx.text(cfg.title)))
    graph.add((cat, DCT.description, ctx.text(cfg.description or cfg.title)))
    pub = cfg.publisher
    graph.add((cat, DCT.publisher, _agent(ctx, URIRef(pub.get("uri") or f"{cfg.base_uri}#publisher"),
                                         pub["name"], None, pub.get("email"),
                                         pub.get("homepage"))))
    if cfg.homepage:
        graph.add((cat, FOAF.homepage, URIRef(cfg.homepage)))
        graph.add((URIRef(cfg.homepage), RDF.type, FOAF.Document))
    if (lang := _language(ctx, cfg.language)) is not None:
        graph.add((cat, DCT.language, lang))
    graph.add((cat, DCAT.themeTaxonomy, URIRef(THEME_SCHEME)))
    graph.add((URIRef(THEME_SCHEME), RDF.type, SKOS.ConceptScheme))
    graph.add((URIRef(THEME_SCHEME), DCT.title, Literal(_SCHEME_TITLES[THEME_SCHEME], lang="en")))
    ctx.described.add(URIRef(THEME_SCHEME))
    first: datetime | None = None
    last: datetime | None = None
    for ds in selected:
        node, span = _dataset(ctx, ds)
        graph.add((cat, DCAT.dataset, node))
        if span:
            first = span[0] if first is None else min(first, span[0])
            last = span[1] if last is None else max(last, span[1])
        for loc in graph.objects(node, DCT.spatial):
            if isinstance(loc, URIRef):
                graph.add((cat, DCT.spatial, loc))
    if first and last:
        graph.add((cat, DCT.issued, _date(first)))
        graph.add((cat, DCT.modified, _date(last)))
    return graph
