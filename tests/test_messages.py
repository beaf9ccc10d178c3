"""Validation messages in French and English: which language, plain words, fitting hints,
English codes in the JSON report, and gettext catalogs that match their source."""

from __future__ import annotations

import json
import re
import string
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from opendata.validation import messages
from opendata.validation.messages import HINTS, LOCALE_DIR, MESSAGES, choose, describe, normalise

PO = LOCALE_DIR / "fr" / "LC_MESSAGES" / "opendata.po"
MO = LOCALE_DIR / "fr" / "LC_MESSAGES" / "opendata.mo"


@pytest.fixture
def no_env(monkeypatch):
    monkeypatch.delenv("OPENDATA_LANG", raising=False)


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


# -- which language ------------------------------------------------------------------------

def test_choice_order(no_env, monkeypatch):
    assert choose(None, "fr") == "fr"
    assert choose(None, None) == "en"
    assert choose(None, "de") == "en"  # a catalog language we have no messages for
    monkeypatch.setenv("OPENDATA_LANG", "en_GB.UTF-8")
    assert choose(None, "fr") == "en"
    assert choose("fr", "en") == "fr"
    assert normalise("FR-fr") == "fr" and normalise("pt") is None


def test_a_french_catalog_gets_french_by_default(cli, demo, edit, no_env):
    edit(demo / "dataset.yaml", "keywords:", "keywors:")
    result = cli("validate")
    assert result.exit_code == 1
    assert "dataset.yaml:8:1, champ keywors: erreur: champ inconnu 'keywors'" in result.stdout
    assert "conseil: Vouliez-vous dire 'keywords' ?" in result.stdout
    assert "demo: INVALIDE" in result.stdout
    assert "1 jeu(x) de données, 0 valide(s), 1 erreur(s), 0 avertissement(s)" in result.stdout


def test_lang_option_and_environment_override_the_catalog(cli, demo, edit, no_env,
                                                          monkeypatch):
    edit(demo / "dataset.yaml", "keywords:", "keywors:")
    assert "field keywors: error: unknown field 'keywors'" in cli("--lang", "en",
                                                                   "validate").stdout
    monkeypatch.setenv("OPENDATA_LANG", "en")
    assert "error: unknown field 'keywors'" in cli("validate").stdout
    assert "erreur: champ inconnu 'keywors'" in cli("--lang", "fr", "validate").stdout


def test_json_report_keeps_english_codes(cli, demo, edit, no_env):
    edit(demo / "dataset.yaml", "organization: region-poitou-charentes",
         "organization: region-poitou")
    report = json.loads(cli("validate", "--format", "json").stdout)
    [issue] = report["issues"]
    assert issue["code"] == "unknown-organization" and issue["severity"] == "error"
    assert issue["message"] == "organisation inconnue : 'region-poitou'"
    assert issue["hint"].startswith("Vouliez-vous dire 'region-poitou-charentes'")


BAD_ROW = "territoire;nb_api;taux;date_releve\nA;2,5;1;31/02/2006\n"


def test_data_errors_in_french_on_both_engines(cli, demo, no_env, monkeypatch):
    (demo / "points.csv").write_text(BAD_ROW, encoding="utf-8")
    for engine in ("frictionless", "auto"):
        monkeypatch.setenv("OPENDATA_ENGINE", engine)
        out = cli("validate", "--no-cache").stdout
        assert ("points.csv:2, ligne 2, champ nb_api: erreur: '2,5' n'est pas un nombre "
                "entier") in out, engine
        assert ("champ date_releve: erreur: '31/02/2006' n'est pas une date au format "
                "JJ/MM/AAAA") in out
        assert "conseil: Écrivez les nombres entiers" in out


