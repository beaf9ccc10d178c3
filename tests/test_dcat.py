"""DCAT-AP 3: enrichment, writers, paging, SHACL conformance, read-back, bad input."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import FOAF, OWL, RDF, SKOS, XSD

from opendata.catalog.manifests import load_catalog
from opendata.cli import main
from opendata.dcat import (
    DcatParseError,
    build_dcat,
    check_shacl,
    page_graphs,
    read_catalog,
    serialize,
    write_dcat,
)
from opendata.dcat.ns import DCAT, DCATAP, DCT, HYDRA, IANA, SPDX, VCARD
from opendata.dcat.turtle import to_turtle
from opendata.errors import ValidationFailed
from opendata.validation.validator import validate

FIXTURE = Path(__file__).parent / "fixtures" / "catalog"
REPO = Path(__file__).resolve().parent.parent
EU = "http://publications.europa.eu/resource/authority/"
BASE = "https://bibliotheque-donnees.fr/"


@pytest.fixture
def cat(tmp_path: Path) -> Path:
    root = tmp_path / "catalog"
    shutil.copytree(FIXTURE, root)
    return root


def add_dataset(root: Path, name: str, extra: str = "", folder: str | None = None) -> Path:
    d = root / "datasets" / (folder or name)
    d.mkdir(parents=True)
    (d / "data.json").write_text('{"a": 1}\n', encoding="utf-8")
    (d / "dataset.yaml").write_text(f"""name: {name}
