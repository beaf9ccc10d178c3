"""Temporal dates that exist, and INSEE codes with their COG vintage, in manifests and DCAT."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import URIRef
from rdflib.namespace import RDF, SKOS

from opendata.catalog.manifests import load_catalog
from opendata.cli import main
from opendata.dcat import build_dcat, check_shacl, read_catalog
from opendata.dcat.ns import DCT
from opendata.validation.validator import validate

FIXTURE = Path(__file__).parent / "fixtures" / "catalog"


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    root = tmp_path / "catalog"
    shutil.copytree(FIXTURE, root)
    return root


def _edit(root: Path, old_prefix: str, new_line: str) -> None:
    manifest = root / "datasets" / "demo" / "dataset.yaml"
    lines = manifest.read_text(encoding="utf-8").splitlines()
    hits = [i for i, line in enumerate(lines) if line.startswith(old_prefix)]
    assert hits, old_prefix
    lines[hits[0]] = new_line
    manifest.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.mark.parametrize("start, end, field, value", [
    ('"2020-02-31"', '"2020-03-01"', "temporal.start", "2020-02-31"),
    ("2020-02-31", "2020-03-01", "temporal.start", "2020-02-31"),
    ('"2020-01-01"', '"2020-13-01"', "temporal.end", "2020-13-01"),
    ('"2019-02-29"', '"2019-03-01"', "temporal.start", "2019-02-29"),
])
def test_impossible_dates_are_manifest_errors_with_line_and_field(
        demo: Path, start: str, end: str, field: str, value: str) -> None:
    _edit(demo, "temporal:", f"temporal: {{start: {start}, end: {end}}}")
    report = validate(demo, use_cache=False)
    [issue] = [i for i in report.errors if i.field == field]
    assert (issue.file, issue.line) == ("datasets/demo/dataset.yaml", 11)
    assert value in issue.message and "a date that exists" in (issue.hint or "")
    assert not report.valid


def test_a_leap_day_is_a_date(demo: Path) -> None:
    _edit(demo, "temporal:", 'temporal: {start: "2020-02-29", end: "2020-03-01"}')
    assert validate(demo, use_cache=False).valid


def test_invalid_date_never_reaches_the_dcat(demo: Path) -> None:
    _edit(demo, "temporal:", 'temporal: {start: "2020-02-31"}')
    result = CliRunner().invoke(main, ["--root", str(demo), "build"])
    assert result.exit_code == 1
    assert "2020-02-31" in result.output and "temporal.start" in result.output
    catalog = demo / "dist" / "catalog.ttl"
    assert not catalog.exists() or "2020-02-31" not in catalog.read_text(encoding="utf-8")


def test_cog_vintage_is_stated_in_the_dcat_and_read_back(demo: Path) -> None:
    _edit(demo, "spatial:", 'spatial: {level: region, code: "54", cog: 2015}')
    assert validate(demo, use_cache=False).valid
    graph = build_dcat(demo, git=False)
    base = load_catalog(demo).config.base_uri
    unit = URIRef(f"{base}geo/cog2015/region/54")
    ds = URIRef(f"{base}dataset/demo")
    assert (ds, DCT.spatial, unit) in graph
    # not INSEE's IRI of a current region: a harvester cannot map it onto today's code set
    assert (ds, DCT.spatial, URIRef("http://id.insee.fr/geo/region/54")) not in graph
    scheme = graph.value(unit, SKOS.inScheme)
    assert (scheme, RDF.type, SKOS.ConceptScheme) in graph
    assert "2015" in str(graph.value(scheme, DCT.title))
    assert str(graph.value(unit, SKOS.notation)) == "54"
    assert check_shacl(graph, demo).violations == []
    [back] = read_catalog(graph, load_catalog(demo).licences)
    assert back["spatial"] == {"level": "region", "code": "54", "cog": 2015}


@pytest.mark.parametrize("code, cog, message", [
    ("82", 2016, "exists only in the COG before 2016"),
    ("84", 2015, "exists only since the COG 2016"),
])
def test_a_vintage_that_contradicts_the_code_is_an_error(demo: Path, code: str, cog: int,
                                                        message: str) -> None:
    _edit(demo, "spatial:", f'spatial: {{level: region, code: "{code}", cog: {cog}}}')
    report = validate(demo, use_cache=False)
    [issue] = [i for i in report.issues if i.code == "cog-vintage"]
    assert issue.field == "spatial.cog" and issue.line == 12 and message in issue.message
    assert not report.valid


def test_cog_must_be_a_year(demo: Path) -> None:
    _edit(demo, "spatial:", 'spatial: {level: region, code: "54", cog: "vieux"}')
    report = validate(demo, use_cache=False)
    assert any(i.field and i.field.startswith("spatial.cog") for i in report.errors)
