"""Where a dataset is published: the portal links read from publish reports, on the page
and in its schema.org JSON-LD (the real CKAN round trip is tests/api/test_published_links.py)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from library import HOSTILE, NO_TABLE, PUBLISHED_PORTAL

from opendata.catalog.manifests import load_catalog
from opendata.errors import UsageError
from opendata.site.published import PUBLISHED_DIR, PortalLink, read_published, report_files

CKAN = PUBLISHED_PORTAL
UDATA = "https://www.data.gouv.fr"


def _report(path: Path, target: str, kind: str, url: str, results: list[dict],
            **extra: object) -> Path:
    """A report in the shape ``opendata publish --report`` writes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"target": target, "kind": kind, "url": url, "ok": True,
                                "dry_run": False, "results": results, **extra}), "utf-8")
    return path


def _result(dataset: str, action: str, status: str, url: str | None) -> dict:
    return {"dataset": dataset, "action": action, "status": status, "url": url, "changes": []}


def test_links_come_from_results_that_left_the_dataset_on_the_portal(tmp_path):
    report = _report(tmp_path / "ckan.json", "ckan-region", "ckan", CKAN, [
        _result("created", "create", "ok", f"{CKAN}/dataset/created"),
        _result("same", "unchanged", "skipped", f"{CKAN}/dataset/same"),
        _result("edited", "drifted", "refused", f"{CKAN}/dataset/edited"),
        _result("half", "update", "failed", f"{CKAN}/dataset/half"),
        _result("never", "create", "failed", None),
        _result("broken", "invalid", "failed", None),
    ])
    links = read_published([report])
    assert sorted(links) == ["created", "edited", "half", "same"]
    assert links["created"] == [PortalLink("ckan-region", "ckan", f"{CKAN}/dataset/created")]
    assert links["created"][0].portal == "ckan.example.org (CKAN)"


def test_dry_runs_and_pruned_orphans_link_nothing(tmp_path):
    first = _report(tmp_path / "1.json", "dg", "datagouv", UDATA, [
        _result("gone", "update", "ok", f"{UDATA}/datasets/aaa/"),
        _result("kept", "update", "ok", f"{UDATA}/datasets/bbb/")])
    dry = _report(tmp_path / "2.json", "dg2", "datagouv", UDATA, [
        _result("other", "create", "dry-run", None)], dry_run=True)
    pruned = _report(tmp_path / "3.json", "dg", "datagouv", UDATA, [
        _result("gone", "orphan", "ok", f"{UDATA}/datasets/aaa/"),
        _result("kept", "orphan", "skipped", f"{UDATA}/datasets/bbb/")])  # not pruned
    links = read_published([first, dry, pruned])
    assert list(links) == ["kept"]
    assert links["kept"][0].portal == "data.gouv.fr"


def test_a_later_report_replaces_a_target_s_link_and_keeps_the_others(tmp_path):
    full = _report(tmp_path / "a.json", "dg", "datagouv", "https://demo.data.gouv.fr", [
        _result("one", "create", "ok", "https://demo.data.gouv.fr/datasets/1/"),
        _result("two", "create", "ok", "https://demo.data.gouv.fr/datasets/2/")])
    partial = _report(tmp_path / "b.json", "dg", "datagouv", "https://demo.data.gouv.fr", [
        _result("one", "update", "ok", "https://demo.data.gouv.fr/datasets/1b/")])
    ckan = _report(tmp_path / "c.json", "ckan", "ckan", CKAN, [
        _result("one", "create", "ok", f"{CKAN}/dataset/one")])
    links = read_published([full, partial, ckan])
    assert [x.url for x in links["one"]] == ["https://demo.data.gouv.fr/datasets/1b/",
                                            f"{CKAN}/dataset/one"]
    assert [x.url for x in links["two"]] == ["https://demo.data.gouv.fr/datasets/2/"]
    assert links["one"][0].portal == "demo.data.gouv.fr (udata)"  # not data.gouv.fr itself


def test_only_http_links_survive_an_edited_report(tmp_path):
    report = _report(tmp_path / "x.json", "t", "ckan", CKAN, [
        _result("a", "create", "ok", "javascript:alert(1)"),
        _result("b", "create", "ok", "file:///etc/passwd"),
        _result("c", "create", "ok", "//no-scheme.example.org/x"),
        {"dataset": 3, "url": f"{CKAN}/dataset/x", "status": "ok"},
        "not an object"])
    assert read_published([report]) == {}


