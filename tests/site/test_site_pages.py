"""The static site as files: every page, its language, its links, its downloads, and the
hostile manifest rendered inert (the browser tests check the same pages in Chromium)."""

from __future__ import annotations

import itertools
import json
import re
import time
import tracemalloc
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from library import HOSTILE, NO_TABLE, UNIQUE_WORD
from rdflib import Graph
from rdflib.compare import isomorphic

from opendata.catalog.manifests import load_catalog
from opendata.checksums import sha256_file
from opendata.site.preview import read_preview
from opendata.site.render import render_markdown, safe_url


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()
        self.lang: str | None = None
        self.alternates: list[dict[str, str]] = []
        self.scripts: list[dict[str, str]] = []
        self.handlers: list[tuple[str, str]] = []  # on*= attributes: event handlers

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        self.handlers += [(tag, k) for k in a if k.startswith("on")]
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "html":
            self.lang = a.get("lang")
        if tag == "link" and a.get("rel") == "alternate":
            self.alternates.append(a)
        if tag == "script":
            self.scripts.append(a)
        for key in ("href", "src"):
            if key in a:
                self.links.append(a[key])


def parse(file: Path) -> _Links:
    parser = _Links()
    parser.feed(file.read_text(encoding="utf-8"))
    return parser


def pages(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


def test_every_published_dataset_has_a_page_in_both_languages(library, site_dir):
    root, _ = library
    names = {ds.name for ds in load_catalog(root).datasets}
    assert {HOSTILE, NO_TABLE} <= names
    for name in names:
        fr = parse(site_dir / "datasets" / f"{name}.html")
        en = parse(site_dir / "en" / "datasets" / f"{name}.html")
        assert (fr.lang, en.lang) == ("fr", "en")
        assert "../en/datasets/" + name + ".html" in fr.links
        assert "../../datasets/" + name + ".html" in en.links


def test_every_page_links_the_dcat_catalog_as_turtle(site_dir):
    for page in pages(site_dir):
        if page.name == "validation-report.html":
            continue  # the build's report, copied as is
        alts = parse(page).alternates
        turtle = [a for a in alts if a.get("type") == "text/turtle"]
        assert turtle, page
        assert (page.parent / turtle[0]["href"]).resolve() == (site_dir / "catalog.ttl").resolve()


def test_no_broken_internal_link_in_the_whole_site(site_dir):
    """The link checker: every relative href/src of every page names an existing file,
    and every #fragment an id of its target page."""
    broken = []
    ids: dict[Path, set[str]] = {}
    all_pages = pages(site_dir)
    assert len(all_pages) > 50
    for page in all_pages:
        for link in parse(page).links:
            parts = urlsplit(link)
            if parts.scheme or link.startswith("//"):
                continue
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            if not target.is_file():
                broken.append((str(page.relative_to(site_dir)), link))
                continue
            if parts.fragment and target.suffix == ".html":
                if target not in ids:
                    ids[target] = parse(target).ids
                if parts.fragment not in ids[target]:
                    broken.append((str(page.relative_to(site_dir)), link))
    assert broken == []


def test_hostile_description_is_escaped_everywhere(site_dir):
    for page in pages(site_dir):
        text = page.read_text(encoding="utf-8")
        assert "<script>window" not in text, page
        assert not re.search(r"""(href|src)\s*=\s*["']?\s*javascript:""", text, re.I), page
        parsed = parse(page)
        assert parsed.handlers == [], page
        for script in parsed.scripts:  # only our own scripts and JSON-LD data
            assert script.get("type") == "application/ld+json" or script.get("src", "").endswith(
                ("assets/search.js", "assets/search-index.js")), (page, script)
    page = (site_dir / "datasets" / f"{HOSTILE}.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;window.__pwned" in page
    assert '<a href="https://example.org/">un vrai lien</a>' in page


def test_markdown_rules():
    html = str(render_markdown("# Titre\n\n<b>gras</b> [x](javascript:alert(1)) "
                               "[y](JAVASCRIPT:alert(1)) [z](data:text/html,hi) [ok](https://a.fr)"))
    assert "<b>" not in html and "&lt;b&gt;" in html
    assert "javascript:" not in html.lower().replace("](javascript:", "")
    assert 'href="https://a.fr"' in html and "href=\"data:" not in html
    assert "<h3>Titre</h3>" in html  # under the page's own h1/h2
    assert safe_url("javascript:alert(1)") is None and safe_url("https://x.fr/a") == "https://x.fr/a"
    assert safe_url("mailto:a@b.fr") == "mailto:a@b.fr" and safe_url("/relative") is None


def test_downloads_have_size_and_sha256_of_the_files(library, site_dir):
    root, dist = library
    page = (site_dir / "datasets" / "epn-api-poitou-charentes-2006.html").read_text("utf-8")
    src = root / "datasets" / "epn-api-poitou-charentes-2006" / "epn-api-par-territoire.csv"
    served = site_dir / "files" / "epn-api-poitou-charentes-2006" / "epn-api-par-territoire.csv"
    assert served.read_bytes() == src.read_bytes()
    assert sha256_file(src) in page
    version = load_catalog(root).dataset("epn-api-poitou-charentes-2006").version
    zip_file = site_dir / "downloads" / f"epn-api-poitou-charentes-2006-{version}.zip"
    assert sha256_file(zip_file) in page
    assert (site_dir / "dcat" / "epn-api-poitou-charentes-2006.ttl").is_file()
    from opendata.site.render import human_size

    assert human_size(src.stat().st_size, "fr") in page and " Ko" in page  # French units


def test_dataset_jsonld_is_the_same_graph_as_its_turtle(site_dir):
    name = "epn-api-poitou-charentes-2006"
    ttl = Graph().parse(site_dir / "dcat" / f"{name}.ttl", format="turtle")
    jsonld = Graph().parse(site_dir / "dcat" / f"{name}.jsonld", format="json-ld")
    assert len(ttl) > 20 and isomorphic(ttl, jsonld)


def test_schema_org_dataset_in_each_dataset_page(site_dir):
    text = (site_dir / "datasets" / f"{HOSTILE}.html").read_text("utf-8")
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', text, re.S)
    assert block
    data = json.loads(block.group(1))
    assert data["@type"] == "Dataset" and data["version"] == "2.0.0"
    assert data["license"].startswith("https://www.etalab.gouv.fr/")
    assert data["distribution"][0]["contentUrl"].endswith("files/donnees-hostiles/mesures.csv")
    assert "<script>" in data["name"]  # the data is kept, only escaped for the page


def test_dictionary_preview_and_chart(site_dir):
    text = (site_dir / "datasets" / f"{HOSTILE}.html").read_text("utf-8")
    assert '<th scope="col">lieu</th>' in text and '<td class="num">12,25</td>' in text
    assert "&lt;b&gt;Lieu&lt;/b&gt;" in text  # a schema description is text too
    assert 'class="bars"' in text  # the numeric column gets its bar chart
    notice = (site_dir / "en" / "datasets" / f"{NO_TABLE}.html").read_text("utf-8")
    assert "This dataset has no tabular resource." in notice
    assert "files/notice-sans-tableau/notice.txt" in notice


def test_history_comes_from_git(site_dir):
    text = (site_dir / "datasets" / f"{HOSTILE}.html").read_text("utf-8")
    assert "Catalogue de test" in text


def test_pack_page_gives_rules_dates_sha256_and_the_verify_command(library, site_dir):
    from opendata.packages.collections import load_pack_manifest

    zip_name = load_pack_manifest(library[0], "concours-applis").zip_name
    text = (site_dir / "packs" / "concours-applis.html").read_text("utf-8")
    sha = sha256_file(site_dir / "downloads" / zip_name)
    assert f"opendata download {zip_name} --sha256 {sha}" in text
    assert "https://bibliotheque-donnees.fr/concours-applis/reglement" in text
    assert "1er septembre 2026" in text and "30 novembre 2026" in text
    assert "epn-api-poitou-charentes-2006.html" in text


def test_facet_pages_list_only_matching_datasets(site_dir):
    text = (site_dir / "facets" / "theme" / "envi.html").read_text("utf-8")
    assert f"datasets/{HOSTILE}.html" in text
    assert "epn-api-poitou-charentes-2006" not in text
    org = (site_dir / "organizations" / "region-poitou-charentes.html").read_text("utf-8")
    assert f"datasets/{NO_TABLE}.html" in org and HOSTILE not in org


def test_search_index_finds_the_unique_word_in_one_dataset(site_dir):
    text = (site_dir / "assets" / "search-index.js").read_text("utf-8")
    data = json.loads(text.removeprefix("window.OPENDATA_SEARCH=").rstrip(";\n"))
    gaps = data["words"][UNIQUE_WORD]
    assert len(gaps) == 1 and data["docs"][gaps[0]][0] == HOSTILE
    docs = [d[0] for d in data["docs"]]
    numbers = list(itertools.accumulate(data["words"]["epn"]))  # gaps back to numbers
    assert {docs[i] for i in numbers} >= {"epn-api-poitou-charentes-2006"}
    assert numbers == sorted(set(numbers))
    assert "</script" not in text


def test_sitemap_and_feed(library, site_dir):
    root, _ = library
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9", "a": "http://www.w3.org/2005/Atom"}
    locs = [e.text for e in ET.parse(site_dir / "sitemap.xml").getroot().findall("s:url/s:loc", ns)]
    for ds in load_catalog(root).datasets:
        assert f"https://bibliotheque-donnees.fr/datasets/{ds.name}.html" in locs
    feed = ET.parse(site_dir / "feed.atom").getroot()
    titles = [e.text for e in feed.findall("a:entry/a:title", ns)]
    assert len(titles) == len(load_catalog(root).datasets)


def test_preview_reads_only_the_first_rows_of_a_huge_table(tmp_path):
    """A 500 MB table (sparse: no disk cost) previews in no time and little memory; the
    bytes after the first rows are never parsed (they are NULs that csv would refuse)."""
    big = tmp_path / "big.csv"
    with big.open("wb") as fh:
        fh.write(b"a;b\n" + b"".join(f"x{i};{i},5\n".encode() for i in range(20)))
        fh.truncate(500 * 1024 * 1024)
    tracemalloc.start()
    start = time.perf_counter()
    preview = read_preview(big, {"delimiter": ";"}, "csv", 10,
                           [{"name": "a", "type": "string"}, {"name": "b", "type": "number"}])
    elapsed = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert preview.error is None
    assert preview.header == ["a", "b"] and len(preview.rows) == 10 and preview.rows[9] == ["x9", "9,5"]
    assert peak < 5 * 1024 * 1024 and elapsed < 5


def test_preview_of_a_file_that_never_ends_a_line_is_bounded(tmp_path):
    blob = tmp_path / "blob.csv"
    blob.write_bytes(b"x" * (3 * 1024 * 1024))
    preview = read_preview(blob, {}, "csv")
    assert preview.error is None and len(preview.header) == 1
    assert len(preview.header[0]) == 201  # cut: not 3 MB in a page


def test_opendata_site_needs_a_build(cli, catalog):
    result = cli("site")
    assert result.exit_code == 2
    assert "opendata build" in result.output


def test_opendata_site_rewrites_the_site(cli, catalog):
    assert cli("build").exit_code == 0
    stale = catalog / "dist" / "site" / "stale.html"
    stale.write_text("old", encoding="utf-8")
    result = cli("site")
    assert result.exit_code == 0, result.output
    assert "dataset(s)" in result.output and not stale.exists()
    assert (catalog / "dist" / "site" / "en" / "index.html").is_file()


@pytest.mark.parametrize("lang,word", [("fr", "Rechercher"), ("en", "Search")])
def test_home_page_in_each_language(site_dir, lang, word):
    home = site_dir / ("index.html" if lang == "fr" else "en/index.html")
    text = home.read_text("utf-8")
    assert f'<html lang="{lang}">' in text and word in text
    assert "concours-applis.html" in text  # the packs


def test_forked_workers_write_the_same_site(library, tmp_path, monkeypatch):
    """Large catalogs split dataset pages over forked workers: the same site (byte for
    byte, but for the blank node ids of the JSON-LD files, which follow build order)."""
    import opendata.site.build as site_build
    from opendata.validation.validator import validate

    root, dist = library
    catalog = load_catalog(root)
    report = validate(catalog=catalog)
    serial = site_build.build_site(catalog, report, dist, out=tmp_path / "serial")
    monkeypatch.setattr(site_build, "PARALLEL_FROM", 2)
    parallel = site_build.build_site(catalog, report, dist, out=tmp_path / "parallel")
    assert parallel.pages == serial.pages
    files = sorted(p.relative_to(tmp_path / "serial") for p in (tmp_path / "serial").rglob("*")
                   if p.is_file())
    assert files == sorted(p.relative_to(tmp_path / "parallel")
                           for p in (tmp_path / "parallel").rglob("*") if p.is_file())
    for rel in files:
        one, two = tmp_path / "serial" / rel, tmp_path / "parallel" / rel
        if rel.suffix == ".jsonld" and rel.parent.name == "dcat":  # blank node ids differ
            assert isomorphic(Graph().parse(one, format="json-ld"),
                              Graph().parse(two, format="json-ld")), rel
        else:
            assert one.read_bytes() == two.read_bytes(), rel


def test_pager_links_first_last_and_a_window_around_the_current_page():
    from opendata.site.render import pager_window

    assert pager_window(1, 1) == [1]
    assert pager_window(7, 4) == [1, 2, 3, 4, 5, 6, 7]
    assert pager_window(8, 4) == [1, 2, 3, 4, 5, 6, 7, 8]  # one page never hides behind "…"
    assert pager_window(200, 1) == [1, 2, 3, None, 200]
    assert pager_window(200, 100) == [1, None, 98, 99, 100, 101, 102, None, 200]
    assert pager_window(200, 200) == [1, None, 198, 199, 200]