def test_file_reports_in_french(cli, catalog, demo, no_env):
    (demo / "points.csv").write_text(BAD_ROW, encoding="utf-8")
    assert cli("build").exit_code == 1
    md = (catalog / "dist" / "validation-report.md").read_text(encoding="utf-8")
    assert md.startswith("# Rapport de validation\n\n**Invalide**: 1 jeu(x) de données")
    assert "| `demo` | ❌ invalide | 1 | 2 |" in md
    page = (catalog / "dist" / "validation-report.html").read_text(encoding="utf-8")
    assert '<html lang="fr">' in page and "<h1>Rapport de validation</h1>" in page
    report = json.loads((catalog / "dist" / "validation-report.json").read_text())
    assert {i["code"] for i in report["issues"]} == {"type-error"}


def test_the_cache_does_not_replay_another_language(cli, demo, no_env):
    (demo / "points.csv").write_text(BAD_ROW, encoding="utf-8")
    assert "n'est pas un nombre entier" in cli("validate").stdout
    assert "is not a whole number" in cli("--lang", "en", "validate").stdout
    assert "n'est pas un nombre entier" in cli("validate").stdout


# -- plain words, fitting hints ----------------------------------------------------------------

@pytest.mark.parametrize("note", ['type is "number/default"', 'type is "integer/default"',
                                  'type is "date/%d/%m/%Y"', 'type is "geopoint/default"',
                                  'type is "string/email"', 'type is "boolean/default"',
                                  'type is "datetime/default"'])
def test_no_frictionless_internals_in_type_errors(note):
    for lang in ("en", "fr"):
        messages.set_override(lang)
        messages.activate()
        message, hint = describe("type-error", "x y", note)
        assert "type is" not in message and "/default" not in message, message
        assert hint and "/default" not in hint


def test_no_frictionless_internals_in_constraint_errors():
    cases = {'constraint "required" is "True"': "the value is missing: this field is required",
             'constraint "minimum" is "0"': "'-1' is below the minimum, 0",
             'constraint "maxLength" is "4"': "'-1' is too long: at most 4 characters",
             "constraint \"enum\" is \"['ouvert', 'fermé']\"":
                 "'-1' is not one of the allowed values: ouvert, fermé",
             'constraint "pattern" is "^\\d{5}$"': "'-1' does not have the expected form "
                                                   "(^\\d{5}$)"}
    for note, expected in cases.items():
        message, hint = describe("constraint-error", "-1", note)
        assert message == expected
        assert hint and "True" not in message


def test_hints_fit_their_error():
    _, geo = describe("type-error", "46,58", 'type is "geopoint/default"')
    assert "longitude,latitude" in geo and "decimalChar" not in geo
    _, french_number = describe("type-error", "1 234,5", 'type is "number/default"')
    assert 'decimalChar ","' in french_number
    _, plain_number = describe("type-error", "abc", 'type is "number/default"')
    assert "decimalChar" not in plain_number and "12.5" in plain_number
    _, french_date = describe("type-error", "31/12/2020", 'type is "date/default"')
    assert '"%d/%m/%Y"' in french_date
    message, date_hint = describe("type-error", "2020-12-31", 'type is "date/%d/%m/%Y"')
    assert message == "'2020-12-31' is not a date in the format DD/MM/YYYY"
    assert "31/01/2024" in date_hint
    _, published = describe("type-error", "1,5", 'type is "number/default"', published=True)
    assert "data.gouv.fr" in published


def test_french_formats_read_in_french():
    messages.set_override("fr")
    messages.activate()
    message, _ = describe("type-error", "2020-12-31", 'type is "date/%d/%m/%Y"')
    assert message == "'2020-12-31' n'est pas une date au format JJ/MM/AAAA"


# -- the gettext catalogs --------------------------------------------------------------------