def test_an_interrupted_report_still_links_what_was_done(tmp_path):
    """``publish`` interrupted half-way writes target and results, without kind or url."""
    file = tmp_path / "i.json"
    file.write_text(json.dumps({"target": "ckan-local", "ok": False, "complete": False,
                                "error": "interrupted", "counts": {}, "results": [
                                    _result("a", "create", "ok", f"{CKAN}/dataset/a")]}), "utf-8")
    [link] = read_published([file])["a"]
    assert link.portal == "ckan.example.org" and link.target == "ckan-local"


@pytest.mark.parametrize("text", ["{not json", "[]", '{"results": 3}', "\udcff"])
def test_an_unreadable_report_is_a_usage_error(tmp_path, text):
    file = tmp_path / "bad.json"
    file.write_bytes(text.encode("utf-8", "surrogateescape"))
    with pytest.raises(UsageError) as err:
        read_published([file])
    assert "bad.json" in err.value.message and "opendata publish --report" in err.value.hint


def test_report_files_reads_the_published_folder_then_the_given_files(tmp_path):
    assert report_files(tmp_path) == []
    b = _report(tmp_path / PUBLISHED_DIR / "b.json", "b", "ckan", CKAN, [])
    a = _report(tmp_path / PUBLISHED_DIR / "a.json", "a", "ckan", CKAN, [])
    extra = _report(tmp_path / "elsewhere.json", "c", "ckan", CKAN, [])
    assert report_files(tmp_path, [extra]) == [a, b, extra]
    with pytest.raises(UsageError, match="not found"):
        report_files(tmp_path, [tmp_path / "missing.json"])


def _schema_org(page: Path) -> dict:
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>',
                      page.read_text("utf-8"), re.S)
    assert block
    return json.loads(block.group(1))


def test_dataset_pages_link_their_portal_pages(library, tmp_path):
    """Both languages show "published on" with each portal; schema.org says ``sameAs``;
    a dataset no report names shows neither."""
    import opendata.site.build as site_build
    from opendata.validation.validator import validate

    root, dist = library
    udata = f"{UDATA}/datasets/65f0c0ffee0000000000abcd/"
    report = _report(tmp_path / "dg.json", "datagouv", "datagouv", UDATA, [
        _result(HOSTILE, "create", "ok", udata)])
    ckan = _report(tmp_path / "ck.json", "ckan-region", "ckan", PUBLISHED_PORTAL, [
        _result(HOSTILE, "unchanged", "skipped", f"{CKAN}/dataset/{HOSTILE}")])
    catalog = load_catalog(root)
    out = tmp_path / "site"
    site_build.build_site(catalog, validate(catalog=catalog), dist, out=out,
                          published=[report, ckan])
    for page, label in ((out / "datasets" / f"{HOSTILE}.html", "Publié sur"),
                        (out / "en" / "datasets" / f"{HOSTILE}.html", "Published on")):
        text = page.read_text("utf-8")
        assert f"<dt>{label}</dt>" in text
        assert f'<a href="{udata}">data.gouv.fr</a>' in text
        assert f'<a href="{CKAN}/dataset/{HOSTILE}">ckan.example.org (CKAN)</a>' in text
        # the library's published/ckan-region.json first, replaced by the given one
        assert _schema_org(page)["sameAs"] == [f"{CKAN}/dataset/{HOSTILE}", udata]
    other = out / "datasets" / f"{NO_TABLE}.html"
    assert "Publié sur" not in other.read_text("utf-8")
    assert "sameAs" not in _schema_org(other)


def test_opendata_site_published_option(cli, catalog, tmp_path):
    assert cli("build").exit_code == 0
    name = load_catalog(catalog).datasets[0].name
    report = _report(tmp_path / "r.json", "ckan-region", "ckan", CKAN, [
        _result(name, "create", "ok", f"{CKAN}/dataset/{name}")])
    result = cli("site", "--published", str(report))
    assert result.exit_code == 0, result.output
    page = catalog / "dist" / "site" / "datasets" / f"{name}.html"
    assert f'href="{CKAN}/dataset/{name}"' in page.read_text("utf-8")
    missing = cli("site", "--published", str(tmp_path / "none.json"))
    assert missing.exit_code == 2 and "not found" in missing.output
    assert "Traceback" not in missing.output


def test_the_published_folder_is_read_by_every_build(site_dir):
    """``opendata build`` of the library reads its ``published/ckan-region.json``."""
    page = site_dir / "datasets" / f"{HOSTILE}.html"
    assert f'<a href="{CKAN}/dataset/{HOSTILE}">ckan.example.org (CKAN)</a>' in page.read_text(
        "utf-8")
    assert _schema_org(page)["sameAs"] == [f"{CKAN}/dataset/{HOSTILE}"]
