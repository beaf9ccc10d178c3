"""Every family of user-facing text in French and in English, through the command line:
header matching, custom checks, the dialect-not-conformant warning, the checks before any
row is read, data.gouv.fr quality warnings, errors about schema files, `opendata infer` notes
and `opendata schemas` output.

French comes three ways (``--lang fr``, ``OPENDATA_LANG=fr``, the catalog's ``language: fr``
with neither), each test running under all three; English is what the suite's environment
asks for (``OPENDATA_LANG=en``).  Codes stay English in the JSON report whatever the language.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from published_copies import PARKINGS_RESOURCE as RESOURCE
from published_copies import excel_french

Run = Callable[..., Result]


@pytest.fixture(params=["option", "environment", "catalog"])
def french(request, cli, monkeypatch) -> Run:
    """``french(*args)``: the command in French, asked for the way the test is parametrised
    with; the fixture catalog's opendata.yaml says ``language: fr``."""
    def run(*args: str) -> Result:
        with monkeypatch.context() as m:
            if request.param == "option":
                return cli("--lang", "fr", *args)
            if request.param == "environment":
                m.setenv("OPENDATA_LANG", "fr")
            else:
                m.delenv("OPENDATA_LANG")
            return cli(*args)
    return run


def schema_file(demo: Path) -> Path:
    return demo / "points.schema.json"


def add_custom_checks(demo: Path, *checks: dict) -> None:
    schema = json.loads(schema_file(demo).read_text(encoding="utf-8"))
    schema["custom_checks"] = list(checks)
    schema_file(demo).write_text(json.dumps(schema), encoding="utf-8")


def test_header_matching(cli, french, demo):
    (demo / "points.csv").write_text("territoire;taux;date_releve;autre\nAunis;72,5;01/09/2006;x\n",
                                     encoding="utf-8")
    english = cli("validate", "--no-cache").stdout
    assert "field autre: warning: column 'autre' is not a field of the schema" in english
    assert "warning: optional column 'nb_api' is missing" in english
    fr = french("validate", "--no-cache").stdout
    assert "champ autre: avertissement: la colonne 'autre' n'est pas un champ du schéma" in fr
    assert "conseil: Supprimez la colonne, ou renommez-la d'après son champ du schéma." in fr
    assert "avertissement: la colonne facultative 'nb_api' est absente" in fr
    (demo / "points.csv").write_text("nb_api;taux\n5;72,5\n", encoding="utf-8")
    assert "error: required column 'territoire' is missing" in cli("validate").stdout
    assert "erreur: la colonne obligatoire 'territoire' est absente" in french("validate").stdout


def test_custom_checks(cli, french, demo):
    add_custom_checks(demo, {"name": "compare-columns-value",
                             "params": {"column": "nb_api", "column2": "taux", "op": ">"}},
                      {"name": "french-gps-coordinates", "params": {"column": "taux"}})
    english = cli("validate", "--no-cache").stdout
    assert ("row 2, field nb_api: error: the value `5` of column nb_api should be greater "
            "than the value `72.5` of column taux") in english
    assert "warning: custom check 'french-gps-coordinates' (custom_checks[1] of schema" in english
    fr = french("validate", "--no-cache").stdout
    assert ("ligne 2, champ nb_api: erreur: la valeur `5` de la colonne nb_api devrait être "
            "supérieure à la valeur `72.5` de la colonne taux") in fr
    assert "conseil: Corrigez la valeur : le contrôle personnalisé du schéma" in fr
    assert ("avertissement: le contrôle personnalisé 'french-gps-coordinates' "
            "(custom_checks[1] du schéma datasets/demo/points.schema.json) est inconnu "
            "d'opendata") in fr


def test_custom_check_with_bad_params(cli, french, demo):
    add_custom_checks(demo, {"name": "one-of-required", "params": {"column1": "territoire"}})
    assert "cannot run: parameter 'column2' is missing" in cli("validate").stdout
    assert ("le contrôle personnalisé 'one-of-required' (custom_checks[0] du schéma "
            "datasets/demo/points.schema.json) ne peut pas s'exécuter : le paramètre "
            "'column2' est absent") in french("validate").stdout


def test_dialect_not_conformant(cli, french, demo):
    manifest = demo / "dataset.yaml"
    text = manifest.read_text(encoding="utf-8")
    manifest.write_text(text[:text.index("resources:")] + "resources:\n" + RESOURCE,
                        encoding="utf-8")
    (demo / "parkings.csv").write_bytes(excel_french())
    english = cli("validate").stdout
    assert ("warning: dialect `decimalChar: ','` is not applied: data.gouv.fr checks this file "
            "against etalab/schema-stationnement 0.1.5 as published") in english
    fr = french("validate").stdout
    assert ("avertissement: le dialecte `decimalChar: ','` n'est pas appliqué : data.gouv.fr "
            "contrôle ce fichier avec etalab/schema-stationnement 0.1.5 tel que publié") in fr
    assert "ou ajoutez `normalise: true` à la ressource" in fr


