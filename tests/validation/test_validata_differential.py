"""opendata and Validata, side by side: the same verdict, the same errors.

Validata (validata-table) is what data.gouv.fr runs on every resource declaring a schema.
Each case goes through both; they must agree on the verdict and on the set of
(row, field, error kind) of the errors.  Cases:

- the real example files the national schemas publish (``tests/data/national/cases.json``,
  sources and licences in the README there), against the schema version they belong to;
- generated files, one per custom check (and per flavour of error it catches), against the
  real schema's fields and check;
- generated header problems and one injected error per constrained field of some real
  valid examples.

Where Validata is wrong, the case says so in ``VALIDATA_WRONG`` with the reason, and the test
asserts opendata's own (documented) answer instead.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from parity import (
    Key,
    dispatched_keys,
    opendata_header_warnings,
    opendata_keys,
    opendata_report,
    validata_header_warnings,
    validata_keys,
)

from opendata.catalog.schemas import resolve_schema

pytestmark = pytest.mark.validata

DATA = Path(__file__).resolve().parents[1] / "data" / "national"
REAL = json.loads((DATA / "cases.json").read_text(encoding="utf-8"))


def schema_file(name: str, version: str) -> Path:
    resolved = resolve_schema({"name": name, "version": version}, DATA, DATA)
    assert resolved.file is not None
    return resolved.file


@dataclass
class Case:
    id: str
    schema: str
    version: str
    #: file content (generated cases) or path under tests/data/national/files (real ones)
    text: str | None = None
    file: str | None = None
    #: generated cases: keep only these fields and the custom checks naming them
    only_fields: list[str] | None = None
    only_check: dict[str, Any] | None = None
    #: generated cases: how the file is written, and the manifest dialect opendata gets
    encoding: str = "utf-8"
    dialect: dict[str, Any] = field(default_factory=dict)


SIRET_OK, SIRET_BAD, SIREN_OK, SIREN_BAD = ("73282932000074", "73282932000075", "732829320",
                                            "732829321")


def table(header: list[str], *rows: list[str]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def check_case(cid: str, schema: str, version: str, check: str, columns: list[str],
               rows: list[list[str]], params: dict[str, Any] | None = None,
               header: list[str] | None = None) -> Case:
    """A file with the check's columns (and a `ligne` column the schema does not know, so
    that no row is ever blank) against the real schema reduced to those fields and that
    check."""
    numbered = [[str(i), *r] for i, r in enumerate(rows, 1)]
    return Case(id=f"check-{cid}", schema=schema, version=version,
                text=table(["ligne", *(header or columns)], *numbered), only_fields=columns,
                only_check={"name": check, **({"params": params} if params else {})})


DELIB, SUBV = ("scdl/deliberations", "2.1.5"), ("scdl/subventions", "2.1.1")
COVOIT, TAXI = ("etalab/schema-lieux-covoiturage", "0.3.1"), ("openmaraude/schema-stationstaxi",
                                                             "0.1.2")
VOTES = ["VOTE_REEL", "VOTE_POUR", "VOTE_CONTRE", "VOTE_ABSTENTION"]

GENERATED: list[Case] = [
    check_case("siret", *SUBV, "french-siret-value", ["idBeneficiaire"],
               [[SIRET_OK], [SIRET_BAD], ["ABC"], [""], ["7328293200007"]],
               {"column": "idBeneficiaire"}),
    check_case("siren", *COVOIT, "french-siren-value", ["source"],
               [[SIREN_OK], [SIREN_BAD], [""]]),
    check_case("nomenclature-actes", *DELIB, "nomenclature-actes-value", ["DELIB_MATIERE_NOM"],
               [["Commande publique/Marchés publics"], ["Commande publique"],
                ["Commande publique / Marchés"], ["Poésie/Vers"],
                ["commande publique/casse différente"], ["Urbanisme/Permis"]]),
    check_case("compare-numbers", *DELIB, "compare-columns-value", ["VOTE_REEL", "VOTE_POUR"],
               [["10", "5"], ["5", "10"], ["10", "10"], ["", "3"], ["x", "3"]],
               {"column": "VOTE_REEL", "column2": "VOTE_POUR", "op": ">="}),
    check_case("compare-dates", *DELIB, "compare-columns-value", ["PREF_DATE", "DELIB_DATE"],
               [["2020-01-02", "2020-01-01"], ["2019-12-31", "2020-01-01"],
                ["", "2020-01-01"]],
               {"column": "PREF_DATE", "column2": "DELIB_DATE", "op": ">="}),
    check_case("cohesive", *DELIB, "cohesive-columns-value", ["BUDGET_ANNEE", "BUDGET_NOM"],
               [["2020", "Budget primitif"], ["", ""], ["2020", ""], ["", "Budget annexe"]],
               {"column": "BUDGET_ANNEE", "othercolumns": ["BUDGET_NOM"]}),
    check_case("cohesive-columns-partly-absent", *DELIB, "cohesive-columns-value",
               ["BUDGET_ANNEE", "BUDGET_NOM"], [["2020"], ["2021"]],
               {"column": "BUDGET_ANNEE", "othercolumns": ["BUDGET_NOM"]},
               header=["BUDGET_ANNEE"]),
    check_case("year-interval", *DELIB, "year-interval-value", ["BUDGET_ANNEE"],
               [["2019/2020"], ["2020/2019"], ["2020/2020"], ["2020"], ["20"]]),
    check_case("sum", *DELIB, "sum-columns-value", VOTES,
               [["10", "5", "3", "2"], ["10", "5", "3", "1"], ["10", "5", "", "2"]]),
    check_case("one-of-required", *SUBV, "one-of-required",
               ["idBeneficiaire", "rnaBeneficiaire"],
               [[SIRET_OK, ""], ["", "W123456789"], ["", ""], [SIRET_OK, "W123456789"]]),
    Case(id="check-one-of-required-both-absent", schema=SUBV[0], version=SUBV[1],
         text=table(["ligne", "nomBeneficiaire"], ["1", "x"], ["2", "y"]),
         only_fields=["idBeneficiaire", "rnaBeneficiaire", "nomBeneficiaire"],
         only_check={"name": "one-of-required"}),
    check_case("opening-hours", *COVOIT, "opening-hours-value", ["horaires"],
               [["Mo-Fr 08:00-18:00"], ["24/7"], ["lundi 8h-12h"], [""],
                ["Mo-Su 07:00-21:00; PH off"]]),
    check_case("phone-number", *TAXI, "phone-number-value", ["no_appel"],
               [["01 99 00 27 37"], ["+33 1 99 00 27 37"], ["3949"], ["12"], ["0199"],
                ["+44 20 7946 0958"], [""]]),
]


def _real(entry: dict[str, Any]) -> Case:
    return Case(id=entry["file"], schema=entry["schema"], version=entry["version"],
                file=entry["file"])


EXCEL_FRENCH_SOURCE = next(e for e in REAL if e["file"] == "etalab/schema-stationnement/"
                           "exemple-valide.csv")


def _header_cases() -> list[Case]:
    """Header problems made from a real valid IRVE file: data.gouv.fr's favourite schema."""
    entry = next(e for e in REAL if e["schema"] == "etalab/schema-irve-statique")
    rows = list(csv.reader(io.StringIO((DATA / "files" / entry["file"]).read_text("utf-8"))))
    header, body = rows[0], rows[1:]
    required = {f["name"] for f in json.loads(schema_file(entry["schema"], entry["version"])
                                              .read_text("utf-8"))["fields"]
                if (f.get("constraints") or {}).get("required")}
    req = next(i for i, h in enumerate(header) if h in required)
    opt = next(i for i, h in enumerate(header) if h not in required)

    def drop(i: int) -> str:
        return table([h for j, h in enumerate(header) if j != i],
                     *[[c for j, c in enumerate(r) if j != i] for r in body])

    def variant(cid: str, text: str) -> Case:
        return Case(id=f"header-{cid}", schema=entry["schema"], version=entry["version"],
                    text=text)
    return [
        variant("missing-required", drop(req)),
        variant("missing-optional", drop(opt)),
        variant("extra-column", table([*header, "commentaire"], *[[*r, "libre"] for r in body])),
        variant("reversed-order", table(header[::-1], *[r[::-1] for r in body])),
        variant("blank-label", table([*header[:-1], ""], *body)),
        variant("matches-nothing", table([h.upper() + "_X" for h in header], *body)),
        variant("duplicate-label", table([*header[:-1], header[0]], *body)),
        _excel_french(),
    ]


