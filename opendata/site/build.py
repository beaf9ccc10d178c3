"""``build_site``: the catalog as a static website in ``dist/site/``.

The site is self-contained (data files, zips and DCAT are copied in) and every link is
relative, so it works from ``file://`` and from any folder of any static host.  French
pages live at the root, English ones under ``en/``, with the same paths.  Pages need no
JavaScript; search does, and runs in the browser on an index written at build time
(``assets/search-index.js``, loaded by a ``<script>`` tag so that it works from
``file://`` too, where ``fetch`` of local files is refused).

Only valid, non-private datasets are published, like every other artefact of ``build``.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape as xml_escape

from opendata.catalog.manifests import Catalog, Dataset, load_catalog
from opendata.dcat.build import copy_site_path, published_copy
from opendata.errors import UsageError
from opendata.gitinfo import FileDates
from opendata.packages.collections import PackManifest, check_pack, list_packs
from opendata.site.history import dataset_histories
from opendata.site.i18n import LANGS, theme_label
from opendata.site.model import (
    DCAT_DIR,
    DOWNLOADS_DIR,
    FILES_DIR,
    Summary,
    build_view,
    now,
    slug,
    summarize,
)
from opendata.site.published import PortalLink, published_links, report_files
from opendata.site.render import environment, relative
from opendata.site.search import write_search_index
from opendata.validation.report import ValidationReport

STATIC = Path(__file__).resolve().parent / "static"
#: Datasets per list page: a list page stays well under 100 KB.
PAGE_SIZE = 50
FACETS = ("organization", "theme", "keyword", "licence", "format", "period")
#: Facet values shown on the home page (the facet index lists them all).
HOME_FACET_VALUES = 12
NEWEST = 10
#: Dataset pages are written by forked workers from this many datasets on (below, the
#: fork costs more than it saves); at most this many workers.
PARALLEL_FROM = 500
MAX_WORKERS = 4


@dataclass
class SiteResult:
    out: Path
    pages: int = 0
    datasets: int = 0
    files: list[Path] = field(default_factory=list)


def lang_prefix(lang: str) -> str:
    return "" if lang == LANGS[0] else f"{lang}/"


class _Writer:
    """Renders a template to a page of one language, with the link helpers it needs."""

    def __init__(self, out: Path, catalog: Catalog, lang: str, common: dict[str, Any]):
        self.out = out
        self.catalog = catalog
        self.lang = lang
        self.env = environment()
        self.common = common
        self.count = 0

    def render(self, template: str, path: str, **context: Any) -> Path:
        """Write ``template`` as the page ``path`` (a site path without the language)."""
        page = lang_prefix(self.lang) + path
        other = [(lg, relative(page, lang_prefix(lg) + path)) for lg in LANGS if lg != self.lang]

        def link(target: str) -> str:  # a page of the same language
            return relative(page, lang_prefix(self.lang) + target)

        def shared(target: str) -> str:  # a file both languages share
            return relative(page, target)

        html = self.env.get_template(template).render(
            lang=self.lang, page=path, link=link, shared=shared, other_langs=other,
            catalog=self.catalog.config, **self.common, **context)
        file = self.out / page
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(html, encoding="utf-8")
        self.count += 1
        return file


def _paged(items: list[Any], base: str) -> list[tuple[str, list[Any], int, int]]:
    """(path, items, page number, page count) for each page of a list at ``base``.html."""
    chunks = [items[i:i + PAGE_SIZE] for i in range(0, len(items), PAGE_SIZE)] or [[]]
    total = len(chunks)
    return [(f"{base}.html" if n == 1 else f"{base}-{n}.html", chunk, n, total)
            for n, chunk in enumerate(chunks, 1)]


def _page_links(base: str, total: int) -> list[str]:
    return [f"{base}.html" if n == 1 else f"{base}-{n}.html" for n in range(1, total + 1)]


def _link_file(src: Path, dst: Path) -> None:
    """Hard link when possible (10,000 datasets' files cost no space twice), else copy."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    if dst.exists():
        dst.unlink()
    try:
        os.link(src, dst)
    except OSError:
        shutil.copyfile(src, dst)


def facet_label(kind: str, value: str, lang: str, catalog: Catalog,
                summaries: dict[str, Summary] | None = None) -> str:
    if kind == "organization":
        org = catalog.config.organizations.get(value)
        return org.title if org else value
    if kind == "theme":
        return theme_label(value, lang)
    if kind == "licence":
        lic = catalog.licences.get(value) if value in catalog.licences else None
        return (lic.short_title or lic.title) if lic else value
    if kind == "format":
        return value.upper()
    return value


def facet_path(kind: str, value: str) -> str:
    if kind == "organization":
        return f"organizations/{slug(value)}.html"
    return f"facets/{kind}/{slug(value)}.html"


def _published(catalog: Catalog, report: ValidationReport) -> list[Dataset]:
    valid = set(report.valid_datasets())
    return [ds for ds in catalog.datasets if ds.name in valid and not ds.get("private")]


def build_site(catalog: Catalog, report: ValidationReport, dist: Path, *,
               out: Path | None = None, preview_rows: int = 10, with_preview: bool = True,
               published: Sequence[Path] = (),
               progress: Callable[[str], None] | None = None) -> SiteResult:
    """Write the website of the valid datasets into ``out`` (default ``dist/site``).

    ``dist`` must hold what ``build`` wrote before this step (zips, DCAT); a missing piece
    leaves its link out of the page rather than pointing at nothing.  The portal pages
    each dataset page links come from the publish reports in ``published/`` at the
    catalog root and from ``published`` (see :mod:`opendata.site.published`).
    """
    out = Path(out) if out else Path(dist) / "site"
    portals = published_links(catalog.root, published)  # before anything is deleted
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    result = SiteResult(out=out)
    datasets = _published(catalog, report)
    dates = FileDates(catalog.root)
    summaries = {ds.name: summarize(catalog, ds, dates) for ds in datasets}
    histories = dataset_histories(catalog.root)

    # facets: kind -> value -> dataset names, sorted by title
    facets: dict[str, dict[str, list[str]]] = {k: defaultdict(list) for k in FACETS}
    for s in sorted(summaries.values(), key=lambda s: s.title.lower()):
        for kind in FACETS:
            for value in s.facet_values(kind):
                facets[kind][value].append(s.name)
    by_modified = sorted(summaries.values(), key=lambda s: (s.modified or datetime.min.astimezone(),
                                                            s.name), reverse=True)
    packs = _packs(catalog, dist, out, set(summaries))
    common: dict[str, Any] = {"facet_kinds": FACETS, "has_ttl": (dist / "catalog.ttl").is_file()}

    job = _DatasetPages(catalog, report, dist, out, summaries, histories, packs, common,
                        preview_rows, with_preview, portals)
    names = [ds.name for ds in datasets]
    workers = min(os.cpu_count() or 1, MAX_WORKERS) if len(names) >= PARALLEL_FROM else 1

    def lists() -> int:  # everything but the dataset pages
        pages = _list_pages(out, catalog, common, summaries, facets, by_modified, packs)
        _copy_shared(dist, out)
        write_search_index(out / "assets" / "search-index.js", catalog, summaries.values())
        _write_sitemap(out, catalog, summaries.values(), facets, packs)
        _write_feed(out, catalog, by_modified)
        return pages

    if workers > 1 and "fork" in multiprocessing.get_all_start_methods():
        # Pages are independent: split the datasets over forked workers (the catalog and
        # summaries are inherited, nothing is pickled but names and page counts), and
        # write the other pages and files here meanwhile rather than before forking.
        global _JOB
        chunks = [names[i::workers] for i in range(workers)]
        _JOB = job  # inherited by the forked workers: never pickled
        try:
            context = multiprocessing.get_context("fork")
            with ProcessPoolExecutor(workers, mp_context=context) as pool:
                futures = [pool.submit(_run_job, chunk) for chunk in chunks]
                result.pages += lists()
                dataset_pages = sum(f.result() for f in futures)
        finally:
            _JOB = None
    else:
        result.pages += lists()
        dataset_pages = job.run(names, progress)
    result.pages += dataset_pages
    result.datasets = len(datasets)
    result.files = [out]
    return result


def _list_pages(out: Path, catalog: Catalog, common: dict[str, Any],
                summaries: dict[str, Summary], facets: dict[str, dict[str, list[str]]],
                by_modified: list[Summary], packs: list[dict[str, Any]]) -> int:
    """Home, search, facet index, every list page and the pack pages, in each language."""
    pages = 0
    for lang in LANGS:
        writer = _Writer(out, catalog, lang, common)

        def label(kind: str, value: str, lang: str = lang) -> str:
            return facet_label(kind, value, lang, catalog)

        counts = {kind: sorted(((v, len(n)) for v, n in values.items()),
                               key=lambda vc: (-vc[1], label(kind, vc[0]).lower()))
                  for kind, values in facets.items()}
        writer.common = {**common, "facet_label": label, "facet_path": facet_path,
                         "summaries": summaries}
        writer.render("home.html", "index.html", counts=counts, top=HOME_FACET_VALUES,
                      newest=by_modified[:NEWEST], packs=packs, total=len(summaries))
        writer.render("search.html", "search.html", counts=counts)
        writer.render("facets.html", "facets/index.html", counts=counts)
        ordered = sorted(summaries.values(), key=lambda s: s.title.lower())
        for path, chunk, n, total in _paged(ordered, "datasets/index"):
            writer.render("list.html", path, heading_key="all_datasets", heading=None,
                          items=chunk, page_no=n, pages=_page_links("datasets/index", total),
                          intro=None)
        for kind, values in facets.items():
            for value, names in values.items():
                base = facet_path(kind, value)[:-5]
                items = [summaries[n] for n in names]
                org = catalog.config.organizations.get(value) if kind == "organization" else None
                for path, chunk, n, total in _paged(items, base):
                    writer.render("list.html", path, heading_key=kind, heading=label(kind, value),
                                  items=chunk, page_no=n, pages=_page_links(base, total),
                                  intro=org, kind=kind, value=value)
        for pack in packs:
            writer.render("pack.html", f"packs/{pack['name']}.html", pack=pack)
        pages += writer.count
    return pages


@dataclass
class _DatasetPages:
    """Writes the pages (and files) of some datasets; run in-process or in a forked worker."""

    catalog: Catalog
    report: ValidationReport
    dist: Path
    out: Path
    summaries: dict[str, Summary]
    histories: dict[str, Any]
    packs: list[dict[str, Any]]
    common: dict[str, Any]
    preview_rows: int
    with_preview: bool
    portals: dict[str, list[PortalLink]]

    def run(self, names: list[str], progress: Callable[[str], None] | None = None) -> int:
        from opendata.site.jsonld import JsonLdWriter  # rdflib: only when building

        catalog, out, dist = self.catalog, self.out, self.dist
        jsonld = JsonLdWriter(catalog, names)
        pages = 0
        for i, name in enumerate(names):
            if progress and i % 500 == 0:
                progress(f"site: dataset {i + 1}/{len(names)}")
            ds = catalog.dataset(name)
            view = build_view(catalog, ds, self.summaries[name], self.report, dist,
                              self.histories.get(ds.dir.name, []), self.preview_rows,
                              self.with_preview, self.portals.get(name))
            for res in ds.resources:
                file = res.file
                if file is not None and res.path:
                    _link_file(file, out / FILES_DIR / ds.name / res.path)
                    if (copy := published_copy(catalog, res)) is not None:
                        _link_file(copy, out / copy_site_path(ds, res))
            if view.package:
                zip_file = dist / "packages" / view.package.title
                _link_file(zip_file, out / DOWNLOADS_DIR / zip_file.name)
                side = zip_file.with_name(zip_file.name + ".sha256")
                if side.is_file():
                    _link_file(side, out / DOWNLOADS_DIR / side.name)
            has_dcat = _dcat_files(dist, out, ds, jsonld)
            in_packs = [p for p in self.packs if name in p["datasets"]]
            data = schema_org(catalog, view, has_dcat)
            for lang in LANGS:
                writer = _Writer(out, catalog, lang, {
                    **self.common, "facet_path": facet_path,
                    "facet_label": lambda k, v, lang=lang: facet_label(k, v, lang, catalog)})
                writer.render("dataset.html", f"datasets/{name}.html", view=view,
                              s=view.summary, has_dcat=has_dcat, in_packs=in_packs,
                              schema_org=data)
                pages += 1
        return pages


_JOB: _DatasetPages | None = None


def _run_job(names: list[str]) -> int:
    assert _JOB is not None, "workers are forked after _JOB is set"
    return _JOB.run(names)


def _dcat_files(dist: Path, out: Path, ds: Dataset, jsonld: Any) -> bool:
    """The dataset's Turtle (from the DCAT step) and its JSON-LD (written here)."""
    ttl = dist / "dcat" / f"{ds.name}.ttl"
    if not ttl.is_file():
        return False
    _link_file(ttl, out / DCAT_DIR / f"{ds.name}.ttl")
    (out / DCAT_DIR / f"{ds.name}.jsonld").write_text(jsonld.dataset(ds), encoding="utf-8")
    return True


def _copy_shared(dist: Path, out: Path) -> None:
    assets = out / "assets"
    assets.mkdir(parents=True, exist_ok=True)
    for file in STATIC.iterdir():
        if file.is_file():
            shutil.copyfile(file, assets / file.name)
    for name in ("catalog.ttl", "catalog.jsonld", "catalog.rdf", "validation-report.html",
                 "validation-report.json"):
        if (dist / name).is_file():
            _link_file(dist / name, out / name)


def _packs(catalog: Catalog, dist: Path, out: Path, published: set[str]) -> list[dict[str, Any]]:
    """The collections whose zip the build wrote, with what their page shows."""
    packs = []
    for pack in list_packs(catalog.root):
        zip_file = dist / "packs" / pack.zip_name
        if not zip_file.is_file():
            continue
        datasets, issues = check_pack(catalog, pack)
        if issues:
            continue
        _link_file(zip_file, out / DOWNLOADS_DIR / zip_file.name)
        side = zip_file.with_name(zip_file.name + ".sha256")
        sha = side.read_text("utf-8").split()[0] if side.is_file() else ""
        if side.is_file():
            _link_file(side, out / DOWNLOADS_DIR / side.name)
        packs.append(_pack_info(pack, datasets, zip_file, sha, published))
    return packs


def _pack_info(pack: PackManifest, datasets: Iterable[Dataset], zip_file: Path, sha: str,
               published: set[str]) -> dict[str, Any]:
    return {"name": pack.name, "title": pack.title, "description": pack.description,
            "version": pack.version, "keywords": pack.keywords, "contest": pack.contest,
            "datasets": [d.name for d in datasets if d.name in published],
            "zip": f"{DOWNLOADS_DIR}/{zip_file.name}", "zip_name": zip_file.name,
            "size": zip_file.stat().st_size, "sha256": sha}


def schema_org(catalog: Catalog, view: Any, has_dcat: bool) -> dict[str, Any]:
    """schema.org ``Dataset`` of a dataset page (what dataset search engines index)."""
    cfg = catalog.config
    s = view.summary
    org = cfg.organizations.get(s.organization)
    url = cfg.dataset_uri(s.name)
    data: dict[str, Any] = {
        "@context": "https://schema.org/", "@type": "Dataset", "name": s.title,
        "description": view.description[:5000], "url": url, "identifier": url,
        "version": s.version, "keywords": s.keywords, "isAccessibleForFree": True,
        "inLanguage": view.ds.get("language") or [cfg.language],
        "includedInDataCatalog": {"@type": "DataCatalog", "name": cfg.title,
                                  "url": cfg.homepage or cfg.base_uri},
    }
    if view.licence:
        data["license"] = view.licence.url
    if org:
        data["creator"] = data["publisher"] = {"@type": "Organization", "name": org.title,
                                                **({"url": org.homepage} if org.homepage else {})}
    if s.modified:
        data["dateModified"] = s.modified.date().isoformat()
    if s.issued:
        data["datePublished"] = s.issued.date().isoformat()
    if view.temporal.get("start"):
        data["temporalCoverage"] = f"{view.temporal['start']}/{view.temporal.get('end', '..')}"
    if view.spatial_uri:
        data["spatialCoverage"] = {"@type": "Place", "sameAs": view.spatial_uri}
    if view.portals:  # the same dataset on the portals it is published to
        data["sameAs"] = [p.url for p in view.portals]
    base = cfg.homepage or cfg.base_uri
    data["distribution"] = [
        {"@type": "DataDownload", "name": d.title, "encodingFormat": d.format,
         "contentUrl": d.url if d.href is None else base.rstrip("/") + "/" + d.href,
         **({"contentSize": str(d.size)} if d.size is not None else {})}
        for d in view.downloads if d.href or d.url]
    return data


def _write_sitemap(out: Path, catalog: Catalog, summaries: Iterable[Summary],
                   facets: dict[str, dict[str, list[str]]], packs: list[dict[str, Any]]) -> None:
    """``sitemap.xml`` with absolute URLs under the catalog's homepage (where it is hosted)."""
    base = (catalog.config.homepage or catalog.config.base_uri).rstrip("/") + "/"
    paths = ["index.html", "search.html", "facets/index.html", "datasets/index.html"]
    dated: list[tuple[str, datetime | None]] = [(p, None) for p in paths]
    dated += [(f"datasets/{s.name}.html", s.modified) for s in summaries]
    dated += [(facet_path("organization", o), None) for o in facets["organization"]]
    dated += [(f"packs/{p['name']}.html", None) for p in packs]
    with (out / "sitemap.xml").open("w", encoding="utf-8") as fh:
        fh.write('<?xml version="1.0" encoding="UTF-8"?>\n'
                 '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
                 'xmlns:xhtml="http://www.w3.org/1999/xhtml">\n')
        for path, modified in dated:
            fh.write(f"  <url><loc>{xml_escape(base + path)}</loc>")
            for lang in LANGS:
                fh.write(f'<xhtml:link rel="alternate" hreflang="{lang}" '
                         f'href="{xml_escape(base + lang_prefix(lang) + path)}"/>')
            if modified:
                fh.write(f"<lastmod>{modified.date().isoformat()}</lastmod>")
            fh.write("</url>\n")
        fh.write("</urlset>\n")


def _write_feed(out: Path, catalog: Catalog, newest: list[Summary], limit: int = 50) -> None:
    """``feed.atom``: the newest dataset updates, one entry per dataset."""
    env = environment()
    base = (catalog.config.homepage or catalog.config.base_uri).rstrip("/") + "/"
    entries = newest[:limit]
    updated = max((s.modified for s in entries if s.modified), default=now())
    text = env.get_template("feed.xml").render(catalog=catalog.config, base=base,
                                               entries=entries, updated=updated)
    (out / "feed.atom").write_text(text, encoding="utf-8")


def site(root: Path | str = ".", dist: Path | str | None = None, *, out: Path | str | None = None,
         use_cache: bool = True, published: Sequence[Path] = (),
         progress: Callable[[str], None] | None = None) -> SiteResult:
    """``opendata site``: validate (cached) and write the site from an existing ``dist/``;
    ``published``: publish reports to link beside those in ``published/``."""
    from opendata.validation.validator import validate

    catalog = load_catalog(root)
    dist_path = Path(dist) if dist else catalog.root / "dist"
    if not (dist_path / "catalog.json").is_file():
        raise UsageError(f"{dist_path} holds no build (no catalog.json)",
                         "Run `opendata build` first: the site links its zips and DCAT files.")
    report_files(catalog.root, published)  # a missing report fails before validating
    report = validate(catalog=catalog, use_cache=use_cache, progress=progress)
    return build_site(catalog, report, dist_path, out=Path(out) if out else None,
                      published=published, progress=progress)

