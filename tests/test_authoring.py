"""Authoring helpers: `opendata new`, `opendata infer`, `opendata licences`."""

from __future__ import annotations

import json

import pytest

from opendata.validation.validator import validate

FRENCH_CSV = (
    "commune;population;surface_km2;date_maj;libellé\n"
    "Angoulême;41 740;21,85;01/01/2020;préfecture\n"
    "Cognac;18 500;15,5;15/03/2021;sous-préfecture\n"
    "Rochefort;23 583;21,95;31/12/2019;sous-préfecture\n"
    "Saintes;25 000;45;28/02/2018;sous-préfecture\n"
)


def test_new_creates_a_manifest_that_only_lacks_its_data_and_description(cli, catalog, edit):
    result = cli("new", "ma-donnee", "--title", "Ma donnée")
    assert result.exit_code == 0, result.output
    manifest = catalog / "datasets" / "ma-donnee" / "dataset.yaml"
    assert f"created {manifest}" in result.stdout
    # the placeholders to fill in are listed, as warnings
    assert "warning: datasets/ma-donnee/dataset.yaml:6:1: description is still a " \
           "placeholder ('TODO: what the data is" in result.stderr
    text = manifest.read_text(encoding="utf-8")
    assert text.startswith("# yaml-language-server: $schema=https://bibliotheque-donnees.fr/"
                           "schemas/dataset.schema.json\n")
    assert "name: ma-donnee" in text and 'title: "Ma donnée"' in text
    assert "# a key of opendata.yaml `organizations:`" in text  # commented
    result = cli("validate", "ma-donnee", "--format", "json")
    assert result.exit_code == 1
    issues = json.loads(result.stdout)["issues"]
    assert [(i["code"], i["severity"]) for i in issues] == [
        ("placeholder", "error"), ("missing-file", "error")]
    assert issues[1]["message"] == "data file datasets/ma-donnee/donnees.csv not found"
    # with a data file and a real description it is valid (only a warning: no schema yet)
    (manifest.parent / "donnees.csv").write_text("a;b\n1;2\n", encoding="utf-8")
    assert not validate(catalog, ["ma-donnee"]).valid
    edit(manifest, "TODO: what the data is, its unit, its caveats and where it comes from",
         "Deux colonnes de test")
    report = validate(catalog, ["ma-donnee"])
    assert report.valid
    assert [i.code for i in report.issues] == ["no-schema"]


def test_new_with_organization_and_licence(cli, catalog):
    result = cli("new", "autre", "--organization", "region-rhone-alpes", "--licence",
                 "odbl-1.0")
    assert result.exit_code == 0, result.output
    text = (catalog / "datasets" / "autre" / "dataset.yaml").read_text(encoding="utf-8")
    assert "organization: region-rhone-alpes" in text and "licence: odbl-1.0" in text


@pytest.mark.parametrize("name", ["Bad Name", "x", "_lead", "é-accent", "a" * 101, "a/b"])
def test_new_refuses_bad_names(cli, catalog, name):
    result = cli("new", name)
    assert result.exit_code == 2
    assert f"error: invalid dataset name {name!r}" in result.stderr
    assert "hint: Use 2-100 characters of a-z, 0-9, '-' and '_'" in result.stderr
    assert sorted(p.name for p in (catalog / "datasets").iterdir()) == ["demo"]


def test_new_refuses_an_existing_folder(cli, demo):
    before = (demo / "dataset.yaml").read_text(encoding="utf-8")
    result = cli("new", "demo")
    assert result.exit_code == 2
    assert "demo already exists" in result.stderr
    assert (demo / "dataset.yaml").read_text(encoding="utf-8") == before


def test_new_refuses_unknown_licence_and_organisation(cli):
    result = cli("new", "nouveau", "--licence", "etalab2")
    assert result.exit_code == 2
    assert "unknown licence 'etalab2'" in result.stderr
    assert "Did you mean 'etalab-2.0'" in result.stderr
    result = cli("new", "nouveau", "--organization", "nope")
    assert result.exit_code == 2
    assert "unknown organisation 'nope'" in result.stderr


