"""The site in a real browser: Debian's Chromium, driven by Playwright (never Playwright's
own browser download), from ``file://`` and from a static HTTP server, with axe-core
checking every page template for WCAG 2.1 A/AA violations.

Without Chromium or axe-core (both installed by ``.ci/run``) the tests fail under CI and
are skipped elsewhere.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from library import HOSTILE, NO_TABLE, REPO, UNIQUE_WORD

CHROMIUM = Path(os.environ.get("OPENDATA_CHROMIUM", "/usr/bin/chromium"))
AXE = REPO / ".dev" / "npm" / "node_modules" / "axe-core" / "axe.min.js"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _missing(what: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{what} is missing (.ci/run installs it)")
    pytest.skip(f"{what} is missing (run .ci/run, or see README)")


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """A persistent context on an empty profile folder: Chromium as a first-time user."""
    if not CHROMIUM.is_file():
        _missing(str(CHROMIUM))
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")), executable_path=str(CHROMIUM),
            headless=True, args=FLAGS, accept_downloads=True)
        yield context
        context.close()


@pytest.fixture
def page(browser):
    page = browser.new_page()
    dialogs: list[str] = []
    errors: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.dialogs = dialogs  # type: ignore[attr-defined]
    page.errors = errors  # type: ignore[attr-defined]
    yield page
    assert dialogs == [], "a page opened a dialog"
    assert errors == [], "a page raised a JavaScript error"
    page.close()


@pytest.fixture(scope="module")
def http_site(site_dir):
    """The site on a static HTTP server on 127.0.0.1 (as on any static host)."""
    handler = partial(_Quiet, directory=str(site_dir))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the stdlib's name
        pass


def file_url(site_dir: Path, path: str) -> str:
    return (site_dir / path).as_uri()


def test_search_a_word_of_one_description_and_reach_that_dataset(page, site_dir):
    page.goto(file_url(site_dir, "index.html"))
    page.get_by_label("Rechercher un jeu de données").fill(UNIQUE_WORD)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"search\.html\?q="))
    results = page.locator("#search-results li")
    results.first.wait_for()
    assert results.count() == 1
    assert "1 jeu" in page.inner_text("#search-status")
    results.first.get_by_role("link").click()
    page.wait_for_url(re.compile(rf"datasets/{HOSTILE}\.html$"))
    assert "Données hostiles" in page.inner_text("h1")


def test_search_words_are_accent_and_case_free_and_combine_with_filters(page, site_dir):
    page.goto(file_url(site_dir, "search.html") + "?q=NUMERIQUE")
    page.locator("#search-results li").first.wait_for()
    everything = page.locator("#search-results li").count()
    assert everything >= 5
    page.select_option("#f-organization", "region-rhone-alpes")
    titles = page.locator("#search-results li h3").all_inner_texts()
    assert 0 < len(titles) < everything
    assert all("hône-Alpes" in t or "Rhône" in t or "lycées" in t for t in titles)
    page.fill("#q", "motquinexistepas")
    assert "Aucun" in page.inner_text("#search-status")


def test_filter_by_a_facet_from_the_home_page(page, site_dir):
    page.goto(file_url(site_dir, "index.html"))
    page.get_by_role("link", name="Environnement").click()
    assert "Environnement" in page.inner_text("h1")
    links = page.locator("ul.datasets h3 a").all_inner_texts()
    assert len(links) == 1 and "Données hostiles" in links[0]


def test_switch_language_and_back(page, site_dir):
    page.goto(file_url(site_dir, "datasets/epn-api-poitou-charentes-2006.html"))
    assert page.evaluate("document.documentElement.lang") == "fr"
    page.get_by_role("link", name="English").click()
    page.wait_for_url(re.compile(r"/en/datasets/epn-api-poitou-charentes-2006\.html$"))
    assert page.evaluate("document.documentElement.lang") == "en"
    assert page.get_by_role("heading", name="Data dictionary").count() == 1
    page.get_by_role("link", name="Français").click()
    page.wait_for_url(re.compile(r"/site/datasets/epn-api-poitou-charentes-2006\.html$"))
    assert page.evaluate("document.documentElement.lang") == "fr"


def test_follow_each_download_link_of_a_dataset_page(page, http_site, library):
    from opendata.catalog.manifests import load_catalog

    version = load_catalog(library[0]).dataset("epn-api-poitou-charentes-2006").version
    page.goto(http_site + "datasets/epn-api-poitou-charentes-2006.html")
    rows = page.locator("table.downloads tbody tr")
    assert rows.count() == 5  # 2 files, the zip, DCAT Turtle and JSON-LD
    for i in range(rows.count()):
        row = rows.nth(i)
        href = row.locator("a").first.get_attribute("href")
        url = page.evaluate("(h) => new URL(h, document.baseURI).href", href)
        reply = page.request.get(url)
        assert reply.status == 200, url
        sha = row.locator("td").last.inner_text().strip()
        if sha != "—":
            assert hashlib.sha256(reply.body()).hexdigest() == sha, url
    with page.expect_download() as info:
        page.get_by_role("link", name="Paquet de données (zip)").click()
    assert info.value.suggested_filename == f"epn-api-poitou-charentes-2006-{version}.zip"


def test_the_whole_site_works_from_file_urls(page, site_dir):
    """Every link of the home page, followed from file://, opens a page or a file."""
    page.goto(file_url(site_dir, "index.html"))
    hrefs = sorted(set(page.eval_on_selector_all(
        "a[href]", "els => els.map(e => e.href).filter(h => h.startsWith('file:'))")))
    assert len(hrefs) > 20
    for href in hrefs:
        path = Path(href.split("#")[0].split("?")[0].removeprefix("file://"))
        assert path.is_file(), href
    page.goto(file_url(site_dir, "datasets/index.html"))
    assert page.locator("ul.datasets li").count() >= 13