def code_messages() -> set[str | tuple[str, ...]]:
    """Every message id the code says: the literal arguments of ``_``, ``N_`` and
    ``ngettext`` calls anywhere in opendata/, found by Babel's extractor (the one
    scripts/update-messages runs)."""
    from babel.messages.extract import extract_from_dir

    package = Path(messages.__file__).resolve().parents[1]
    return {msgid for _file, _line, msgid, _comments, _context in extract_from_dir(
        str(package), method_map=[("**.py", "python")],
        keywords={"_": None, "N_": None, "ngettext": (1, 2)}, comment_tags=())}


def test_every_message_of_the_code_has_a_french_translation():
    with PO.open("rb") as fh:
        po = {m.id: m for m in read_po(fh) if m.id}
    said = code_messages()
    assert set(MESSAGES.values()) | set(HINTS.values()) <= said  # the extractor sees them
    missing = sorted(map(str, said - set(po)))
    assert missing == [], "run scripts/update-messages and translate these"
    untranslated = sorted(str(m) for m in said if po[m].fuzzy or not all(
        po[m].string if isinstance(po[m].string, tuple) else [po[m].string]))
    assert untranslated == []
    for msgid in said:
        english = msgid if isinstance(msgid, tuple) else (msgid,)
        french = po[msgid].string if isinstance(msgid, tuple) else (po[msgid].string,)
        assert {n for t in french for n in placeholders(t)} == {
            n for t in english for n in placeholders(t)}, msgid
    # and nothing in the .po that the code no longer says
    assert sorted(map(str, set(po) - said)) == []


def test_no_user_facing_text_left_outside_the_catalog():
    """The families that used to be English only go through gettext: one text of each is
    among the extracted messages (so in the French catalog, by the test above)."""
    said = {m for m in code_messages() if isinstance(m, str)}
    for text in ("required column {name!r} is missing",                  # headers
                 "the value `{a}` of column {column} should be {op} the value `{b}` of "
                 "column {column2}",                                     # custom checks
                 "the file is empty",                                    # pre-read checks
                 "data.gouv.fr quality: criterion '{name}' not met (predicted score "
                 "{score}/{max})",                                       # quality
                 "schema file {file} not found",                         # schema files
                 "{field}: {kind}, kept as text",                        # infer
                 "declare it on a resource of dataset.yaml:"):           # schemas
        assert text in said, text


def test_shipped_mo_is_compiled_from_the_po():
    def frozen(value):  # a plural's forms: a tuple from the .po, a list from the .mo
        return tuple(value) if isinstance(value, list | tuple) else value

    with PO.open("rb") as fh:
        po = {frozen(m.id): frozen(m.string) for m in read_po(fh) if m.id}
    with MO.open("rb") as fh:
        mo = {frozen(m.id): frozen(m.string) for m in read_mo(fh) if m.id}
    assert mo == po, "run scripts/update-messages"


def test_translations_are_french_not_copies():
    with PO.open("rb") as fh:
        catalog = {m.id: m.string for m in read_po(fh) if m.id}
    same_in_both = {"Message"}  # a word French shares
    same = [k for k, v in catalog.items() if k == v and re.search(r"[a-z]{4,}", k)
            and k not in same_in_both]
    assert same == []


def test_national_schema_hints_in_french_still_work_literally(catalog, demo, edit, no_env):
    from opendata.validation.validator import validate

    edit(demo / "dataset.yaml", "    schema: points.schema.json",
         '    schema: {name: scdl/subvention, version: "2.1.1"}')
    [issue] = [i for i in validate(catalog).issues if i.code == "schema-unresolved"]
    assert issue.message == ("le schéma 'scdl/subvention' n'est pas dans le catalogue de "
                             "schema.data.gouv.fr")
    line = re.search(r"`([^`]+)`", issue.hint).group(1)
    assert issue.hint.startswith("Vouliez-vous dire scdl/subventions ? Écrivez `")
    edit(demo / "dataset.yaml", '    schema: {name: scdl/subvention, version: "2.1.1"}',
         "    " + line)
    assert not [i for i in validate(catalog).issues if i.code == "schema-unresolved"]
