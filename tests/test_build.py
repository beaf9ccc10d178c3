"""`opendata build`, the "done when" scenario, the manifest JSON Schema, the bundled catalog."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import frictionless
import jsonschema

from opendata.catalog import vocab
from opendata.catalog.config import load_json_schema
from opendata.pipeline.build import build
from opendata.validation.validator import validate

REPO = Path(__file__).resolve().parents[1]


def test_build_writes_dist(cli, catalog):
    result = cli("build")
    assert result.exit_code == 0, result.output
    dist = catalog / "dist"
    assert f"to {dist}" in result.stdout
    for name in ("validation-report.json", "validation-report.md", "validation-report.html",
                 "catalog.json", "datapackages/demo/datapackage.json",
                 "datapackages/demo/points.csv"):
        assert (dist / name).is_file(), name
    report = json.loads((dist / "validation-report.json").read_text(encoding="utf-8"))
    assert report["valid"] is True and report["summary"]["datasets"] == 1
    assert "**Valid**: 1 dataset(s)" in (dist / "validation-report.md").read_text("utf-8")
    assert "<h1>Validation report</h1>" in (dist / "validation-report.html").read_text("utf-8")
    index = json.loads((dist / "catalog.json").read_text(encoding="utf-8"))
    assert index["base_uri"] == "https://bibliotheque-donnees.fr/"
    [entry] = index["datasets"]
    assert entry["name"] == "demo" and entry["valid"] is True
    assert entry["uri"] == "https://bibliotheque-donnees.fr/dataset/demo"
    assert entry["datapackage"] == "datapackages/demo/datapackage.json"


def test_datapackage_is_valid_frictionless(catalog):
    result = build(catalog)
    assert result.ok
    descriptor = catalog / "dist" / "datapackages" / "demo" / "datapackage.json"
    package = frictionless.Package(str(descriptor))
    check = package.validate()
    assert check.valid, check.flatten(["rowNumber", "fieldName", "type", "note"])
    data = json.loads(descriptor.read_text(encoding="utf-8"))
    [res] = data["resources"]
    assert res["hash"].startswith("sha256:") and res["bytes"] == (
        catalog / "datasets" / "demo" / "points.csv").stat().st_size
    assert data["licenses"][0]["name"] == "etalab-2.0"
    # the French number field keeps its decimal comma in the packaged schema
    taux = next(f for f in res["schema"]["fields"] if f["name"] == "taux")
    assert taux["decimalChar"] == ","
    rows = package.get_resource("points").read_rows()
    assert float(rows[0]["taux"]) == 72.5 and str(rows[0]["date_releve"]) == "2006-09-01"


def test_datapackage_of_a_cp1252_dataset_reads_back(catalog, demo):
    text = (demo / "dataset.yaml").read_text(encoding="utf-8")
    (demo / "dataset.yaml").write_text(text.replace("encoding: utf-8", "encoding: cp1252"),
                                       encoding="utf-8")
    csv = (demo / "points.csv").read_text(encoding="utf-8")
    (demo / "points.csv").write_bytes(csv.encode("cp1252"))
    assert build(catalog).ok
    package = frictionless.Package(str(catalog / "dist/datapackages/demo/datapackage.json"))
    assert package.validate().valid
    assert package.get_resource("points").read_rows()[1]["territoire"] == "Gâtine"


def test_build_invalid_catalog_exits_1_after_writing_the_report(cli, catalog, demo):
    (demo / "points.csv").write_text("territoire;nb_api;taux;date_releve\nA;x;1;01/01/2006\n",
                                     encoding="utf-8")
    result = cli("build")
    assert result.exit_code == 1
    assert "row 2, field nb_api: error: 'x' is not a whole number" in result.stdout
    dist = catalog / "dist"
    report = json.loads((dist / "validation-report.json").read_text(encoding="utf-8"))
    assert report["valid"] is False
    assert report["issues"][0]["file"] == "datasets/demo/points.csv"
    assert "❌ invalid" in (dist / "validation-report.md").read_text(encoding="utf-8")
    assert "&#x27;x&#x27; is not a whole number" in (dist / "validation-report.html").read_text(
        "utf-8")
    # an invalid dataset is not packaged, and the index says so
    assert not (dist / "datapackages" / "demo").exists()
    [entry] = json.loads((dist / "catalog.json").read_text(encoding="utf-8"))["datasets"]
    assert entry["valid"] is False and entry["datapackage"] is None


def test_build_to_another_folder(cli, catalog, tmp_path):
    result = cli("build", "--dist", str(tmp_path / "out"))
    assert result.exit_code == 0
    assert (tmp_path / "out" / "catalog.json").is_file()
    assert not (catalog / "dist").exists()


def test_done_when_one_broken_manifest_and_one_broken_csv(cli, catalog, demo, line_of):
    """A copy of the catalog with one broken manifest and one broken CSV: validate exits 1
    and names both files with their lines."""
    second = catalog / "datasets" / "demo-2"
    shutil.copytree(demo, second)
    manifest = second / "dataset.yaml"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace("name: demo", "name: demo-2")
                        .replace("frequency: NEVER", "frequency: NEVR"), encoding="utf-8")
    with (demo / "points.csv").open("a", encoding="utf-8") as fh:
        fh.write("Niort;7;12,5;31/02/2006\n")
    result = cli("validate")
    assert result.exit_code == 1
    line = line_of(manifest, "frequency:")
    assert (f"datasets/demo-2/dataset.yaml:{line}:1, field frequency: error: unknown "
            "frequency code 'NEVR'") in result.stdout
    assert ("datasets/demo/points.csv:5, row 5, field date_releve: error: '31/02/2006' is "
            "not a date in the format DD/MM/YYYY") in result.stdout
    assert "2 dataset(s), 0 valid, 2 error(s)" in result.stdout


def test_manifest_json_schema_is_a_valid_draft_2020_12_schema():
    schema = json.loads((REPO / "validation" / "dataset.schema.json").read_text("utf-8"))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)
    catalog_schema = json.loads((REPO / "validation" / "catalog.schema.json").read_text("utf-8"))
    jsonschema.Draft202012Validator.check_schema(catalog_schema)
    # every field documented, for editor completion
    for key, prop in schema["properties"].items():
        assert prop.get("description"), key


def test_manifest_json_schema_enums_equal_the_vocab_tables():
    props = load_json_schema(REPO, "dataset.schema.json")["properties"]
    assert props["themes"]["items"]["enum"] == list(vocab.THEMES)
    assert props["frequency"]["enum"] == list(vocab.FREQUENCIES)
    assert props["language"]["items"]["enum"] == list(vocab.LANGUAGES)
    assert props["spatial"]["properties"]["level"]["enum"] == list(vocab.SPATIAL_LEVELS)


def test_bundled_catalog_is_valid():
    """The repository's own catalog: at least 8 real datasets, all valid."""
    report = validate(REPO, use_cache=False)
    errors = [f"{i.location()}: {i.message}" for i in report.errors]
    assert report.valid, "\n".join(errors)
    assert len(report.datasets) >= 8
    assert all(d.resources for d in report.datasets.values())  # every dataset has data