def test_infer_french_cp1252_file(cli, tmp_path):
    data = tmp_path / "communes.csv"
    data.write_bytes(FRENCH_CSV.encode("cp1252"))
    result = cli("infer", str(data))
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["dialect"] == {"delimiter": ";", "encoding": "cp1252", "decimalChar": ","}
    fields = {f["name"]: f for f in out["schema"]["fields"]}
    assert list(fields) == ["commune", "population", "surface_km2", "date_maj", "libellé"]
    assert fields["commune"]["type"] == "string"
    assert fields["population"] == {"name": "population", "type": "number",
                                    "decimalChar": ",", "groupChar": " "}
    assert fields["surface_km2"]["type"] == "number"  # not a geopoint "21,85"
    assert fields["surface_km2"]["decimalChar"] == ","
    assert fields["date_maj"] == {"name": "date_maj", "type": "date", "format": "%d/%m/%Y"}
    assert fields["libellé"]["type"] == "string"


def test_infer_utf8_bom_comma_file(cli, tmp_path):
    data = tmp_path / "x.csv"
    data.write_bytes(b"\xef\xbb\xbfid,nom,valeur\n1,Ab\xc3\xa9,2.5\n2,Cd,3\n")
    out = json.loads(cli("infer", str(data)).stdout)
    assert out["dialect"] == {"delimiter": ",", "encoding": "utf-8"}
    assert [f["type"] for f in out["schema"]["fields"]] == ["integer", "string", "number"]


def test_infer_write_then_validate(cli, catalog, demo, edit):
    data = demo / "communes.csv"
    data.write_bytes(FRENCH_CSV.encode("cp1252"))
    result = cli("infer", str(data), "--write")
    assert result.exit_code == 0, result.output
    assert (demo / "communes.schema.json").is_file()
    assert "schema: communes.schema.json" in result.stdout
    dialect = json.loads(result.stdout.split("dialect: ", 1)[1])
    (demo / "dataset.yaml").write_text(
        (demo / "dataset.yaml").read_text(encoding="utf-8")
        + "  - name: communes\n    path: communes.csv\n    format: csv\n"
          "    schema: communes.schema.json\n"
          f"    dialect: {json.dumps(dialect, ensure_ascii=False)}\n", encoding="utf-8")
    result = cli("validate", "--format", "json")
    assert result.exit_code == 0, result.stdout
    rows = {r["name"]: r["rows"] for r in json.loads(result.stdout)["datasets"][0]["resources"]}
    assert rows == {"points": 3, "communes": 4}


def test_infer_empty_file(cli, tmp_path):
    (tmp_path / "e.csv").write_bytes(b"")
    result = cli("infer", str(tmp_path / "e.csv"))
    assert result.exit_code == 2
    assert "the file is empty, nothing to infer" in result.stderr


def test_infer_missing_file_is_a_usage_error(cli, tmp_path):
    result = cli("infer", str(tmp_path / "nope.csv"))
    assert result.exit_code == 2
    assert "does not exist" in result.stderr


LICENCES = {
    "etalab-2.0": "lov2", "etalab-1.0": "fr-lo", "odbl-1.0": "odc-odbl",
    "odc-by-1.0": "odc-by", "pddl-1.0": "odc-pddl", "cc-by-4.0": "cc-by",
    "cc-by-sa-4.0": "cc-by-sa", "cc0-1.0": "cc-zero",
}


def test_licences_lists_the_eight_licences(cli):
    result = cli("licences")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["key", "SPDX", "CKAN", "data.gouv.fr", "open", "title"]
    rows = {line.split()[0]: line.split() for line in lines[1:]}
    assert set(rows) == set(LICENCES)
    for key, datagouv in LICENCES.items():
        assert rows[key][3] == datagouv
        assert rows[key][4] == "yes"
    assert "Licence Ouverte / Open Licence version 2.0" in result.stdout


def test_licences_json(cli):
    result = cli("licences", "--format", "json")
    assert result.exit_code == 0
    data = {lic["key"]: lic for lic in json.loads(result.stdout)}
    assert {k: v["datagouv_id"] for k, v in data.items()} == LICENCES
    assert data["odbl-1.0"]["spdx"] == "ODbL-1.0"
    assert data["odbl-1.0"]["share_alike"] is True