@pytest.mark.parametrize(("content", "english", "french_text"), [
    (b"", "error: the file is empty", "erreur: le fichier est vide"),
    (b"\x1f\x8b\x08\x00rest", "error: the file is gzip-compressed",
     "erreur: le fichier est compressé en gzip"),
    ("territoire;nb_api;taux;date_releve\nGâtine;6;80,1;01/09/2006\n".encode("cp1252"),
     "error: the file is not encoded in utf-8 as declared: byte 0xe2 at offset 36 is not "
     "valid utf-8",
     "erreur: le fichier n'est pas encodé en utf-8 comme déclaré : l'octet 0xe2 à la "
     "position 36 n'est pas du utf-8 valide"),
    (b"territoire,nb_api,taux,date_releve\nAunis,5,1,01/09/2006\n",
     "error: the file's delimiter looks like ',', but the manifest declares ';'",
     "erreur: le séparateur du fichier semble être ',', mais le manifeste déclare ';'"),
])
def test_checks_before_any_row_is_read(cli, french, demo, content, english, french_text):
    (demo / "points.csv").write_bytes(content)
    assert english in cli("validate").stdout
    assert french_text in french("validate").stdout


def test_quality_warnings(cli, french, catalog):
    (catalog / "harvesters").mkdir()
    (catalog / "harvesters" / "dg.yaml").write_text(
        "type: datagouv\nurl: https://demo.data.gouv.fr\ntoken_env: DG_KEY\n", encoding="utf-8")
    english = cli("validate").stdout
    assert ("warning: data.gouv.fr quality: criterion 'resources_documentation' not met "
            "(predicted score 8/9)") in english
    fr = french("validate").stdout
    assert ("avertissement: qualité data.gouv.fr : critère 'resources_documentation' non "
            "rempli (score prévu 8/9)") in fr
    assert "conseil: Donnez une `description:` à une ressource" in fr
    report = json.loads(french("validate", "--format", "json").stdout)
    assert "datagouv-quality-resources-documentation" in {i["code"] for i in report["issues"]}


@pytest.mark.parametrize(("schema", "english", "french_text"), [
    ("absent.schema.json", "error: schema file ", "erreur: fichier de schéma "),
    ("{shared: pionts}", "error: shared schema 'pionts' not found in validation/schemas/",
     "erreur: schéma partagé 'pionts' introuvable dans validation/schemas/"),
    ("{name: scdl, version: '1.0'}",
     "error: schema name 'scdl' is not of the form ORGANISATION/SCHEMA",
     "erreur: le nom de schéma 'scdl' n'est pas de la forme ORGANISATION/SCHEMA"),
])
def test_errors_about_schema_files(cli, french, demo, edit, schema, english, french_text):
    edit(demo / "dataset.yaml", "schema: points.schema.json", f"schema: {schema}")
    assert english in cli("validate").stdout
    out = french("validate")
    assert french_text in out.stdout
    report = json.loads(french("validate", "--format", "json").stdout)
    assert [i["code"] for i in report["issues"]] == ["schema-unresolved"]


def test_schema_file_that_is_not_json(cli, french, demo):
    schema_file(demo).write_text("{not json", encoding="utf-8")
    assert "is not valid JSON: Expecting" in cli("validate").stdout
    fr = french("validate").stdout
    assert "n'est pas du JSON valide" in fr and "conseil: Corrigez la syntaxe JSON" in fr


def test_infer_notes(cli, french, tmp_path):
    data = tmp_path / "communes.csv"
    data.write_text("code_commune;nom;population\n01001;L'Abergement;776\n"
                    "2A004;Ajaccio;71361\n", encoding="utf-8")
    notes = json.loads(cli("infer", str(data)).stdout)["notes"]
    assert "code_commune: INSEE commune codes, kept as text" in notes
    assert notes[-1].startswith("2 rows read: too few to infer unique or enum constraints")
    notes = json.loads(french("infer", str(data)).stdout)["notes"]
    assert "code_commune : codes de commune INSEE, conservés en texte" in notes
    assert notes[-1].startswith("2 lignes lues : trop peu pour déduire des contraintes "
                                "unique ou enum")
    out = french("infer", str(data), "--write").stdout
    assert "à ajouter à la ressource dans dataset.yaml :" in out


def test_schemas_output(cli, french):
    english = cli("schemas", "show", "scdl/subventions").stdout
    assert "declare it on a resource of dataset.yaml:" in english
    fr = french("schemas", "show", "scdl/subventions").stdout
    assert "à déclarer sur une ressource de dataset.yaml :" in fr
    assert "copie hors ligne : " in fr and "(fournie avec opendata)" in fr
    assert " obligatoire " in fr or fr.count("obligatoire") >= 1
    assert "Table Schemas, " in cli("schemas", "list").stdout.splitlines()[-1]
    assert "versions. `opendata schemas show NOM` pour en voir un." in french(
        "schemas", "list").stdout.splitlines()[-1]
    assert "no Table Schema matches 'zzzqqq'" in cli("schemas", "search", "zzzqqq").stdout
    assert "aucun Table Schema ne correspond à 'zzzqqq'" in french(
        "schemas", "search", "zzzqqq").stdout