def _excel_french() -> Case:
    """A real parking file as an "Excel French" export: `;`, cp1252, decimal commas.  The
    manifest's `decimalChar: ","` must not make it pass: data.gouv.fr flags the numbers."""
    entry = EXCEL_FRENCH_SOURCE
    rows = list(csv.reader(io.StringIO((DATA / "files" / entry["file"]).read_text("utf-8"))))
    header, body = rows[0], rows[1:]
    fields = json.loads(schema_file(entry["schema"], entry["version"]).read_text("utf-8"))
    numbers = {f["name"] for f in fields["fields"] if f.get("type") == "number"}
    cols = [i for i, h in enumerate(header) if h in numbers]
    rows = [[c.replace(".", ",") if i in cols else c for i, c in enumerate(r)] for r in body]
    out = io.StringIO()
    csv.writer(out, delimiter=";", lineterminator="\r\n").writerows([header, *rows])
    return Case(id="header-excel-french", schema=entry["schema"], version=entry["version"],
                text=out.getvalue(), encoding="cp1252", dialect={"decimalChar": ","})


def _injected_cases() -> list[Case]:
    """One bad value per constrained or typed field, in row 2 of real valid examples."""
    out = []
    for name in ("etalab/schema-irve-statique", "etalab/schema-stationnement",
                 "etalab/schema-lieux-covoiturage"):
        entry = next(e for e in REAL if e["schema"] == name and "valide" in e["file"]
                     and "invalide" not in e["file"])
        text = (DATA / "files" / entry["file"]).read_text("utf-8-sig")
        delimiter = ";" if text.split("\n", 1)[0].count(";") > text.split("\n", 1)[0].count(
            ",") else ","
        rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
        fields = json.loads(schema_file(name, entry["version"]).read_text("utf-8"))["fields"]
        for fld in fields:
            if fld["name"] not in rows[0] or (fld.get("type", "string") == "string"
                                              and not fld.get("constraints")):
                continue
            col = rows[0].index(fld["name"])
            bad = [r[:] for r in rows]
            required = (fld.get("constraints") or {}).get("required")
            bad[1][col] = "" if required and fld.get("type") == "string" else "§invalide§"
            out.append(Case(id=f"inject-{name.split('/')[1]}-{fld['name']}", schema=name,
                            version=entry["version"], text=table(bad[0], *bad[1:])))
    return out