title: Jeu {name}
description: Un jeu de données de test ({name}).
organization: region-poitou-charentes
licence: odbl-1.0
keywords: [test]
themes: [ENVI]
frequency: ANNUAL
temporal: {{start: "2020-01-01", end: "2020-12-31"}}
spatial: {{level: department, code: "86", bbox: [-0.5, 45.5, 1.25, 47.0]}}
contact: {{name: Équipe, email: equipe@example.fr, url: https://example.fr/contact}}
source: {{title: Rapport, section: Annexe 2, url: https://example.fr/rapport.pdf, date: "2020-05-01"}}
version: "2.1.0"
language: [fr, en]
landing_page: https://example.fr/{name}
resources:
  - name: donnees
    title: Données
    description: Le fichier.
    path: data.json
    format: json
  - name: distante
    title: Fichier distant
    url: https://example.fr/{name}.csv
    format: csv
    schema: {{name: scdl/subventions, version: 2.1.1}}
{extra}""", encoding="utf-8")
    return d


def ds_uri(name: str) -> URIRef:
    return URIRef(f"{BASE}dataset/{name}")


# --- enrichment ------------------------------------------------------------------------------

def test_dataset_is_enriched(cat: Path) -> None:
    g = build_dcat(cat, git=False)
    ds = ds_uri("demo")
    assert (ds, RDF.type, DCAT.Dataset) in g
    assert g.value(ds, DCT.identifier) == Literal(str(ds))
    assert g.value(ds, DCT.title).language == "fr"
    assert {str(t) for t in g.objects(ds, DCAT.theme)} == {EU + "data-theme/TECH",
                                                           EU + "data-theme/SOCI"}
    for theme in g.objects(ds, DCAT.theme):
        assert (theme, RDF.type, SKOS.Concept) in g
        assert g.value(theme, SKOS.inScheme) == URIRef(EU + "data-theme")
        assert g.value(theme, SKOS.prefLabel) is not None
    assert g.value(ds, DCT.accrualPeriodicity) == URIRef(EU + "frequency/NEVER")
    assert g.value(ds, DCT.language) == URIRef(EU + "language/FRA")
    assert URIRef("http://id.insee.fr/geo/region/54") in set(g.objects(ds, DCT.spatial))
    pot = g.value(ds, DCT.temporal)
    assert g.value(pot, DCAT.startDate) == Literal("2006-01-01", datatype=XSD.date)
    assert g.value(pot, DCAT.endDate) == Literal("2006-09-01", datatype=XSD.date)
    cp = g.value(ds, DCAT.contactPoint)
    assert (cp, RDF.type, VCARD.Kind) in g
    assert g.value(cp, VCARD.hasEmail) == URIRef("mailto:opendata@example.fr")
    pub = g.value(ds, DCT.publisher)
    assert (pub, RDF.type, FOAF.Agent) in g and g.value(pub, FOAF.name) is not None
    assert g.value(ds, DCT.issued).datatype == XSD.dateTime
    assert g.value(ds, DCT.modified) is not None
    # the catalog: publisher of the catalog, themes taxonomy
    catalog = URIRef(f"{BASE}catalog")
    assert (catalog, DCAT.dataset, ds) in g
    assert g.value(catalog, DCT.publisher) == URIRef(BASE)


def test_distribution_is_enriched(cat: Path) -> None:
    g = build_dcat(cat, git=False)
    dist = g.value(ds_uri("demo"), DCAT.distribution)
    data = (cat / "datasets" / "demo" / "points.csv").read_bytes()
    raw = ("https://raw.githubusercontent.com/bibliotheque-donnees/catalogue/main/"
           "datasets/demo/points.csv")
    assert g.value(dist, DCAT.downloadURL) == URIRef(raw)
    assert g.value(dist, DCAT.accessURL) == URIRef(raw)
    assert g.value(dist, DCAT.byteSize) == Literal(len(data), datatype=XSD.nonNegativeInteger)
    checksum = g.value(dist, SPDX.checksum)
    assert g.value(checksum, SPDX.algorithm) == SPDX.checksumAlgorithm_sha256
    assert str(g.value(checksum, SPDX.checksumValue)) == hashlib.sha256(data).hexdigest()
    assert g.value(checksum, SPDX.checksumValue).datatype == XSD.hexBinary
    assert g.value(dist, DCT.format) == URIRef(EU + "file-type/CSV")
    assert g.value(dist, DCAT.mediaType) == URIRef(IANA + "text/csv")
    assert g.value(dist, DCT.conformsTo) == URIRef(raw.replace("points.csv", "points.schema.json"))
    assert g.value(dist, DCATAP.availability) == URIRef(EU + "planned-availability/STABLE")
    lic = g.value(dist, DCT.license)
    assert lic == URIRef("https://www.etalab.gouv.fr/licence-ouverte-open-licence")
    assert (lic, RDF.type, DCT.LicenseDocument) in g
    assert g.value(lic, OWL.sameAs) == URIRef(EU + "licence/ETALAB_2_0")


def test_schema_data_gouv_fr_and_bbox(cat: Path) -> None:
    add_dataset(cat, "autre")
    g = build_dcat(cat, git=False)
    remote = URIRef(f"{BASE}dataset/autre/resource/distante")
    assert g.value(remote, DCT.conformsTo) == URIRef(
        "https://schema.data.gouv.fr/schemas/scdl/subventions/2.1.1/schema.json")
    assert g.value(remote, DCAT.downloadURL) == URIRef("https://example.fr/autre.csv")
    locs = [loc for loc in g.objects(ds_uri("autre"), DCT.spatial) if isinstance(loc, BNode)]
    assert str(g.value(locs[0], DCAT.bbox)).startswith("POLYGON((-0.5 45.5,")


def test_private_datasets_are_left_out(cat: Path) -> None:
    add_dataset(cat, "secret", "private: true\n")
    g = build_dcat(cat, git=False)
    assert (ds_uri("secret"), RDF.type, DCAT.Dataset) not in g


def test_dates_come_from_git(cat: Path) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e.fr",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@e.fr"}

    def commit(date: str, msg: str) -> None:
        e = {**env, "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
        subprocess.run(["git", "add", "-A"], cwd=cat, check=True, env=e)
        subprocess.run(["git", "commit", "-qm", msg], cwd=cat, check=True, env=e)

    subprocess.run(["git", "init", "-q"], cwd=cat, check=True)
    commit("2021-03-04T05:06:07+00:00", "first")
    with (cat / "datasets" / "demo" / "points.csv").open("a", encoding="utf-8") as fh:
        fh.write("")
    (cat / "datasets" / "demo" / "points.csv").write_text(
        (cat / "datasets" / "demo" / "points.csv").read_text(encoding="utf-8") + "\n",
        encoding="utf-8")
    commit("2022-08-09T10:11:12+00:00", "second")
    g = build_dcat(cat)
    ds = ds_uri("demo")
    assert str(g.value(ds, DCT.issued)) == "2021-03-04T05:06:07+00:00"
    assert str(g.value(ds, DCT.modified)) == "2022-08-09T10:11:12+00:00"


# --- conformance -----------------------------------------------------------------------------

def test_fixture_catalog_has_no_shacl_violation(cat: Path) -> None:
    add_dataset(cat, "autre")
    report = check_shacl(build_dcat(cat, git=False))
    assert report.violations == [], "\n".join(map(str, report.violations))


def test_bundled_catalog_passes_dcat_ap_shapes() -> None:
    """What a harvester will check first: the bundled catalog against the official shapes,
    0 violations."""
    if not list((REPO / "datasets").glob("*/dataset.yaml")):
        pytest.skip("no bundled dataset yet")
    catalog = load_catalog(REPO)
    report = check_shacl(build_dcat(catalog))
    assert report.violations == [], "\n".join(map(str, report.violations))
    # the warnings left are the ones the README lists as unavoidable
    allowed = {"dcat:bbox", "dcat:centroid", "dct:type", "dct:license", "dct:spatial"}
    assert {w.path for w in report.warnings} <= allowed, report.warnings


def test_violations_are_reported_readably() -> None:
    g = Graph()
    ds = URIRef("https://example.fr/dataset/x")
    g.add((ds, RDF.type, DCAT.Dataset))
    g.add((ds, DCAT.theme, URIRef(EU + "data-theme/TECH")))  # not described: range violation
    report = check_shacl(g)
    assert not report.conforms
    paths = {v.path for v in report.violations}
    assert "dct:title" in paths and "dct:description" in paths
    assert all(v.focus == f"<{ds}>" for v in report.violations if v.path == "dct:title")
    assert all(v.message for v in report.violations)


# --- writers ---------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt,parse_as", [("ttl", "turtle"), ("jsonld", "json-ld"),
                                          ("rdf", "xml"), ("nt", "nt")])
def test_every_format_parses_back_isomorphic(cat: Path, fmt: str, parse_as: str) -> None:
    add_dataset(cat, "autre")
    g = build_dcat(cat, git=False)
    text = serialize(g, fmt)
    back = Graph().parse(data=text, format=parse_as)
    assert isomorphic(g, back)


def test_turtle_writer_on_bundled_catalog_is_isomorphic() -> None:
    if not list((REPO / "datasets").glob("*/dataset.yaml")):
        pytest.skip("no bundled dataset yet")
    g = build_dcat(REPO, git=False)
    assert isomorphic(g, Graph().parse(data=to_turtle(g), format="turtle"))


def test_turtle_writer_handles_odd_graphs() -> None:
    g = Graph()
    a, b, c = BNode(), BNode(), BNode()
    s = URIRef("https://example.fr/s")
    g.add((s, URIRef("https://example.fr/p#x"), a))  # referenced once: inlined
    g.add((a, URIRef("https://example.fr/q"), Literal('multi\nline "quoted"', lang="fr")))
    g.add((s, URIRef("https://example.fr/p#y"), b))  # referenced twice: labelled
    g.add((URIRef("https://example.fr/t"), URIRef("https://example.fr/p#y"), b))
    g.add((b, URIRef("https://example.fr/q"), Literal(3)))
    g.add((c, URIRef("https://example.fr/q"), c))  # cycle through itself
    g.add((s, URIRef("https://example.fr/weird"), URIRef("https://example.fr/a%20(c).")))
    back = Graph().parse(data=to_turtle(g), format="turtle")
    assert isomorphic(g, back)


def test_write_dcat_files_and_pages(cat: Path, tmp_path: Path) -> None:
    for i in range(4):
        add_dataset(cat, f"jeu-{i}")
    catalog = load_catalog(cat)
    g = build_dcat(catalog, git=False)
    out = tmp_path / "dist"
    written = write_dcat(g, catalog, out, page_size=2, page_base="https://data.example.fr/dcat/")
    names = {p.relative_to(out).as_posix() for p in written}
    assert {"catalog.ttl", "catalog.jsonld", "catalog.rdf", "dcat/demo.ttl",
            "catalog-page-1.ttl", "catalog-page-3.ttl"} <= names
    assert "é" in (out / "catalog.ttl").read_text(encoding="utf-8")
    # a per-dataset file is self-contained and conformant
    single = Graph().parse(out / "dcat" / "jeu-1.ttl", format="turtle")
    assert (ds_uri("jeu-1"), RDF.type, DCAT.Dataset) in single
    assert (ds_uri("jeu-2"), RDF.type, DCAT.Dataset) not in single
    assert check_shacl(single).violations == []
    # pages: every dataset once, Hydra links like udata's harvester follows them
    seen = []
    url = "https://data.example.fr/dcat/catalog-page-1.ttl"
    pages = {f"https://data.example.fr/dcat/catalog-page-{i}.ttl":
             Graph().parse(out / f"catalog-page-{i}.ttl", format="turtle") for i in (1, 2, 3)}
    while url:
        page = pages[url]
        seen += list(page.subjects(RDF.type, DCAT.Dataset))
        view = page.value(predicate=RDF.type, object=HYDRA.PartialCollectionView)
        assert str(view) == url
        assert page.value(view, HYDRA.first) == URIRef(
            "https://data.example.fr/dcat/catalog-page-1.ttl")
        assert page.value(view, HYDRA.last) == URIRef(
            "https://data.example.fr/dcat/catalog-page-3.ttl")
        assert page.value(page.value(predicate=RDF.type, object=DCAT.Catalog),
                          HYDRA.totalItems).toPython() == 5
        nxt = page.value(view, HYDRA.next)
        url = str(nxt) if nxt else ""
    assert sorted(map(str, seen)) == sorted(str(ds_uri(n)) for n in
                                            ["demo", "jeu-0", "jeu-1", "jeu-2", "jeu-3"])
    assert len(page_graphs(g, 10, "https://x.fr/p{n}.ttl")) == 1


# --- reading back ----------------------------------------------------------------------------

def _comparable(m: dict) -> dict:
    """A manifest as DCAT carries it: no dialect/type/extras, local paths as public URLs."""
    out = {k: v for k, v in m.items() if k not in ("extras", "private")}
    for key in ("keywords", "themes", "language"):
        if key in out:
            out[key] = sorted(out[key])
    if "spatial" in out and "bbox" in out["spatial"]:
        out["spatial"] = {**out["spatial"], "bbox": [float(v) for v in out["spatial"]["bbox"]]}
    return out


@pytest.mark.parametrize("fmt", ["ttl", "jsonld", "rdf"])
def test_round_trip_manifests_dcat_manifests(cat: Path, tmp_path: Path, fmt: str) -> None:
    add_dataset(cat, "autre")
    catalog = load_catalog(cat)
    g = build_dcat(catalog, git=False)
    file = tmp_path / f"catalog.{fmt}"
    file.write_text(serialize(g, fmt), encoding="utf-8")
    back = {m["name"]: m for m in read_catalog(file, catalog.licences)}
    assert set(back) == {"demo", "autre"}
    raw = "https://raw.githubusercontent.com/bibliotheque-donnees/catalogue/main/datasets/"
    for ds in catalog.datasets:
        original = _comparable(ds.raw)
        got = back[ds.name]
        if "spatial" in got and "bbox" in got["spatial"]:
            got["spatial"]["bbox"] = [float(v) for v in got["spatial"]["bbox"]]
        for key, value in original.items():
            if key == "resources":
                continue
            assert got.get(key) == value, key
        by_name = {r["name"]: r for r in got["resources"]}
        for res in ds.raw["resources"]:
            rb = by_name[res["name"]]
            for key in ("title", "description", "format", "url", "mediatype", "schema"):
                if key in res:
                    assert rb.get(key) == res[key], (res["name"], key)
            if "path" in res:
                assert rb["url"] == f"{raw}{ds.name}/{res['path']}"


def test_read_catalog_from_url(cat: Path) -> None:
    responses = pytest.importorskip("responses")
    text = serialize(build_dcat(cat, git=False), "ttl")
    with responses.RequestsMock() as mock:
        mock.add(responses.GET, "https://portal.example.fr/catalog", body=text.encode("utf-8"),
                 content_type="text/turtle")
        got = read_catalog("https://portal.example.fr/catalog")
    assert got[0]["title"] == "Points d'accès publics à Internet (démo)"
    assert got[0]["licence"] == "https://www.etalab.gouv.fr/licence-ouverte-open-licence"


# --- bad input -------------------------------------------------------------------------------

@pytest.mark.parametrize("suffix,text,line", [
    (".ttl", "@prefix dct: <http://purl.org/dc/terms/> .\n\n<a> dct:title \"x\" ;\n  oops .\n", 4),
    (".rdf", "<?xml version='1.0'?>\n<rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax"
             "-ns#'>\n<rdf:Description>\n</rdf:RDF>\n", 4),
    (".jsonld", '{"@context": {},\n "@id": "x",,\n}', 2),
])
def test_unparsable_dcat_gives_line_and_message(tmp_path: Path, suffix: str, text: str,
                                                line: int) -> None:
    file = tmp_path / f"bad{suffix}"
    file.write_text(text, encoding="utf-8")
    with pytest.raises(DcatParseError) as exc:
        read_catalog(file)
    assert f"{file}:{line}" in exc.value.message
    assert "syntax error" in exc.value.message


def test_duplicate_identifiers_are_refused(cat: Path) -> None:
    add_dataset(cat, "demo", folder="demo-copie")
    with pytest.raises(ValidationFailed, match="share the identifier"):
        build_dcat(cat, git=False)


@pytest.mark.parametrize("key,bad,allowed", [
    ("themes", "[TECHNO]", "TECH"), ("frequency", "YEARLY", "ANNUAL"), ("language", "[fra]", "fr")])
def test_unknown_vocabulary_codes_name_the_allowed_ones(cat: Path, key: str, bad: str,
                                                        allowed: str) -> None:
    manifest = cat / "datasets" / "demo" / "dataset.yaml"
    lines = [ln for ln in manifest.read_text(encoding="utf-8").splitlines()
             if not ln.startswith(f"{key}:")]
    manifest.write_text("\n".join(lines + [f"{key}: {bad}"]) + "\n", encoding="utf-8")
    report = validate(cat, use_cache=False)
    issues = [i for i in report.issues if i.code == "unknown-code"]
    assert issues, report.issues
    assert "Allowed codes:" in (issues[0].hint or "") and allowed in (issues[0].hint or "")


# --- command line and build ------------------------------------------------------------------

def test_cli_dcat_check_passes(cat: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["--root", str(cat), "dcat", "--out", str(tmp_path / "o"),
                                       "--format", "ttl", "--page-size", "1", "--check"])
    assert result.exit_code == 0, result.output
    assert "0 violation(s)" in result.output
    assert (tmp_path / "o" / "catalog.ttl").is_file()
    assert (tmp_path / "o" / "catalog-page-1.ttl").is_file()


def test_cli_dcat_streams_files_isomorphic_to_the_graph(cat: Path, tmp_path: Path) -> None:
    from rdflib.compare import isomorphic

    result = CliRunner().invoke(main, ["--root", str(cat), "dcat", "--out", str(tmp_path / "o"),
                                       "--no-git"])
    assert result.exit_code == 0, result.output
    for name, fmt in (("catalog.ttl", "turtle"), ("catalog.jsonld", "json-ld"),
                      ("catalog.rdf", "xml")):
        parsed = Graph().parse(tmp_path / "o" / name, format=fmt)
        assert isomorphic(parsed, build_dcat(cat, git=False)), name


def test_cli_dcat_check_lists_violations(cat: Path, tmp_path: Path, monkeypatch) -> None:
    import opendata.dcat as cmd  # the command imports build_dcat from there when it runs

    def broken(*args, **kwargs) -> Graph:
        g = build_dcat(cat, git=False)
        g.remove((ds_uri("demo"), DCT.title, None))
        return g

    monkeypatch.setattr(cmd, "build_dcat", broken)
    result = CliRunner().invoke(main, ["--root", str(cat), "dcat", "--out", str(tmp_path / "o"),
                                       "--check"])
    assert result.exit_code == 1
    assert f"violation: <{ds_uri('demo')}>" in result.output
    assert "path: dct:title" in result.output


def test_cli_unknown_format_is_a_usage_error(cat: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["--root", str(cat), "dcat", "--out", str(tmp_path),
                                       "--format", "ttl,yaml"])
    assert result.exit_code == 2
    assert "yaml" in result.output


def test_build_writes_dcat_of_valid_datasets_only(cat: Path, tmp_path: Path) -> None:
    from opendata.pipeline.build import build

    broken = add_dataset(cat, "casse")
    (broken / "data.json").unlink()  # missing file: invalid dataset
    result = build(cat, tmp_path / "dist", use_cache=False)
    g = Graph().parse(tmp_path / "dist" / "catalog.ttl", format="turtle")
    assert (ds_uri("demo"), RDF.type, DCAT.Dataset) in g
    assert (ds_uri("casse"), RDF.type, DCAT.Dataset) not in g
    assert not result.ok
