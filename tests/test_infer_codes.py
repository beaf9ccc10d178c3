"""`opendata infer` keeps French codes as text, infers constraints only from enough rows, and
names the national schema a file matches."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

from opendata.catalog.schemas import bundled_sdg_dir
from opendata.validation.infer import MIN_ROWS_ENUM, MIN_ROWS_UNIQUE, code_kind, infer
from opendata.validation.validator import validate

CODES = (
    "code_commune;dep;reg;cp;siren;siret;tel;id;nom;montant;annee\n"
    "07005;07;84;07200;123456789;12345678901234;0612345678;0001;Aubenas;12;2020\n"
    "2A004;2A;94;20000;987654321;98765432109876;+33612345678;0002;Ajaccio;13;2021\n"
    "01053;01;84;01000;552100554;55210055400013;04 75 35 00 00;0003;Bourg;14,5;2022\n"
)


def write(tmp_path: Path, text: str, name: str = "data.csv") -> Path:
    file = tmp_path / name
    file.write_text(text, encoding="utf-8")
    return file


def types(result) -> dict[str, str]:
    return {f["name"]: f["type"] for f in result.schema["fields"]}


def test_codes_stay_text(tmp_path):
    result = infer(write(tmp_path, CODES))
    assert types(result) == {
        "code_commune": "string", "dep": "string", "reg": "string", "cp": "string",
        "siren": "string", "siret": "string", "tel": "string", "id": "string",
        "nom": "string", "montant": "number", "annee": "integer"}
    notes = "\n".join(result.notes)
    assert "code_commune: INSEE commune codes, kept as text" in notes
    assert "siret: SIRET numbers, kept as text (as integer, leading zeros" in notes
    assert "tel: phone numbers, kept as text" in notes


def test_inferred_schema_validates_the_file_keeping_leading_zeros(cli, catalog, demo):
    data = demo / "codes.csv"
    data.write_text(CODES, encoding="utf-8")
    result = cli("infer", str(data), "--write")
    assert result.exit_code == 0, result.output
    dialect = json.loads(result.stdout.split("dialect: ", 1)[1].splitlines()[0])
    (demo / "dataset.yaml").write_text(
        (demo / "dataset.yaml").read_text(encoding="utf-8")
        + "  - name: codes\n    path: codes.csv\n    format: csv\n"
          "    schema: codes.schema.json\n"
          f"    dialect: {json.dumps(dialect)}\n", encoding="utf-8")
    report = validate(catalog)
    assert report.valid, [i.message for i in report.issues]
    from frictionless import Dialect, Resource, Schema, formats

    schema = Schema.from_descriptor(json.loads((demo / "codes.schema.json").read_text()))
    rows = Resource(path=str(data), schema=schema, format="csv", dialect=Dialect(
        controls=[formats.CsvControl(delimiter=";")])).read_rows()
    assert [r["code_commune"] for r in rows] == ["07005", "2A004", "01053"]
    assert [r["siret"] for r in rows][2] == "55210055400013"


def test_corsica_and_leading_zeros_whatever_the_column_name():
    assert code_kind("x", ["01", "2A", "75"]) == "department"
    assert code_kind("x", ["20167", "2B033"]) == "commune"
    assert code_kind("x", ["07005001", "12"]) == "leading-zeros"
    assert code_kind("x", ["552100554", "123456789"]) == "siren"
    assert code_kind("x", ["06 12 34 56 78", "+33 6 12 34 56 78"]) == "phone"
    # names pick among look-alikes, values decide: amounts stay numbers
    assert code_kind("cp", ["12,5", "3"]) is None
    assert code_kind("code_postal", ["75001", "69003"]) == "postal"
    assert code_kind("code_insee", ["75056", "69123"]) == "commune"
    assert code_kind("siren", ["552 100 554"]) == "siren"
    assert code_kind("population", ["41740", "18500"]) is None
    assert code_kind("id", ["1", "2"]) is None  # plain row numbers may stay integers


def test_spaced_siren_is_not_a_french_number(tmp_path):
    result = infer(write(tmp_path, "siren;n\n552 100 554;1\n123 456 789;2\n"))
    assert types(result)["siren"] == "string"
    assert "pattern" not in json.dumps(result.schema)  # spaced values break ^\d{9}$


def test_no_constraints_from_a_few_rows(tmp_path):
    result = infer(write(tmp_path, "id;statut\n1;ouvert\n2;ferme\n"))
    assert all("constraints" not in f for f in result.schema["fields"])
    assert result.rows == 2
    assert (f"2 rows read: too few to infer unique or enum constraints (unique needs "
            f"{MIN_ROWS_UNIQUE} rows, enum {MIN_ROWS_ENUM})") in result.notes[-1]


def test_constraints_from_enough_rows(tmp_path):
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\n")
    writer.writerow(["id", "statut", "code_postal", "commentaire"])
    for i in range(60):
        writer.writerow([i + 1, ["ouvert", "fermé", "travaux"][i % 3], f"{1000 + i:05d}",
                         f"note {i}"])
    result = infer(write(tmp_path, out.getvalue()))
    fields = {f["name"]: f for f in result.schema["fields"]}
    assert fields["id"]["constraints"] == {"unique": True}
    assert fields["statut"]["constraints"] == {"enum": ["fermé", "ouvert", "travaux"]}
    assert fields["code_postal"] == {"name": "code_postal", "type": "string",
                                     "constraints": {"pattern": r"^\d{5}$"}}
    assert "constraints" not in fields["commentaire"]  # 60 distinct values: not an enum
    assert result.rows == 60
    assert result.notes[-1].startswith("60 rows read; constraints inferred from them: "
                                       "id: unique; statut: enum; code_postal: pattern")


def test_names_the_national_schema_and_the_line_works(cli, catalog, demo, edit):
    descriptor = json.loads((bundled_sdg_dir() / "scdl/subventions/2.1.1/schema.json")
                            .read_text(encoding="utf-8"))
    names = [f["name"] for f in descriptor["fields"]]
    header = [n for n in names if n != "notificationUE"] + ["commentaire_interne"]
    row = ["x"] * len(header)
    data = demo / "subventions.csv"
    data.write_text(";".join(header) + "\n" + ";".join(row) + "\n", encoding="utf-8")
    out = json.loads(cli("infer", str(data)).stdout)
    assert out["proposed_schema"] == {"name": "scdl/subventions", "version": "2.1.1"}
    best = out["national"][0]
    assert best["extra"] == ["commentaire_interne"]
    assert "notificationUE" not in best["matched"]
    result = cli("infer", str(data), "--write")
    assert ("scdl/subventions 2.1.1: 15 of 16 columns are its fields; missing required: "
            "notificationUE") in result.stdout
    line = re.search(r"declare it instead of the schema file:\n {4}(schema: .*)\n",
                     result.stdout).group(1)
    assert line == 'schema: {name: scdl/subventions, version: "2.1.1"}'
    edit(demo / "dataset.yaml", "    schema: points.schema.json", "    " + line)
    assert not [i for i in validate(catalog).issues if i.code == "schema-unresolved"]


def test_no_proposal_for_a_file_unlike_any_national_schema(cli, tmp_path):
    out = json.loads(cli("infer", str(write(tmp_path, CODES))).stdout)
    assert out["proposed_schema"] is None
    assert out["rows"] == 3
    assert any("kept as text" in n for n in out["notes"])