CASES: list[Case] = [_real(e) for e in REAL] + GENERATED + _header_cases() + _injected_cases()

#: cases where Validata's answer is wrong: the reason, and opendata's answer (asserted)
VALIDATA_WRONG: dict[str, tuple[str, set[Key]]] = {
    "header-matches-nothing": (
        "Validata 0.12 crashes (ValueError: 'unmatched-header' is not a valid ErrType): the "
        "Frictionless it installs reports a header matching no field with an error type "
        "Validata's enum does not list, so data.gouv.fr shows no report at all; opendata "
        "reports it as one error", {(None, None, "unmatched-header")}),
    "header-duplicate-label": (
        "same verdict, but Validata reports Frictionless' internal failure ('frictionless "
        "encountered an unexpected error', type `error`, no field) where opendata names the "
        "duplicated column", {(None, "nom_amenageur", "duplicate-label")}),
}


def _materialise(case: Case, folder: Path) -> tuple[Path, Path]:
    """The file and the schema file both engines read for ``case``."""
    schema = schema_file(case.schema, case.version)
    if case.file:
        return DATA / "files" / case.file, schema
    data = folder / f"{case.id}.csv"
    data.write_text(case.text or "", encoding=case.encoding, newline="")
    if case.only_fields is not None:
        descriptor = json.loads(schema.read_text(encoding="utf-8"))
        descriptor["fields"] = [f for f in descriptor["fields"]
                                if f["name"] in case.only_fields]
        check = case.only_check or {}
        checks = [c for c in descriptor.get("custom_checks", []) if c["name"] == check["name"]
                  and ("params" not in check or c["params"] == check["params"])]
        assert checks, f"{case.schema} has no such check: {check}"
        descriptor["custom_checks"] = checks[:1]
        descriptor.pop("primaryKey", None)
        schema = folder / f"{case.id}.schema.json"
        schema.write_text(json.dumps(descriptor, ensure_ascii=False), encoding="utf-8")
    return data, schema