def test_a_hostile_description_never_runs(page, site_dir, http_site):
    for url in (file_url(site_dir, f"datasets/{HOSTILE}.html"),
                http_site + f"en/datasets/{HOSTILE}.html",
                http_site + "search.html?q=hostiles"):
        page.goto(url)
        page.wait_for_load_state("load")
        assert page.evaluate("typeof window.__pwned") == "undefined", url
    page.goto(file_url(site_dir, f"datasets/{HOSTILE}.html"))
    assert "<script>" in page.inner_text("h1")  # shown as text
    assert page.locator("a[href^='javascript']").count() == 0
    assert page.locator(".markdown img").count() == 0
    page.get_by_text("cliquez ici").click()
    assert page.evaluate("typeof window.__pwned") == "undefined"


def test_keyboard_skip_link_goes_to_main(page, site_dir):
    page.goto(file_url(site_dir, "index.html"))
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


#: one page of each template (and both languages of the home page)
TEMPLATES = {
    "home (fr)": "index.html",
    "home (en)": "en/index.html",
    "search, with results": "search.html?q=numerique",
    "dataset list": "datasets/index.html",
    "dataset": "datasets/equipements-numeriques-lycees-rhone-alpes-2014.html",
    "dataset (en)": "en/datasets/epn-api-poitou-charentes-2006.html",
    "dataset, hostile": f"datasets/{HOSTILE}.html",
    "dataset, no table": f"datasets/{NO_TABLE}.html",
    "organisation": "organizations/region-poitou-charentes.html",
    "pack": "packs/concours-applis.html",
    "facet value": "facets/theme/tech.html",
    "facet index": "facets/index.html",
}


def test_axe_finds_no_serious_or_critical_violation_on_any_template(page, http_site, tmp_path):
    if not AXE.is_file():
        _missing(str(AXE))
    found: dict[str, list[dict[str, object]]] = {}
    for label, path in TEMPLATES.items():
        page.goto(http_site + path)
        page.wait_for_load_state("load")
        page.add_script_tag(path=str(AXE))
        result = page.evaluate("""async () => {
            const r = await axe.run(document, {runOnly: {type: 'tag', values:
                ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}});
            return r.violations.map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.length}));
        }""")
        found[label] = result
    summary = os.environ.get("OPENDATA_AXE_SUMMARY")
    if summary:  # the figures the README gives come from here
        Path(summary).write_text(json.dumps(found, indent=2), encoding="utf-8")
    bad = {label: [v for v in violations if v["impact"] in ("serious", "critical")]
           for label, violations in found.items()}
    assert {k: v for k, v in bad.items() if v} == {}