@pytest.fixture(scope="module")
def verdicts(validata, tmp_path_factory
             ) -> dict[str, tuple[dict[str, Any], dict[str, Any], set[Key]]]:
    """case id -> (opendata's report, Validata's, the errors of the path `validate` takes),
    Validata run once for all cases."""
    folder = tmp_path_factory.mktemp("differential")
    files = {c.id: _materialise(c, folder) for c in CASES}
    theirs = validata([{"file": f, "schema": s} for f, s in files.values()])
    return {c.id: (opendata_report(*files[c.id], dialect=c.dialect), v,
                   dispatched_keys(*files[c.id], dialect=c.dialect))
            for c, v in zip(CASES, theirs, strict=True)}


def _explain(ours: set[Key], theirs: set[Key]) -> str:
    return (f"only opendata: {sorted(ours - theirs, key=str)[:8]}; "
            f"only Validata: {sorted(theirs - ours, key=str)[:8]}")


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_same_verdict_and_errors_as_validata(verdicts, case):
    ours, theirs, dispatched = verdicts[case.id]
    # the columnar engine, when it takes the file, finds what the reference path finds
    assert dispatched == opendata_keys(ours)
    if case.id in VALIDATA_WRONG:
        reason, expected = VALIDATA_WRONG[case.id]
        assert "crash" in theirs or validata_keys(theirs) != expected, (
            f"Validata now agrees with opendata: drop the VALIDATA_WRONG entry ({reason})")
        assert opendata_keys(ours) == expected
        if "crash" not in theirs:
            assert ours["valid"] == theirs["valid"]
        return
    assert "crash" not in theirs, theirs.get("crash")
    assert ours["valid"] == theirs["valid"], _explain(opendata_keys(ours), validata_keys(theirs))
    assert opendata_keys(ours) == validata_keys(theirs), _explain(opendata_keys(ours),
                                                                  validata_keys(theirs))
    # and the same header warnings (missing optional, extra, disordered columns)
    assert opendata_header_warnings(ours) == validata_header_warnings(theirs)


def test_corpus_is_the_size_the_issue_asks_for():
    real = [c for c in CASES if c.file]
    assert len(real) >= 50 and len({c.schema for c in real}) >= 20
    checks = {(c.only_check or {}).get("name") for c in GENERATED}
    assert checks == {"french-siret-value", "french-siren-value", "compare-columns-value",
                      "cohesive-columns-value", "year-interval-value", "sum-columns-value",
                      "nomenclature-actes-value", "one-of-required", "opening-hours-value",
                      "phone-number-value"}
